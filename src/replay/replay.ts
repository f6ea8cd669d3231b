import type {Dispatcher} from 'undici'

import {UserError} from '../errors.js'
import {applyAssignment, parseAssignment} from '../config/parse.js'
import type {Delivery, SourceSpec} from '../deliveries/source.js'
import {sendDelivery} from '../sender/client.js'
import {type PreparedDelivery, prepareDelivery} from '../sender/prepare.js'
import {appendRunRecords, type RunRecord, runRecord} from '../sender/record.js'
import {type DeliveryReport, DeliveryStats} from '../sender/stats.js'
import {toCurl} from '../sender/curl.js'
import {type AuthSettings, modeHeader} from '../zoom/auth.js'
import {delay} from '../timing.js'
import {Checkpoint} from './checkpoint.js'
import {keptBackOrigin, recordReplayed, type ReplayedEntry} from './replayed.js'
import {type DeliveryFilter, deliveryTime, selectDeliveries, type SourceTally} from './select.js'

export interface ReplayOptions {
  sources: SourceSpec[]
  filter: DeliveryFilter
  url: string
  auth: AuthSettings
  dispatcher: Dispatcher
  concurrency: number
  /** Deliveries per second (0: as fast as the concurrency allows). */
  rate: number
  /** Re-enact the capture's own spacing, divided by this (1: as it happened). */
  speed?: number
  /** --set path=value: the body is re-serialised (and said so), otherwise sent byte for byte. */
  overrides: string[]
  checkpointPath?: string
  /** Describes the selection, so that a checkpoint is only resumed by the same replay. */
  selection: string
  recordPath?: string
  extraHeaders?: Record<string, string>
  /** Print each request as curl instead of sending it (credentials as env references). */
  dryRun?: (curl: string) => void
  signal?: AbortSignal
  onProgress?: (report: {done: number; succeeded: number}) => void
  /** How many the selection holds, counted before sending (see countSelected), when the sources could be read twice. */
  selected?: number
}

export interface ReplayFailure {
  id: string
  event?: string
  status?: number
  error?: string
}

export interface ReplayReport extends DeliveryReport {
  /** Run with --checkpoint: the same command again goes on where this one stopped. */
  resumable: boolean
  /** Selected and not skipped: sent, or printed by a dry run. */
  planned: number
  /** What the selection holds, counted before sending (when the sources could be read twice). */
  selected?: number
  /** Refused deliveries and dead letters of a data dir that the endpoint acknowledged: recorded there as replayed. */
  replayedKeptBack: number
  /** Skipped because the checkpoint says they were acknowledged in an earlier run. */
  alreadyAcknowledged: number
  /** Bodies changed by --set and re-serialised. */
  reserialised: boolean
  /** Bodies rebuilt from Elasticsearch's zoom.* fields, for want of event.original. */
  reconstructed: number
  /** Acknowledged by a zoomctl serve as copies of events it had stored already (kept, marked, not indexed again). */
  copies: number
  interrupted: boolean
  /** The first failures, for the summary (all are counted in failed). */
  failures: ReplayFailure[]
  /** Lines of the sources that are no delivery (not JSON, or torn by a crash): skipped. */
  unreadable: number
  /** Where the first of them are (file:line). */
  unreadableAt: string[]
}

/** The bytes to send: as captured, or with --set applied (then re-serialised). */
export function replayBody(delivery: Delivery, overrides: Array<{path: string[]; value: unknown}>): Buffer {
  if (!overrides.length) return delivery.rawBody
  const body = structuredClone((delivery.body ?? JSON.parse(delivery.rawBody.toString('utf8'))) as Record<string, unknown>)
  for (const override of overrides) applyAssignment(body, override)
  return Buffer.from(JSON.stringify(body))
}

/**
 * Sends captured deliveries again, each re-signed with a fresh timestamp (a stale signature would be
 * refused), reading and sending at once so that memory stays flat whatever the size of the source.
 */
export async function runReplay(options: ReplayOptions): Promise<ReplayReport> {
  const overrides = options.overrides.map(parseAssignment)
  const checkpoint = options.checkpointPath ? await Checkpoint.open(options.checkpointPath, options.selection) : undefined
  const stats = new DeliveryStats()
  const failures: ReplayFailure[] = []
  const recorded: RunRecord[] = []
  const replayed = new Map<string, ReplayedEntry[]>()
  let replayedKeptBack = 0
  // Bodies go as their bytes are unless --set changes them: only then are they parsed.
  const tally: SourceTally = {deliveries: 0, unreadable: 0, unreadableAt: []}
  const source = selectDeliveries(options.sources, options.filter, {bodies: overrides.length > 0, eventTypes: options.filter.events}, tally)
  const started = performance.now()
  const interval = options.rate > 0 ? 1000 / options.rate : 0
  const paced = interval > 0 || Boolean(options.speed)
  let position = 0
  let alreadyAcknowledged = 0
  let planned = 0
  let reconstructed = 0
  let copies = 0
  let firstAt: number | undefined

  const flushRecords = async () => {
    if (options.recordPath && recorded.length) await appendRunRecords(options.recordPath, recorded.splice(0))
    for (const [dataDir, entries] of replayed) await recordReplayed(dataDir, entries.splice(0))
  }

  // The workers take from one batch at a time; the first to find it empty reads the next for all of them.
  // A delivery's position (what the checkpoint records) is given as it is taken, in the selection's order.
  let batch: Delivery[] = []
  let taken = 0
  let reading: Promise<boolean> | undefined
  const take = (): [Delivery, number] => [batch[taken++]!, position++]
  const nextDelivery = async (): Promise<[Delivery, number] | undefined> => {
    while (taken >= batch.length) {
      reading ??= source.next().then((next) => {
        reading = undefined
        if (next.done) return false
        batch = next.value
        taken = 0
        return true
      })
      if (!(await reading)) return undefined
    }
    return take()
  }

  const worker = async () => {
    for (;;) {
      if (options.signal?.aborted) return
      const next = taken < batch.length ? take() : await nextDelivery()
      if (!next) return
      const [delivery, index] = next
      if (checkpoint?.has(index)) {
        alreadyAcknowledged++
        continue
      }
      planned++
      if (delivery.reconstructed) reconstructed++
      const body = replayBody(delivery, overrides)
      if (options.dryRun) {
        const secret = modeHeader(options.auth)
        options.dryRun(`# ${delivery.eventType ?? 'delivery'} ${delivery.id}\n${toCurl(options.url, prepareDelivery(body, options.auth, {extraHeaders: options.extraHeaders}), secret ? {name: secret[0], mode: options.auth.mode} : undefined)}`)
        continue
      }
      // Unpaced (no --rate, no --speed), nothing waits here: not even a turn of the microtask queue.
      if (paced) {
        await pace(index, delivery)
        if (options.signal?.aborted) return
      }
      const prepared: PreparedDelivery = prepareDelivery(body, options.auth, {extraHeaders: options.extraHeaders})
      const sentAt = new Date()
      // Only a refusal's answer is shown (the first failures); an acknowledgement's is counted, not kept.
      const result = await sendDelivery(options.url, prepared, options.dispatcher, {keepAnswer: 'failures', noticeCopies: true})
      const ok = stats.record(result)
      if (result.copy) copies++
      if (ok) {
        await checkpoint?.acknowledge(index)
        const kept = keptBackOrigin(delivery)
        if (kept) {
          const entries = replayed.get(kept.dataDir) ?? []
          replayed.set(kept.dataDir, entries)
          entries.push({part: kept.part, id: delivery.id, at: sentAt.toISOString(), to: new URL(options.url).origin})
          replayedKeptBack++
        }
      }
      else if (failures.length < 20) failures.push({id: delivery.id, event: delivery.eventType, status: result.status, error: result.error ?? result.responseBody.slice(0, 200)})
      if (options.recordPath) {
        recorded.push(runRecord(delivery.eventType ?? 'unknown', sentAt, result.status, body))
        if (recorded.length >= 500) await flushRecords()
      }
      options.onProgress?.({done: stats.done, succeeded: stats.succeeded})
    }
  }

  /** Waits for the delivery's turn: a steady rate, or the capture's own spacing scaled by --speed. */
  const pace = async (index: number, delivery: Delivery) => {
    let due = started + index * interval
    if (options.speed) {
      const at = deliveryTime(delivery)
      if (at !== undefined) {
        firstAt ??= at
        due = started + (at - firstAt) / options.speed
      }
    }
    const wait = due - performance.now()
    if (wait > 0) await delay(wait, options.signal)
  }

  try {
    // --speed re-enacts an order: one at a time keeps it.
    const workers = options.speed ? 1 : Math.max(1, options.concurrency)
    await Promise.all(Array.from({length: workers}, worker))
  } finally {
    await flushRecords()
    await checkpoint?.save()
    await source.return(undefined)
  }
  const report = stats.report()
  stats.destroy()
  if (!tally.unreadable && !tally.deliveries && options.sources.some((source) => source.kind === 'stdin')) {
    throw new UserError('nothing to replay: standard input was empty', {code: 'no-deliveries', hint: 'pipe NDJSON into it (store lines, run-file lines or Zoom bodies), or name a file or data dir'})
  }
  if (tally.unreadable && !tally.deliveries && !options.signal?.aborted) {
    throw new UserError(`no delivery to replay: ${tally.unreadable} line(s) read, none a delivery (not JSON, or cut short): ${tally.unreadableAt.join(', ')}`, {
      code: 'no-deliveries',
      hint: "replay reads serve's data dir or store files, dead letters, run files of simulate --record, NDJSON of Zoom bodies or store lines, or - for standard input",
    })
  }
  return {...report, planned, ...(options.selected === undefined ? {} : {selected: options.selected}), replayedKeptBack, reconstructed, copies, alreadyAcknowledged, reserialised: overrides.length > 0, interrupted: Boolean(options.signal?.aborted), resumable: Boolean(checkpoint), failures, unreadable: tally.unreadable, unreadableAt: tally.unreadableAt}
}
