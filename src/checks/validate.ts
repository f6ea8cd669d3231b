import {readFile} from 'node:fs/promises'

import {fileProblem} from '../config/files.js'
import {OptionError} from '../config/parse.js'
import {assertDataDir} from '../deliveries/list.js'
import {partInWindow} from '../deliveries/newest.js'
import type {ElasticConnection, ElasticSettings} from '../elastic/connection.js'
import {ZOOM_PATTERN, zoomDataStream} from '../elastic/names.js'
import type {TimeWindow} from '../elastic/queries.js'
import {indexedDocument, LATEST_KNOWN_VERSION} from '../mapping/index.js'
import {documentDifferences, fieldValues} from '../mapping/fields.js'
import {readReplayed} from '../replay/replayed.js'
import {dedupeKey} from '../store/dedupe.js'
import {parseRunFile, type RunRecord} from '../sender/record.js'
import {readServedRecords, type ServedRecord} from '../reports/served-file.js'
import type {ReportStream} from '../zoom/reports.js'
import {type ArrivalExpectations, type ArrivalStats, fieldsToCount, judgeArrivals, judgeKeptBack, type KeptBack} from './arrivals.js'
import {judgeDuplicates} from './duplicates.js'
import {judgeAssets, judgeCluster, judgePrivileges, READ_PRIVILEGES} from './cluster.js'
import {ecsFieldNames, isVolatileField} from './expectations.js'
import {type Check, type CheckSummary, summarize} from './model.js'
import {identityTerms, judgeRun, type RunResult} from './run.js'
import {readGaps} from '../websocket/connection-log.js'
import {judgeGaps} from './doctor/websocket-judge.js'

export interface ValidateOptions {
  /** Elasticsearch, or… */
  elastic?: ElasticSettings
  /** …serve's data dir, with no Elasticsearch at all. */
  localDir?: string
  window: TimeWindow
  events: string[]
  require: string[]
  integrationVersion?: string
  /** A run file of simulate --record: find each delivery and compare its document. */
  runFile?: string
  /** Poll until the run's deliveries are all found, at most this long. */
  waitMs?: number
  onProgress?: (text: string) => void
  /** Count documents of one Zoom event indexed more than once (by their dedupe key). */
  duplicates?: boolean
  /** For tests: how long between polls. */
  pollMs?: number
  /** An audit data stream instead of the webhook one; --run is then a file of simulate-api --record. */
  dataStream?: ReportStream
}

export interface ValidateReport {
  target: string
  integrationVersion: string
  window: {since: string; until: string}
  checks: Check[]
  summary: CheckSummary
}

export async function runValidate(options: ValidateOptions): Promise<ValidateReport> {
  if (options.dataStream) {
    const report = await validateAuditStream(options.dataStream, options)
    return {...report, window: {since: options.window.since.toISOString(), until: options.window.until.toISOString()}, summary: summarize(report.checks)}
  }
  const run = options.runFile ? await readRun(options.runFile) : undefined
  const report = options.localDir ? await validateLocal(options.localDir, options, run) : await validateElastic(options, run)
  // The window the checks read: a run's widens --since's to cover it, and the report says so.
  const window = windowFor(options.window, run)
  return {...report, window: {since: window.since.toISOString(), until: window.until.toISOString()}, summary: summarize(report.checks)}
}

async function validateAuditStream(stream: ReportStream, options: ValidateOptions) {
  if (options.localDir) throw new OptionError(`--local checks serve's store, which holds webhook deliveries only: the ${stream} stream is checked in Elasticsearch`)
  if (!options.elastic) throw new OptionError('name Elasticsearch (--es-url or --cloud-id, or ELASTICSEARCH_HOSTS)')
  let served: ServedRecord[] | undefined
  if (options.runFile) {
    const all = await readServedRecords(options.runFile)
    served = all.filter((entry) => entry.stream === stream)
    if (!served.length) throw new OptionError(`${options.runFile} holds no ${stream} record`, {hint: all.length ? `it holds ${[...new Set(all.map((entry) => entry.stream))].join(', ')}: use that --data-stream` : 'simulate-api --record writes a record per line as it serves them'})
  }
  const {validateReportStream} = await import('./validate-reports.js')
  return validateReportStream(stream, options, served)
}

async function readRun(path: string): Promise<RunRecord[]> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    throw new OptionError(`cannot read the run file ${path}: ${fileProblem(error)}`)
  }
  const records = parseRunFile(text, path)
  if (!records.length) throw new OptionError(`${path} holds no deliveries: write it with simulate --record ${path}`)
  return records
}

/** A run's window must cover it, whatever --since says. */
function windowFor(window: TimeWindow, run: RunRecord[] | undefined): TimeWindow {
  if (!run?.length) return window
  const first = Math.min(...run.map((record) => Date.parse(record.sentAt)))
  return {since: new Date(Math.min(window.since.getTime(), first - 60_000)), until: new Date(Math.max(window.until.getTime(), Date.now() + 60_000))}
}

async function validateElastic(options: ValidateOptions, run: RunRecord[] | undefined) {
  if (!options.elastic) throw new OptionError('name Elasticsearch (--es-url or --cloud-id, or ELASTICSEARCH_HOSTS) or check serve\'s store with --local')
  const settings = options.elastic
  const progress = options.onProgress ?? (() => {})
  progress('connecting to Elasticsearch')
  // The client is loaded by the checks that talk to Elasticsearch only: validate --local starts without it.
  const {connectElastic} = await import('../elastic/connection.js')
  const {countArrivals, findDuplicates, readPrivileges, readZoomAssets} = await import('../elastic/queries.js')
  const connection = await connectElastic(settings)
  try {
    const checks: Check[] = [judgeCluster(connection.info, connection.credential)]
    progress('checking privileges and the Zoom integration')
    const privileges = await readPrivileges(connection, READ_PRIVILEGES, [])
    const privilegeCheck = judgePrivileges(privileges, READ_PRIVILEGES, ZOOM_PATTERN)
    checks.push(privilegeCheck)
    const dataStream = zoomDataStream(settings.namespace)
    if (options.duplicates) {
      // Both streams serve writes to, the integration's and --pre-map's logs-zoomctl.webhook-*: whichever exists.
      const streams = `logs-zoom*.webhook-${settings.namespace}`
      progress(`counting copies in ${streams}`)
      checks.push(judgeDuplicates(await findDuplicates(connection, streams, options.window)))
      return {target: streams, integrationVersion: options.integrationVersion ?? LATEST_KNOWN_VERSION, checks}
    }
    const assets = judgeAssets(await readZoomAssets(connection), dataStream, options.integrationVersion)
    checks.push(...assets.checks)
    if (privilegeCheck.status === 'fail') return {target: dataStream, integrationVersion: assets.integrationVersion, checks}

    const expectations: ArrivalExpectations = {events: options.events, require: options.require, integrationVersion: assets.integrationVersion}
    const window = windowFor(options.window, run)
    if (run) {
      progress(`finding ${run.length} deliveries of the run`)
      const results = await pollRun(run, options, (pending) => findInElastic(connection, dataStream, pending, assets.integrationVersion))
      checks.push(...judgeRun(results, dataStream))
    }
    progress(`counting documents in ${dataStream}`)
    const stats = await countArrivals(connection, dataStream, window, (actions) => fieldsToCount(actions, expectations))
    checks.push(...judgeArrivals(stats, expectations))
    return {target: dataStream, integrationVersion: assets.integrationVersion, checks}
  } finally {
    await connection.client.close().catch(() => undefined)
  }
}

/** Looks for the run's deliveries until all are found or --wait is over: indexing is not instant. */
async function pollRun(run: RunRecord[], options: ValidateOptions, find: (pending: RunRecord[]) => Promise<Map<RunRecord, RunResult>>): Promise<RunResult[]> {
  const deadline = Date.now() + (options.waitMs ?? 0)
  const results = new Map<RunRecord, RunResult>()
  const accepted = (record: RunRecord) => record.status !== undefined && record.status >= 200 && record.status < 300
  for (const record of run) {
    if (!accepted(record)) results.set(record, {event: record.event, sentAt: record.sentAt, status: record.status, accepted: false, found: false, differences: []})
  }
  for (;;) {
    const pending = run.filter((record) => accepted(record) && !results.get(record)?.found)
    if (!pending.length) break
    for (const [record, result] of await find(pending)) results.set(record, result)
    const still = run.filter((record) => accepted(record) && !results.get(record)?.found).length
    if (!still || Date.now() >= deadline) break
    options.onProgress?.(`waiting for ${still} of ${run.length} deliveries to be indexed`)
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 2000))
  }
  return run.map((record) => results.get(record)!)
}

async function findInElastic(connection: ElasticConnection, index: string, pending: RunRecord[], version: string): Promise<Map<RunRecord, RunResult>> {
  const {findDocuments} = await import('../elastic/queries.js')
  const found = new Map<RunRecord, RunResult>()
  const queue = [...pending]
  // A few searches at once: one per delivery, on loopback or a cluster, without flooding it.
  await Promise.all(
    Array.from({length: Math.min(8, queue.length)}, async () => {
      for (let record = queue.shift(); record; record = queue.shift()) {
        const sentAt = new Date(record.sentAt)
        const predicted = predict(record, version)
        const base: RunResult = {event: record.event, sentAt: record.sentAt, status: record.status, accepted: true, found: false, differences: []}
        const hits = predicted ? await findDocuments(connection, index, record.event, identityTerms(predicted), new Date(sentAt.getTime() - 60_000)) : []
        if (!hits.length) {
          found.set(record, base)
          continue
        }
        // Several documents may share the ids (a participant who joins twice): the closest is this one.
        const ranked = hits
          .map((hit) => ({hit, differences: documentDifferences(predicted, hit.source, (field) => isVolatileField(field) || field.startsWith('event.original'))}))
          .sort((a, b) => a.differences.length - b.differences.length)
        const best = ranked[0]!
        const indexedAt = fieldValues(best.hit.source).get('event.ingested') ?? best.hit.source['@timestamp']
        const delayMs = typeof indexedAt === 'string' ? Date.parse(indexedAt) - sentAt.getTime() : undefined
        found.set(record, {...base, found: true, foundId: best.hit.id, differences: best.differences, ...(delayMs === undefined || Number.isNaN(delayMs) ? {} : {delayMs})})
      }
    }),
  )
  return found
}

function predict(record: RunRecord, version: string): Record<string, unknown> | undefined {
  try {
    return indexedDocument(JSON.parse(record.body), {receivedAt: new Date(record.sentAt), integrationVersion: version})
  } catch {
    return undefined
  }
}

/**
 * The same checks on serve's store: each accepted body of the window mapped as the integration would map
 * it. Only the window's end of the store is read (see partInWindow), and nothing of it is held but counts
 * and the deliveries of the run.
 */
async function validateLocal(dataDir: string, options: ValidateOptions, run: RunRecord[] | undefined) {
  await assertDataDir(dataDir)
  const version = options.integrationVersion ?? LATEST_KNOWN_VERSION
  const window = windowFor(options.window, run)
  const expectations: ArrivalExpectations = {events: options.events, require: options.require, integrationVersion: version}
  const stats: ArrivalStats = {source: dataDir, from: 'store', total: 0, byAction: {}, errors: {total: 0, samples: []}}
  // Per event.action: how many documents, and how many of them have each field.
  const present = new Map<string, {count: number; fields: Map<string, number>}>()
  // The run's deliveries are found by dedupe key, as serve recognises a copy: only those bodies are kept.
  const runKeys = new Map(run?.map((record) => [record, runRecordKey(record)]))
  const wanted = new Set(runKeys.values())
  const stored = new Map<string, {id: string; receivedAt: string; rawBody: Buffer}>()
  options.onProgress?.(`reading ${dataDir}`)
  let read = 0
  for await (const delivery of partInWindow(dataDir, 'accepted', window)) {
    const record = delivery.record
    if (!record || record.duplicateOf) continue
    if (++read % 10_000 === 0) options.onProgress?.(`reading ${dataDir}: ${read} deliveries of the window so far`)
    if (record.dedupeKey && wanted.has(record.dedupeKey)) stored.set(record.dedupeKey, {id: record.id, receivedAt: record.receivedAt, rawBody: delivery.rawBody})
    // Flattened once: the fields, the action and the error all come from it.
    const values = fieldValues(indexedDocument(delivery.body, {receivedAt: new Date(record.receivedAt), integrationVersion: version}))
    const action = String(values.get('event.action') ?? delivery.eventType ?? 'unknown')
    let counts = present.get(action)
    if (!counts) present.set(action, (counts = {count: 0, fields: new Map()}))
    counts.count++
    for (const field of ecsFieldNames(values)) counts.fields.set(field, (counts.fields.get(field) ?? 0) + 1)
    const message = values.get('error.message')
    if (message !== undefined) {
      stats.errors.total++
      if (stats.errors.samples.length < 100) stats.errors.samples.push({message: Array.isArray(message) ? message.join('; ') : String(message), action, id: record.id})
    }
  }
  const counted = fieldsToCount([...present.keys()], expectations)
  for (const [action, {count, fields}] of present) {
    stats.total += count
    stats.byAction[action] = {count, fields: Object.fromEntries(counted.map((field) => [field, fields.get(field) ?? 0]))}
  }

  const checks: Check[] = []
  if (run) {
    const results = await pollRun(run, options, async (pending) => {
      const found = new Map<RunRecord, RunResult>()
      for (const record of pending) {
        const body = Buffer.from(record.body, 'utf8')
        const hit = stored.get(runKeys.get(record)!)
        const base: RunResult = {event: record.event, sentAt: record.sentAt, status: record.status, accepted: true, found: Boolean(hit), differences: []}
        if (hit) {
          // Locally the document is derived from the stored body: what can differ is the body itself.
          base.foundId = hit.id
          if (!hit.rawBody.equals(body)) base.differences = [{field: 'body', expected: record.body.slice(0, 80), actual: hit.rawBody.toString('utf8').slice(0, 80)}]
          base.delayMs = Date.parse(hit.receivedAt) - Date.parse(record.sentAt)
        }
        found.set(record, base)
      }
      return found
    })
    checks.push(...judgeRun(results, dataDir))
  }
  checks.push(...judgeArrivals(stats, expectations))
  checks.push(...judgeKeptBack(await keptBack(dataDir, window), options.window.since.toISOString()))
  // serve --websocket's gaps: what Zoom never delivered cannot be counted, only its windows named.
  const gaps = await readGaps(dataDir)
  if (gaps.length) checks.push(judgeGaps(gaps, {since: window.since.getTime(), until: window.until.getTime()}, 'intervals without the WebSocket in the window'))
  return {target: dataDir, integrationVersion: version, checks}
}

/** The window's refused deliveries and dead letters, counted by reason and by sink. */
async function keptBack(dataDir: string, window: TimeWindow): Promise<KeptBack> {
  const kept: Required<KeptBack> = {refused: {}, deadLetters: {}, replayed: 0}
  // What replay got acknowledged out of refused/ and dead-letter/ is delivered: not waiting any more.
  const replayed = await readReplayed(dataDir)
  for await (const delivery of partInWindow(dataDir, 'refused', window)) {
    if (replayed.has(`refused:${delivery.id}`)) {
      kept.replayed++
      continue
    }
    const reason = delivery.record?.refusal?.reason ?? 'refused'
    kept.refused[reason] = (kept.refused[reason] ?? 0) + 1
  }
  for await (const delivery of partInWindow(dataDir, 'dead-letter', window)) {
    if (replayed.has(`dead-letter:${delivery.id}`)) {
      kept.replayed++
      continue
    }
    const sink = delivery.deadLetter?.sink ?? 'a sink'
    kept.deadLetters[sink] = (kept.deadLetters[sink] ?? 0) + 1
  }
  return kept
}

/** A run record's dedupe key: the key serve gave its delivery when it stored it. */
function runRecordKey(record: RunRecord): string {
  const body = Buffer.from(record.body, 'utf8')
  let parsed: unknown
  try {
    parsed = JSON.parse(record.body)
  } catch {
    parsed = undefined
  }
  return dedupeKey(parsed, body)
}
