import {isUtf8} from 'node:buffer'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

/** One delivery as the receiver saw it: enough to explain it, map it again, and replay it byte for byte. */
export interface DeliveryRecord {
  id: string
  receivedAt: string
  source: {address: string; port?: number}
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
