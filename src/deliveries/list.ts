import {indexedDocument} from '../mapping/index.js'
import {START} from '../forward/cursor.js'
import {StoreTail} from '../forward/tail.js'
import type {DeliveryRecord} from '../store/records.js'
import {type Delivery, readDeliveries, type StorePart} from './source.js'
import {redactSecrets} from './redact.js'

/** One line of `zoomctl deliveries`: what came, when, and what serve made of it. */
export interface DeliveryEntry {
  id: string
  receivedAt: string
  eventType?: string
  verdict: 'accepted' | 'duplicate' | 'refused' | 'dead-letter'
  /** What serve answered (refused), or why a sink gave up (dead letter). */
  status?: number
  reason?: string
  detail?: string
  duplicateOf?: string
  from?: string
}

export interface EntryFilter {
  verdicts?: DeliveryEntry['verdict'][]
  events?: string[]
  since?: Date
  until?: Date
}

const PARTS: StorePart[] = ['accepted', 'refused', 'dead-letter']

export function entryOf(delivery: Delivery, part: StorePart): DeliveryEntry | undefined {
  const record = delivery.record
  if (!record) return undefined
  const base = {id: record.id, receivedAt: record.receivedAt, eventType: record.eventType, from: record.source?.address}
  if (part === 'refused') return {...base, verdict: 'refused', status: record.refusal?.status, reason: record.refusal?.reason, detail: record.refusal?.detail}
  if (part === 'dead-letter') return {...base, verdict: 'dead-letter', reason: delivery.deadLetter?.sink, detail: delivery.deadLetter?.error}
  return {...base, verdict: record.duplicateOf ? 'duplicate' : 'accepted', ...(record.duplicateOf ? {duplicateOf: record.duplicateOf} : {})}
}

export function entryMatches(entry: DeliveryEntry, filter: EntryFilter): boolean {
  if (filter.verdicts?.length && !filter.verdicts.includes(entry.verdict)) return false
  if (filter.events?.length && !filter.events.includes(entry.eventType ?? '')) return false
  const at = Date.parse(entry.receivedAt)
  if (filter.since && at < filter.since.getTime()) return false
  if (filter.until && at > filter.until.getTime()) return false
  return true
}

/** The last `limit` matching deliveries of a data dir, oldest first (memory: a ring of `limit` per part). */
export async function listDeliveries(dataDir: string, filter: EntryFilter, limit: number): Promise<DeliveryEntry[]> {
  const merged: DeliveryEntry[] = []
  // Each part is in time order on its own, so the last `limit` of each hold the last `limit` of all.
  for (const part of PARTS) {
    const ring: DeliveryEntry[] = []
    for await (const delivery of readDeliveries({kind: 'store', dataDir, part})) {
      const entry = entryOf(delivery, part)
      if (!entry || !entryMatches(entry, filter)) continue
      ring.push(entry)
      if (ring.length > limit * 2) ring.splice(0, ring.length - limit)
    }
    merged.push(...ring.slice(-limit))
  }
  return merged.sort((a, b) => a.receivedAt.localeCompare(b.receivedAt)).slice(-limit)
}

/** New accepted and refused deliveries as serve stores them, until the signal aborts. */
export async function* followDeliveries(dataDir: string, filter: EntryFilter, signal: AbortSignal): AsyncGenerator<DeliveryEntry> {
  // Start at the end of what exists: only what comes from now on.
  const tails = await Promise.all(
    (['accepted', 'refused'] as const).map(async (part) => {
      const tail = new StoreTail(dataDir, START, part)
      await tail.skipToEnd()
      return {part, tail}
    }),
  )
  while (!signal.aborted) {
    let any = false
    for (const {part, tail} of tails) {
      for (const {record} of await tail.read(1000, 8 << 20)) {
        any = true
        const entry = entryOf({id: record.id, rawBody: Buffer.alloc(0), record, origin: ''}, part)
        if (entry && entryMatches(entry, filter)) yield entry
      }
    }
    if (!any) await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

export interface DeliveryDetail {
  entry: DeliveryEntry
  headers: Record<string, string>
  /** The body as received, parsed when it is JSON; secrets redacted unless asked. */
  body: unknown
  rawBodyBytes: number
  /** The document Elastic's integration indexes for it. */
  document?: unknown
  /** For a refused one: what to do. */
  hint?: string
}

const HINTS: Record<string, string> = {
  'stale-timestamp': 'a late retry or a clock off by minutes: widen --tolerance, then zoomctl replay --from refused --id <id>',
  'malformed-timestamp': 'signed with a timestamp in milliseconds: replay it with zoomctl replay --from refused --id <id>',
  'too-large': 'raise --max-body, then zoomctl replay --from refused --id <id>',
  'malformed-json': 'the body is not JSON: what sent it is not Zoom, or it was cut short',
  'no-event': 'JSON without an "event": not a Zoom webhook body',
  'bad-challenge': 'a URL-validation request without a plainToken: not from Zoom',
}

/** Everything about one delivery, found by id in any part of the store. */
export async function showDelivery(dataDir: string, id: string, options: {integrationVersion?: string; showSecrets?: boolean}): Promise<DeliveryDetail | undefined> {
  for (const part of PARTS) {
    for await (const delivery of readDeliveries({kind: 'store', dataDir, part})) {
      if (delivery.id !== id || !delivery.record) continue
      const entry = entryOf(delivery, part)!
      const record: DeliveryRecord = delivery.record
      const body = delivery.body
      const document = body !== undefined && typeof body === 'object' ? indexedDocument(body, {receivedAt: new Date(record.receivedAt), integrationVersion: options.integrationVersion}) : undefined
      const hint = entry.reason ? HINTS[entry.reason]?.replace('<id>', id) : entry.verdict === 'dead-letter' ? `fix the cause, then zoomctl replay --from dead-letter --id ${id}` : undefined
      return {
        entry,
        headers: record.headers,
        body: options.showSecrets ? body : redactSecrets(body),
        rawBodyBytes: delivery.rawBody.length,
        ...(document ? {document: options.showSecrets ? document : redactSecrets(document)} : {}),
        ...(hint ? {hint} : {}),
      }
    }
  }
  return undefined
}

