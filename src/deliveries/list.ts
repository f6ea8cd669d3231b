import {readdir, stat} from 'node:fs/promises'
import {join} from 'node:path'

import {cursorPath, loadCursor} from '../forward/cursor.js'
import {expectedFields} from '../checks/expectations.js'
import {indexedDocument} from '../mapping/index.js'
import {findDelivery, newestFirst, type PartPosition, type StoreCursor} from './newest.js'
import {type Delivery, readDeliveries, readDeliveryBatches, type StorePart} from './source.js'
import {eventTypeMarks} from './prefilter.js'
import {redactSecrets} from './redact.js'
import {UserError} from '../errors.js'
import {stringAt} from '../store/key-scan.js'
import {jsonDepth, MAX_BODY_DEPTH} from '../zoom/limits.js'
import {type ConnectionGap, gapsWithin, readGaps} from '../websocket/connection-log.js'

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

/**
 * An interval without Zoom's WebSocket (serve --websocket): Zoom did not deliver the events of it, nor will.
 * Listed among the deliveries at its start, so that a missing event is seen where it is missing.
 */
export interface GapEntry {
  id: string
  /** The gap's start. */
  receivedAt: string
  verdict: 'gap'
  /** Absent while the gap lasts. */
  end?: string
  seconds?: number
  reason: string
  subscriptionId: string
}

export type ListedEntry = DeliveryEntry | GapEntry

export interface EntryFilter {
  verdicts?: Array<DeliveryEntry['verdict'] | 'gap'>
  events?: string[]
  since?: Date
  until?: Date
}

const PARTS: StorePart[] = ['accepted', 'refused', 'dead-letter']

/** Where the deliveries of each verdict are kept: copies are accepted deliveries marked duplicateOf. */
const VERDICT_PART: Partial<Record<DeliveryEntry['verdict'], StorePart>> = {accepted: 'accepted', duplicate: 'accepted', refused: 'refused', 'dead-letter': 'dead-letter'}

/** The parts of the store that hold the verdicts a filter asks for (all of them when it asks for none). */
export function wantedParts(filter: EntryFilter): StorePart[] {
  return PARTS.filter((part) => !filter.verdicts?.length || filter.verdicts.some((verdict) => verdict !== 'gap' && VERDICT_PART[verdict] === part))
}

export function entryOf(delivery: Delivery, part: StorePart): DeliveryEntry | undefined {
  if (delivery.rejection) return rejectedEntry(delivery)
  const record = delivery.record
  if (!record) return undefined
  const from = record.source?.transport === 'websocket' ? `websocket ${record.source.address}` : record.source?.address
  const base = {id: record.id, receivedAt: record.receivedAt, eventType: record.eventType, from}
  if (part === 'refused') return {...base, verdict: 'refused', status: record.refusal?.status, reason: record.refusal?.reason, detail: record.refusal?.detail}
  if (part === 'dead-letter') return {...base, verdict: 'dead-letter', reason: delivery.deadLetter?.sink, detail: delivery.deadLetter?.error}
  return {...base, verdict: record.duplicateOf ? 'duplicate' : 'accepted', ...(record.duplicateOf ? {duplicateOf: record.duplicateOf} : {})}
}

export function entryMatches(entry: DeliveryEntry | GapEntry, filter: EntryFilter): boolean {
  if (filter.verdicts?.length && !filter.verdicts.includes(entry.verdict)) return false
  if (entry.verdict !== 'gap' && filter.events?.length && !filter.events.includes(entry.eventType ?? '')) return false
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
 * as it must. The WebSocket's gaps of the same stretch of time come among them (not counted in `limit`);
 * requests serve did not store (rejected, probe) are listed only when asked for by verdict.
 */
export async function listDeliveries(dataDir: string, filter: EntryFilter, limit: number): Promise<ListedEntry[]> {
  const wantsGaps = !filter.verdicts?.length || filter.verdicts.includes('gap')
  const deliveryVerdicts = filter.verdicts?.filter((verdict) => verdict !== 'gap')
  const onlyGaps = Boolean(filter.verdicts?.length) && !deliveryVerdicts?.length
  const page = onlyGaps ? {entries: [] as DeliveryEntry[], next: undefined} : await pageOfDeliveries(dataDir, {...filter, verdicts: deliveryVerdicts}, {limit})
  let entries: ListedEntry[] = page.entries.reverse()
  if (deliveryVerdicts?.some((verdict) => !VERDICT_PART[verdict])) entries = [...entries, ...(await notStoredEntries(dataDir, filter))].sort((a, b) => a.receivedAt.localeCompare(b.receivedAt)).slice(-limit)
  if (!wantsGaps) return entries
  // A page cut at `limit` covers only its own stretch of time: gaps before its first delivery belong to older pages.
  const since = page.next && entries.length ? new Date(entries[0]!.receivedAt) : filter.since
  const gaps = gapsWithin(await readGaps(dataDir), since, filter.until).map(gapEntry)
  return [...entries, ...(onlyGaps ? gaps.slice(-limit) : gaps)].sort((a, b) => a.receivedAt.localeCompare(b.receivedAt))
}

/** The requests serve refused as unauthenticated (or doctor's probes) that match: kept apart, without a body. */
async function notStoredEntries(dataDir: string, filter: EntryFilter): Promise<DeliveryEntry[]> {
  const notStored: DeliveryEntry[] = []
  for await (const batch of readDeliveryBatches({kind: 'rejected', dataDir})) {
    for (const delivery of batch) {
      const entry = rejectedEntry(delivery)
      if (entry && entryMatches(entry, filter)) notStored.push(entry)
    }
  }
  return notStored
}

export function gapEntry(gap: ConnectionGap): GapEntry {
  return {
    id: `gap-${gap.start}`,
    receivedAt: gap.start,
    verdict: 'gap',
    ...(gap.end ? {end: gap.end, seconds: gap.seconds} : {}),
    reason: gap.reason,
    subscriptionId: gap.subscriptionId,
  }
}

/** A request serve did not store, as deliveries lists it: when, what it claimed to be, why, and from where. */
export function rejectedEntry(delivery: Delivery): DeliveryEntry | undefined {
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
  const wanted = wantedParts(filter)
  for (const part of PARTS) if (!wanted.includes(part)) from[part] = 'start'
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

/**
 * Every matching delivery, oldest first, streaming (an export of a whole store never holds it in memory):
 * the parts read forward side by side, merged by receive time.
 */
export async function* matchingDeliveries(dataDir: string, filter: EntryFilter, text?: string): AsyncGenerator<{entry: DeliveryEntry; delivery: Delivery}> {
  const readers = wantedParts(filter).map((part) => ({part, items: readDeliveries({kind: 'store', dataDir, part}, {eventTypes: filter.events})[Symbol.asyncIterator]()}))
  const heads = await Promise.all(readers.map(({items}) => items.next()))
  const needle = text?.toLowerCase()
  for (;;) {
    let first = -1
    for (const [index, head] of heads.entries()) {
      if (head.done) continue
      if (first === -1 || (head.value.record?.receivedAt ?? '') < (heads[first]!.value?.record?.receivedAt ?? '')) first = index
    }
    if (first === -1) return
    const delivery = heads[first]!.value as Delivery
    heads[first] = await readers[first]!.items.next()
    const entry = entryOf(delivery, readers[first]!.part)
    if (entry && entryMatches(entry, filter) && (!needle || JSON.stringify(entry).toLowerCase().includes(needle))) yield {entry, delivery}
  }
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
  /** What keeps it from being mapped (nested too deep, a mapping that failed): its body is then shown as received text. */
  problem?: string
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
  'too-deep': 'nested far deeper than any Zoom event: not a body Zoom sends (kept here to be looked at, not replayed)',
}

/** Everything about one delivery, found by id in any part of the store (`hint`: its receive time, to look in its day first). */
export async function showDelivery(dataDir: string, id: string, options: {integrationVersion?: string; showSecrets?: boolean; hint?: string}): Promise<DeliveryDetail | undefined> {
  const found = await findDelivery(dataDir, PARTS, id, options.hint)
  const record = found?.delivery.record
  if (!found || !record) return undefined
  const entry = entryOf(found.delivery, found.part)!
  const {body, document, problem} = mappedForShow(found.delivery, record.receivedAt, options)
  const hint = entry.reason ? HINTS[entry.reason]?.replace('<id>', id) : entry.verdict === 'dead-letter' ? `fix the cause, then zoomctl replay --from dead-letter --id ${id}` : undefined
  const sinks = found.part === 'accepted' ? await sinkStates(dataDir, found.position, id) : []
  return {
    entry,
    headers: record.headers,
    body,
    rawBodyBytes: found.delivery.rawBody.length,
    ...(document ? {document, checkedFields: expectedFields(entry.eventType ?? '', options.integrationVersion)} : {}),
    ...(hint ? {hint} : {}),
    ...(sinks.length ? {sinks} : {}),
    ...(problem ? {problem} : {}),
  }
}

/** A body shown as received text: the start of it, enough to see what it is. */
const SHOWN_TEXT = 4096

/**
 * The body and its document as shown (secrets redacted unless asked). A body nested deeper than serve
 * accepts, or one whose mapping fails, is shown as its text with what went wrong: one odd record never
 * makes the page or the command fail.
 */
function mappedForShow(delivery: Delivery, receivedAt: string, options: {integrationVersion?: string; showSecrets?: boolean}): {body: unknown; document?: unknown; problem?: string} {
  const asText = (problem: string) => {
    const text = delivery.rawBody.subarray(0, SHOWN_TEXT).toString('utf8')
    return {body: delivery.rawBody.length > SHOWN_TEXT ? `${text}… (${delivery.rawBody.length - SHOWN_TEXT} more bytes)` : text, problem}
  }
  const depth = jsonDepth(delivery.rawBody)
  if (depth > MAX_BODY_DEPTH) return asText(`the body nests ${depth} levels, deeper than the ${MAX_BODY_DEPTH} serve accepts (Zoom's deepest nests 7): not mapped, shown as received`)
  const body = delivery.body
  try {
    const document = body !== undefined && typeof body === 'object' ? indexedDocument(body, {receivedAt: new Date(receivedAt), integrationVersion: options.integrationVersion}) : undefined
    if (options.showSecrets) return {body, document}
    return {body: redactSecrets(body), ...(document ? {document: redactSecrets(document)} : {})}
  } catch (error) {
    return asText(`cannot map this body to Elastic's document: ${(error as Error).message}`)
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
