/**
 * The event's own time (event_ts, ms), the same for every copy and retry of an event: the rollover dedupe
 * compares it with the creation of the backing index a copy landed in. Pure code.
 */

/** From a parsed body; undefined when it has none that is plausible. */
export function eventTsOf(body: unknown): number | undefined {
  return plausible(typeof body === 'object' && body !== null ? (body as {event_ts?: unknown}).event_ts : undefined)
}

/**
 * From a body's JSON text, without parsing it (the forwarder sends most bodies as their text): event_ts
 * found by a scan of the top-level object. undefined when the scan cannot say for sure (no such member, an
 * escape in it, not an object): the caller then parses the body.
 */
export function eventTimeOfText(text: string): number | undefined {
  return plausible(topLevelMember(text, 'event_ts'))
}

/** Zoom sends milliseconds; a value that is not a plausible time (before 2001, after 2286) is not trusted. */
function plausible(ts: unknown): number | undefined {
  const ms = typeof ts === 'number' ? ts : typeof ts === 'string' ? Number(ts) : Number.NaN
  return Number.isFinite(ms) && ms > 1e12 && ms < 1e13 ? ms : undefined
}

const QUOTE = 0x22
const BACKSLASH = 0x5c
const COMMA = 0x2c
const COLON = 0x3a
const OPEN_OBJECT = 0x7b
const OPEN_ARRAY = 0x5b
const CLOSE_OBJECT = 0x7d
const CLOSE_ARRAY = 0x5d

/**
 * The value of a member of the top-level object of a JSON text (its last occurrence, as JSON.parse keeps),
 * when it is a number or a string without escapes; undefined otherwise. The text is taken to be valid JSON
 * (the receiver parsed it before storing it): the scan tracks only strings and nesting.
 */
export function topLevelMember(text: string, key: string): number | string | undefined {
  let i = skipSpace(text, 0)
  if (text.charCodeAt(i) !== OPEN_OBJECT) return undefined
  let depth = 0
  let expectKey = false
  let found: number | string | undefined
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === QUOTE) {
      const end = stringEnd(text, i + 1)
      if (depth === 1 && expectKey) {
        expectKey = false
        if (end - i - 1 === key.length && text.startsWith(key, i + 1)) {
          const value = valueAt(text, end + 1)
          found = value
          if (value === undefined) return undefined
        }
      }
      i = end
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      depth++
      if (depth === 1) expectKey = true
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      depth--
    } else if (c === COMMA && depth === 1) {
      expectKey = true
    }
  }
  return found
}

/** The index of the quote that closes a string whose first character is at `from`. */
function stringEnd(text: string, from: number): number {
  let j = from
  while (j < text.length) {
    const c = text.charCodeAt(j)
    if (c === BACKSLASH) j += 2
    else if (c === QUOTE) return j
    else j++
  }
  return j
}

function skipSpace(text: string, from: number): number {
  let i = from
  while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i++
  return i
}

/** The member's value after its key's closing quote: a number, or a string without escapes. */
function valueAt(text: string, from: number): number | string | undefined {
  let i = skipSpace(text, from)
  if (text.charCodeAt(i) !== COLON) return undefined
  i = skipSpace(text, i + 1)
  if (text.charCodeAt(i) === QUOTE) {
    const end = stringEnd(text, i + 1)
    const value = text.slice(i + 1, end)
    return value.includes('\\') ? undefined : value
  }
  let end = i
  while (end < text.length && /[-+.\deE]/.test(text[end]!)) end++
  if (end === i) return undefined
  const value = Number(text.slice(i, end))
  return Number.isNaN(value) ? undefined : value
}
