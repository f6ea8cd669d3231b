import {isUtf8} from 'node:buffer'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

/** One delivery as the receiver saw it: enough to explain it, map it again, and replay it byte for byte. */
export interface DeliveryRecord {
  id: string
  receivedAt: string
  /** Who sent it: a webhook's client address and port, or Zoom's WebSocket (its host, and the subscription). */
  source: {address: string; port?: number; transport?: 'websocket'; subscriptionId?: string}
  method: string
  path: string
  /** The headers that matter (see CAPTURED_HEADERS), credentials redacted. */
  headers: Record<string, string>
  /** The body exactly as received: UTF-8 text, or base64 when it was not valid UTF-8. */
  rawBody: string
  rawBodyEncoding?: 'base64'
  /** A body too large to inline (an authentic one over --max-body): its file, relative to the data dir. */
  rawBodyFile?: string
  rawBodySize?: number
  eventType?: string
  /** The body's event_ts (ms) when it has a plausible one: the forwarder's rollover check reads it here rather than scanning the body. */
  eventTs?: number
  /** The Zoom app whose Secret Token signed it, when serve has several (--app-token). */
  app?: string
  /** event + event_ts + object ids: the same event delivered twice has the same key. */
  dedupeKey?: string
  /** Set when an earlier delivery had the same dedupe key: that record's id. */
  duplicateOf?: string
  /** Records written before 0.2 also kept the parsed body and Elastic's document; both derive from rawBody. */
  event?: unknown
  document?: unknown
  /** For refused deliveries: what was answered and why. */
  refusal?: {status: number; reason: string; detail: string}
}

/** Accepted deliveries, and authentic ones that were refused (stale, malformed …) kept for replay. */
export const STORE_KINDS = ['events', 'refused'] as const
export type StoreKind = (typeof STORE_KINDS)[number]

/** The body's bytes; one kept in a file of its own is read from the data dir. */
export function rawBodyBytes(record: Pick<DeliveryRecord, 'rawBody' | 'rawBodyEncoding' | 'rawBodyFile'>, dataDir?: string): Buffer {
  if (record.rawBodyFile) {
    if (!dataDir) throw new Error(`the body of this record is in ${record.rawBodyFile}, relative to a data dir that is not known here`)
    return readFileSync(join(dataDir, record.rawBodyFile))
  }
  return Buffer.from(record.rawBody, record.rawBodyEncoding === 'base64' ? 'base64' : 'utf8')
}

/** Encodes a body so that rawBodyBytes gives back the same bytes; `text` is its UTF-8 decoding when the caller has it already. */
export function encodeRawBody(bytes: Buffer, text?: string): Pick<DeliveryRecord, 'rawBody' | 'rawBodyEncoding'> {
  return isUtf8(bytes) ? {rawBody: text ?? bytes.toString('utf8')} : {rawBody: bytes.toString('base64'), rawBodyEncoding: 'base64'}
}

/**
 * Store lines come in two formats, both NDJSON, both read:
 * - format 1: the record as JSON, the body as a string in rawBody (escaped: every quote of a JSON body
 *   becomes \", ~15 % more bytes, and as much work to write and to read again). Every line of earlier
 *   versions (they have no "v"), and the lines written now for bodies format 2 cannot hold ("v":1);
 * - format 2: the metadata, then the body itself as the last member, its bytes as they came:
 *   `{"id":"…",…,"dedupeKey":"…","v":2,"bodySize":722,"body":{"event":…}}`. Written for every body
 *   that is JSON, valid UTF-8 and on one line (every delivery Zoom makes); any other in format 1.
 * Inside a JSON string every quote is escaped, so `,"v":2,"bodySize":` cannot occur in the metadata's
 * values: its first occurrence ends the metadata, and the body is the bodySize bytes after `"body":`.
 */
export const RECORD_FORMAT = 2

/** A record without its body: what the store writes besides the body's bytes. */
export type RecordMeta = Omit<DeliveryRecord, 'rawBody' | 'rawBodyEncoding'>

const FORMAT_2_MEMBERS = ',"v":2,"bodySize":'
const BODY_MEMBER = ',"body":'
const LINE_END = Buffer.from('}\n')

/**
 * The line (with its newline) that stores a delivery. `bodyIsJson`: the caller parsed the body as JSON,
 * so it can go into the line as it is (format 2); the body's bytes are written, never re-encoded.
 */
export function recordLine(meta: RecordMeta, body: Buffer, bodyIsJson: boolean): Buffer {
  const parts = recordLineParts(meta, body, bodyIsJson)
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts)
}

/**
 * The same line in the pieces it is made of (the body's own buffer among them), for a writer that hands
 * them to writev(2) as they are: no copy of the body into a line, nor of the lines into a batch.
 */
export function recordLineParts(meta: RecordMeta, body: Buffer, bodyIsJson: boolean): Buffer[] {
  if ('rawBody' in meta) {
    // eslint-disable-next-line @typescript-eslint/no-unused-vars
    const {rawBody, rawBodyEncoding, ...rest} = meta as DeliveryRecord
    return recordLineParts(rest, body, bodyIsJson)
  }
  if (!bodyIsJson || meta.rawBodyFile !== undefined || body.indexOf(0x0a) !== -1 || body.indexOf(0x0d) !== -1 || !isUtf8(body)) {
    return [Buffer.from(`${JSON.stringify({...meta, v: 1, ...encodeRawBody(body)})}\n`)]
  }
  const members = JSON.stringify(meta)
  return [Buffer.from(`${members.slice(0, -1)}${FORMAT_2_MEMBERS}${body.length}${BODY_MEMBER}`), body, LINE_END]
}

/** A stored line as a record, whatever its format (a format-2 line's body comes back as rawBody); throws when it is not JSON. */
export function readRecord(line: string): DeliveryRecord {
  return recordOf(JSON.parse(line) as Record<string, unknown>, line)
}

/**
 * A stored line as a record, from its bytes: a whole format-2 line has only its metadata parsed, and its
 * body kept as text (the forwarder sends most bodies as they are, so parsing them here was wasted work and
 * garbage); any other line is read whole by readRecord. Throws when the line is not JSON.
 */
export function readStoredLine(line: Buffer): DeliveryRecord {
  const layout = format2Layout(line)
  if (layout?.complete) {
    const record = JSON.parse(`${line.toString('utf8', 0, layout.metadataEnd)}}`) as DeliveryRecord
    if (typeof record === 'object' && record !== null && typeof record.id === 'string') {
      record.rawBody = line.toString('utf8', layout.bodyStart, line.length - 1)
      return record
    }
  }
  return readRecord(line.toString('utf8'))
}

/** A parsed stored line as a record: format 1 is one already (its version aside); format 2 takes its body's text from the line. */
export function recordOf(parsed: Record<string, unknown>, line: string): DeliveryRecord {
  if (parsed.v === undefined) return parsed as unknown as DeliveryRecord
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const {v, body, bodySize, ...record} = parsed
  // One copy a line (replay reads a million): the body's text is added to it, not spread into another.
  if (v === RECORD_FORMAT) record.rawBody = bodyText(line, bodySize)
  return record as unknown as DeliveryRecord
}

/** The body of a format-2 line, as written: after the first `,"v":2,"bodySize":N,"body":`, up to the closing brace. */
function bodyText(line: string, bodySize: unknown): string {
  const sizeAt = line.indexOf(FORMAT_2_MEMBERS)
  const bodyAt = sizeAt === -1 ? -1 : line.indexOf(BODY_MEMBER, sizeAt + FORMAT_2_MEMBERS.length)
  const end = line.lastIndexOf('}')
  const text = bodyAt === -1 ? '' : line.slice(bodyAt + BODY_MEMBER.length, end)
  if (bodyAt === -1 || Buffer.byteLength(text) !== bodySize) throw new SyntaxError('a format-2 store line whose body is not where its bodySize says')
  return text
}

/** Where a format-2 line's metadata ends, and its body as text and as bytes. */
export interface StoredLineLayout {
  metadataEnd: number
  text: string
  body: Buffer
}

/**
 * A format-2 line read without parsing its body: where its metadata ends, and its body's text and bytes
 * (their size checked against bodySize). undefined when the line is anything else, or a format-2 line that
 * is not whole; the full reading (readRecord) decides what such a line is.
 */
export function storedLineBody(line: string): StoredLineLayout | undefined {
  if (!line.startsWith('{"id":"') || !line.endsWith('}')) return undefined
  const metadataEnd = line.indexOf(FORMAT_2_MEMBERS)
  if (metadataEnd === -1) return undefined
  let at = metadataEnd + FORMAT_2_MEMBERS.length
  let size = 0
  for (let code = line.charCodeAt(at); code >= 0x30 && code <= 0x39 && at - metadataEnd < 40; code = line.charCodeAt(++at)) size = size * 10 + code - 0x30
  if (!line.startsWith(BODY_MEMBER, at)) return undefined
  const text = line.slice(at + BODY_MEMBER.length, -1)
  const body = Buffer.from(text, 'utf8')
  return body.length === size ? {metadataEnd, text, body} : undefined
}

/** The record of a format-2 line whose body storedLineBody found, its body's text as rawBody; undefined when the metadata is not a record. */
export function storedLineMetadata(line: string, layout: StoredLineLayout): DeliveryRecord | undefined {
  let record: DeliveryRecord
  try {
    record = JSON.parse(`${line.slice(0, layout.metadataEnd)}}`) as DeliveryRecord
  } catch {
    return undefined
  }
  if (typeof record !== 'object' || record === null || typeof record.id !== 'string') return undefined
  record.rawBody = layout.text
  return record
}

const FORMAT_2_BYTES = Buffer.from(FORMAT_2_MEMBERS)
const BODY_MEMBER_BYTES = Buffer.from(BODY_MEMBER)

/**
 * A format-2 line read as bytes: where its metadata ends (its body comes after, and a body may hold any
 * key, so a search for the record's own keys stops there), and whether the line is whole (as long as its
 * bodySize says: a write cut short by a crash is not). undefined for a line of another format.
 */
export function format2Layout(line: Buffer): {metadataEnd: number; bodyStart: number; complete: boolean} | undefined {
  const metadataEnd = line.indexOf(FORMAT_2_BYTES)
  if (metadataEnd === -1) return undefined
  let at = metadataEnd + FORMAT_2_BYTES.length
  let size = 0
  while (at < line.length && line[at]! >= 0x30 && line[at]! <= 0x39 && at - metadataEnd < 40) size = size * 10 + line[at++]! - 0x30
  const complete = line.compare(BODY_MEMBER_BYTES, 0, BODY_MEMBER_BYTES.length, at, Math.min(at + BODY_MEMBER_BYTES.length, line.length)) === 0 && line.length === at + BODY_MEMBER_BYTES.length + size + 1 && line[line.length - 1] === 0x7d
  return {metadataEnd, bodyStart: at + BODY_MEMBER_BYTES.length, complete}
}
