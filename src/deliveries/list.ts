import {readdir, stat} from 'node:fs/promises'
import {join} from 'node:path'

import {cursorPath, loadCursor, START} from '../forward/cursor.js'
import {StoreTail} from '../forward/tail.js'
import {expectedFields} from '../checks/expectations.js'
import {indexedDocument} from '../mapping/index.js'
import {findDelivery, newestFirst, type PartPosition, type StoreCursor} from './newest.js'
import {type Delivery, readDeliveryBatches, type StorePart} from './source.js'
import {eventTypeMarks} from './prefilter.js'
import {redactSecrets} from './redact.js'
import {UserError} from '../errors.js'
import {stringAt} from '../store/key-scan.js'

/** One line of `zoomctl deliveries`: what came, when, and what serve made of it. */
export interface DeliveryEntry {
  id: string
  receivedAt: string
  eventType?: string
  /** rejected: refused as unauthenticated, not stored (no body); probe: a doctor test event, answered and not stored. */
  verdict: 'accepted' | 'duplicate' | 'refused' | 'dead-letter' | 'rejected' | 'probe'
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

/** Where the deliveries of each verdict are kept: copies are accepted deliveries marked duplicateOf. */
const VERDICT_PART: Partial<Record<DeliveryEntry['verdict'], StorePart>> = {accepted: 'accepted', duplicate: 'accepted', refused: 'refused', 'dead-letter': 'dead-letter'}

export function entryOf(delivery: Delivery, part: StorePart): DeliveryEntry | undefined {
  if (delivery.rejection) return rejectedEntry(delivery)
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

/** Whether serve's data dir is there (a directory). */
export async function dataDirExists(dataDir: string): Promise<boolean> {
  return stat(dataDir).then(
    (stats) => stats.isDirectory(),
    () => false,
  )
}

/**
 * A data dir that is not there is more likely a wrong path than a store with nothing in it: said so,
 * rather than listing nothing.
 */
export async function assertDataDir(dataDir: string): Promise<void> {
  if (!(await dataDirExists(dataDir))) {
    throw new UserError(`no data dir at ${dataDir}: serve has not stored anything there`, {
      code: 'no-data-dir',
      hint: "name serve's data dir (the argument, --data-dir or ZOOMCTL_DATA_DIR), or start zoomctl serve",
    })
  }
}

/**
 * The last `limit` matching deliveries of a data dir, oldest first; reads from the newest back, only as far
 * as it must. Requests serve did not store (rejected, probe) are listed only when asked for by verdict.
 */
export async function listDeliveries(dataDir: string, filter: EntryFilter, limit: number): Promise<DeliveryEntry[]> {
  const page = await pageOfDeliveries(dataDir, filter, {limit})
  const stored = page.entries.reverse()
  if (!filter.verdicts?.some((verdict) => !VERDICT_PART[verdict])) return stored
  const notStored: DeliveryEntry[] = []
  for await (const batch of readDeliveryBatches({kind: 'rejected', dataDir})) {
    for (const delivery of batch) {
      const entry = rejectedEntry(delivery)
      if (entry && entryMatches(entry, filter)) notStored.push(entry)
    }
  }
  return [...stored, ...notStored].sort((a, b) => a.receivedAt.localeCompare(b.receivedAt)).slice(-limit)
}

/** A request serve did not store, as deliveries lists it: when, what it claimed to be, why, and from where. */
function rejectedEntry(delivery: Delivery): DeliveryEntry | undefined {
  const rejection = delivery.rejection
  if (!rejection || !delivery.receivedAt) return undefined
  return {id: delivery.id, receivedAt: delivery.receivedAt, ...(delivery.eventType ? {eventType: delivery.eventType} : {}), verdict: rejection.verdict, status: rejection.status, reason: rejection.reason, from: rejection.from}
}

export interface PageOptions {
  limit: number
  /** Case-insensitive text the entry must contain (id, type, verdict, reason …). */
  text?: string
  /** Where the previous page stopped. */
  cursor?: StoreCursor
  /** At most this many deliveries read for one page (a rare filter on a huge store answers in parts). */
  scanLimit?: number
  /**
   * Parse the bodies too (an export writes them back as they were stored). A listing needs only each line's
   * metadata: serve's lines are then read without parsing their bodies (a scan of 200,000: 2.2 → 1.6 s).
   */
  bodies?: boolean
}

export interface DeliveryPage {
  /** Newest first. */
  entries: DeliveryEntry[]
  /** The deliveries themselves, in the same order. */
  deliveries: Delivery[]
  /** Where the next (older) page starts; absent when the store has nothing older. */
  next?: StoreCursor
  scanned: number
}

/** A page of matching deliveries, newest first, reading the store backwards from the cursor. */
export async function pageOfDeliveries(dataDir: string, filter: EntryFilter, options: PageOptions): Promise<DeliveryPage> {
  const entries: DeliveryEntry[] = []
  const deliveries: Delivery[] = []
  const text = options.text?.toLowerCase()
  let scanned = 0
  let next: StoreCursor | undefined
  // A page bounded by scanLimit reads that many deliveries at most; only an unbounded one skips lines unparsed.
  const keepLine = options.scanLimit === undefined ? eventTypePrefilter(filter) : undefined
  // A part that holds none of the verdicts asked for is not read at all: done from the start.
  const from: StoreCursor = {...options.cursor}
  for (const part of PARTS) if (filter.verdicts?.length && !filter.verdicts.some((verdict) => VERDICT_PART[verdict] === part)) from[part] = 'start'
  for await (const {part, delivery, cursor} of newestFirst(dataDir, PARTS, from, {bodies: options.bodies ?? false, keepLine})) {
    scanned++
    next = cursor
    const entry = entryOf(delivery, part)
    if (entry && filter.since && Date.parse(entry.receivedAt) < filter.since.getTime()) {
      // Newest first: everything after this is older still.
      next = undefined
      break
    }
    if (entry && entryMatches(entry, filter) && (!text || JSON.stringify(entry).toLowerCase().includes(text))) {
      entries.push(entry)
      deliveries.push(delivery)
      if (entries.length >= options.limit) break
    }
    if (options.scanLimit !== undefined && scanned >= options.scanLimit) break
  }
  const exhausted = next === undefined || PARTS.every((part) => next![part] === 'start')
  return {entries, deliveries, ...(exhausted ? {} : {next}), scanned}
}

const RECEIVED_AT = Buffer.from('"receivedAt":"')

/**
 * For an --event filter: whether a stored line may be of one of its types, told from its bytes (see
 * eventTypeMarks). A line received before --since is kept, so that reading stops there as it would
 * without this.
 */
export function eventTypePrefilter(filter: EntryFilter): ((line: Buffer) => boolean) | undefined {
  const marks = eventTypeMarks(filter.events)?.map((mark) => Buffer.from(mark))
  if (!marks) return undefined
  const since = filter.since?.getTime()
  return (line) => {
    for (const mark of marks) if (line.includes(mark)) return true
    return since !== undefined && !(lineReceivedAt(line) >= since)
  }
}

/** The receive time of a store line from its first bytes (serve writes id, then receivedAt); NaN when it is not there. */
function lineReceivedAt(line: Buffer): number {
  const at = line.subarray(0, 256).indexOf(RECEIVED_AT)
  if (at === -1) return Number.NaN
  const text = stringAt(line, at + RECEIVED_AT.length)
  return text === undefined ? Number.NaN : Date.parse(text)
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
  /** The ECS fields validate expects for its type at this integration version (highlighted by the inspector). */
  checkedFields?: string[]
  /** For a refused one: what to do. */
  hint?: string
  /** For an accepted one, where each of serve's forwarding sinks stands with it. */
  sinks?: SinkState[]
}

export interface SinkState {
  sink: string
  /** delivered: the sink's cursor is past it; pending: not yet; dead-letter: the sink gave up on it. */
  state: 'delivered' | 'pending' | 'dead-letter'
  error?: string
}

const HINTS: Record<string, string> = {
  'stale-timestamp': 'a late retry or a clock off by minutes: widen --tolerance, then zoomctl replay --from refused --id <id>',
  'malformed-timestamp': 'signed with a timestamp in milliseconds: replay it with zoomctl replay --from refused --id <id>',
  'too-large': 'raise --max-body, then zoomctl replay --from refused --id <id>',
  'malformed-json': 'the body is not JSON: what sent it is not Zoom, or it was cut short',
  'no-event': 'JSON without an "event": not a Zoom webhook body',
  'bad-challenge': 'a URL-validation request without a plainToken: not from Zoom',
}

/** Everything about one delivery, found by id in any part of the store (`hint`: its receive time, to look in its day first). */
export async function showDelivery(dataDir: string, id: string, options: {integrationVersion?: string; showSecrets?: boolean; hint?: string}): Promise<DeliveryDetail | undefined> {
  const found = await findDelivery(dataDir, PARTS, id, options.hint)
  const record = found?.delivery.record
  if (!found || !record) return undefined
  const entry = entryOf(found.delivery, found.part)!
  const body = found.delivery.body
  const document = body !== undefined && typeof body === 'object' ? indexedDocument(body, {receivedAt: new Date(record.receivedAt), integrationVersion: options.integrationVersion}) : undefined
  const hint = entry.reason ? HINTS[entry.reason]?.replace('<id>', id) : entry.verdict === 'dead-letter' ? `fix the cause, then zoomctl replay --from dead-letter --id ${id}` : undefined
  const sinks = found.part === 'accepted' ? await sinkStates(dataDir, found.position, id) : []
  return {
    entry,
    headers: record.headers,
    body: options.showSecrets ? body : redactSecrets(body),
    rawBodyBytes: found.delivery.rawBody.length,
    ...(document ? {document: options.showSecrets ? document : redactSecrets(document), checkedFields: expectedFields(entry.eventType ?? '', options.integrationVersion)} : {}),
    ...(hint ? {hint} : {}),
    ...(sinks.length ? {sinks} : {}),
  }
}

/** Where each sink that serve forwards to stands with one stored delivery: its cursor past it or not, or a dead letter. */
async function sinkStates(dataDir: string, position: PartPosition, id: string): Promise<SinkState[]> {
  let names: string[]
  try {
    names = (await readdir(join(dataDir, 'cursors'))).filter((name) => name.endsWith('.json'))
  } catch {
    return []
  }
  const dead = names.length ? await findDelivery(dataDir, ['dead-letter'], id) : undefined
  const states: SinkState[] = []
  for (const name of names.sort()) {
    const sink = name.slice(0, -'.json'.length)
    if (dead?.delivery.deadLetter?.sink === sink) {
      states.push({sink, state: 'dead-letter', ...(dead.delivery.deadLetter.error ? {error: dead.delivery.deadLetter.error} : {})})
      continue
    }
    const cursor = await loadCursor(cursorPath(dataDir, sink)).catch(() => undefined)
    if (!cursor) continue
    const past = cursor.file > position.file || (cursor.file === position.file && cursor.offset > position.offset)
    states.push({sink, state: past ? 'delivered' : 'pending'})
  }
  return states
}
