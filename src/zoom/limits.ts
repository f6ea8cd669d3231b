/** Zoom counts an answer that takes longer than this as failed, and retries (5xx and time-outs only). */
export const ZOOM_BUDGET_MS = 3000

/**
 * The deepest nesting of objects and arrays serve accepts in a body. Zoom's deepest body nests 7 levels
 * (meeting.participant_feedback in the catalog; Elastic's pipeline fixtures 6: test/unit/depth.test.ts
 * measures both). 32 leaves room for any event Zoom may add, and stays far below what breaks: the mapping
 * and JSON.stringify recurse, and overflow the stack at a few thousand levels. (Between 20 and 32,
 * Elasticsearch's own index.mapping.depth.limit may refuse the document: a per-record 400, dead-lettered.)
 */
export const MAX_BODY_DEPTH = 32

/**
 * How deep a JSON text nests objects and arrays ("{}" is 1, "[{}]" 2), counted on its bytes without
 * parsing (no recursion, no allocation), so a hostile body costs one pass. Brackets inside strings do not
 * count. A text that is not JSON gets a number all the same: its parse fails later.
 */
export function jsonDepth(text: Buffer | string): number {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text
  let depth = 0
  let deepest = 0
  let inString = false
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!
    if (inString) {
      if (byte === 0x5c) i++ // a backslash: the next byte is escaped (a quote among them)
      else if (byte === 0x22) inString = false
    } else if (byte === 0x22) inString = true
    else if (byte === 0x7b || byte === 0x5b) {
      if (++depth > deepest) deepest = depth
    } else if (byte === 0x7d || byte === 0x5d) depth--
  }
  return deepest
}

/**
 * The depth of a JSON text (as jsonDepth counts it) when it nests objects and arrays deeper than `limit`;
 * undefined when it does not. Each level opens with a bracket, so a text with no more than `limit` of them
 * cannot, whatever its strings hold: they are counted first with indexOf, in native code (a handful of calls
 * for any body in the catalog, whose most has 23), and only a text with more is walked byte by byte, once.
 */
export function depthOver(bytes: Buffer, limit: number): number | undefined {
  let openings = 0
  for (const bracket of OPENINGS) {
    for (let at = bytes.indexOf(bracket); at !== -1 && openings <= limit; at = bytes.indexOf(bracket, at + 1)) openings++
  }
  if (openings <= limit) return undefined
  const depth = jsonDepth(bytes)
  return depth > limit ? depth : undefined
}

const OPENINGS = [0x7b, 0x5b]
