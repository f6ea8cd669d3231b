import type {ElasticConnection} from '../elastic/connection.js'
import {zoomStreamNames} from '../elastic/names.js'
import type {TimeWindow} from '../elastic/queries.js'
import {getField} from '../mapping/document.js'
import {documentDifferences, fieldValues} from '../mapping/fields.js'
import {indexedReportDocument, REPORT_STREAM_SINCE} from '../mapping/reports/index.js'
import {compareVersions} from '../mapping/version.js'
import type {ServedRecord} from '../reports/served-file.js'
import type {ReportStream} from '../zoom/reports.js'
import {type ArrivalExpectations, type ArrivalStats, fieldsToCount, judgeArrivals} from './arrivals.js'
import {judgeAssets, judgeCluster, judgePrivileges, READ_PRIVILEGES} from './cluster.js'
import {isVolatileField} from './expectations.js'
import {type Check, warn} from './model.js'
import {ALWAYS_FIELDS, reportExpectations} from './report-streams.js'
import {judgeRun, type RunResult} from './run.js'
import type {ValidateOptions} from './validate.js'

/**
 * validate for an audit stream (activity, operation, meeting_activity): the cluster, the stream's assets,
 * the window's documents per event.action with the fields its pipeline fills, and with --run the records
 * simulate-api served, each found by its fingerprint _id and compared with zoomctl's prediction.
 */
export async function validateReportStream(stream: ReportStream, options: ValidateOptions, served: ServedRecord[] | undefined) {
  const settings = options.elastic!
  const names = zoomStreamNames(stream)
  const progress = options.onProgress ?? (() => {})
  progress('connecting to Elasticsearch')
  const {connectElastic} = await import('../elastic/connection.js')
  const {countArrivals, readPrivileges, readZoomAssets} = await import('../elastic/queries.js')
  const connection = await connectElastic(settings)
  try {
    const checks: Check[] = [judgeCluster(connection.info, connection.credential)]
    progress(`checking privileges and the Zoom integration's ${stream} stream`)
    const privilegeCheck = judgePrivileges(await readPrivileges(connection, READ_PRIVILEGES, [], names.pattern), READ_PRIVILEGES, names.pattern)
    checks.push(privilegeCheck)
    const dataStream = names.dataStream(settings.namespace)
    const assets = judgeAssets(await readZoomAssets(connection, names), dataStream, options.integrationVersion, names.template)
    checks.push(...assets.checks)
    let version = assets.integrationVersion
    if (compareVersions(version, REPORT_STREAM_SINCE[stream]) < 0) {
      checks.push(warn('zoom.version', 'integration version', `${version} has no ${stream} stream`, `the ${stream} stream came in ${REPORT_STREAM_SINCE[stream]}: upgrade the Zoom integration in Fleet; fields are checked as ${REPORT_STREAM_SINCE[stream]} maps them`))
      version = REPORT_STREAM_SINCE[stream]
    }
    if (privilegeCheck.status === 'fail') return {target: dataStream, integrationVersion: version, checks}

    const expectations: ArrivalExpectations = {events: options.events, require: [...new Set([...ALWAYS_FIELDS[stream], ...options.require])], integrationVersion: version, stream: reportExpectations(stream, version)}
    if (served) {
      progress(`finding ${served.length} records served`)
      const results = await pollServed(served, options, (pending) => findServed(connection, dataStream, stream, pending, version))
      checks.push(...judgeRun(results, dataStream, {items: 'records served', sentRow: false, lostHint: `the agent has not indexed them: it polls once per interval (24 h by default), so wait for its next poll (--wait), or check its logs for the CEL input's errors`}))
    }
    progress(`counting documents in ${dataStream}`)
    const window = servedWindow(options.window, served)
    // No data stream yet (the agent never indexed one of its documents): nothing to count, and searching it is a 404.
    const missing = checks.some((check) => check.id === 'zoom.data-stream' && check.status === 'fail')
    const stats: ArrivalStats = missing
      ? {source: dataStream, from: 'elasticsearch', total: 0, byAction: {}, errors: {total: 0, samples: []}}
      : await countArrivals(connection, dataStream, window, (actions) => fieldsToCount(actions, expectations), names.dataset)
    checks.push(...judgeArrivals(stats, expectations))
    return {target: dataStream, integrationVersion: version, checks}
  } finally {
    await connection.client.close().catch(() => undefined)
  }
}

/** The records served carry their own times (days back): the window must cover them, whatever --since says. */
function servedWindow(window: TimeWindow, served: ServedRecord[] | undefined): TimeWindow {
  if (!served?.length) return window
  const times = served.map((entry) => Date.parse(String(getField(indexedReportDocument(entry.stream, entry.record, {polledAt: new Date(entry.servedAt)}).document, '@timestamp'))))
  const valid = times.filter((time) => !Number.isNaN(time))
  if (!valid.length) return window
  return {since: new Date(Math.min(window.since.getTime(), Math.min(...valid) - 1000)), until: new Date(Math.max(window.until.getTime(), Math.max(...valid) + 1000))}
}

async function pollServed(served: ServedRecord[], options: ValidateOptions, find: (pending: ServedRecord[]) => Promise<Map<ServedRecord, RunResult>>): Promise<RunResult[]> {
  const deadline = Date.now() + (options.waitMs ?? 0)
  const results = new Map<ServedRecord, RunResult>()
  for (;;) {
    const pending = served.filter((entry) => !results.get(entry)?.found)
    for (const [entry, result] of await find(pending)) results.set(entry, result)
    const still = served.filter((entry) => !results.get(entry)?.found).length
    if (!still || Date.now() >= deadline) break
    options.onProgress?.(`waiting for ${still} of ${served.length} records to be indexed`)
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 2000))
  }
  return served.map((entry) => results.get(entry)!)
}

async function findServed(connection: ElasticConnection, index: string, stream: ReportStream, pending: ServedRecord[], version: string): Promise<Map<ServedRecord, RunResult>> {
  const {findDocumentsById} = await import('../elastic/queries.js')
  const found = new Map<ServedRecord, RunResult>()
  for (let start = 0; start < pending.length; start += 500) {
    const batch = pending.slice(start, start + 500).map((entry) => ({entry, predicted: indexedReportDocument(stream, entry.record, {polledAt: new Date(entry.servedAt), integrationVersion: version})}))
    const hits = new Map((await findDocumentsById(connection, index, batch.flatMap(({predicted}) => (predicted.id ? [predicted.id] : [])))).map((hit) => [hit.id, hit]))
    for (const {entry, predicted} of batch) {
      const hit = predicted.id ? hits.get(predicted.id) : undefined
      const action = getField(predicted.document, 'event.action')
      const base: RunResult = {event: typeof action === 'string' ? action : stream, sentAt: entry.servedAt, status: 200, accepted: true, found: Boolean(hit), differences: []}
      if (hit) {
        base.foundId = hit.id
        base.differences = documentDifferences(predicted.document, hit.source, isVolatileField)
        const ingested = fieldValues(hit.source).get('event.ingested')
        if (typeof ingested === 'string' && !Number.isNaN(Date.parse(ingested))) base.delayMs = Date.parse(ingested) - Date.parse(entry.servedAt)
      }
      found.set(entry, base)
    }
  }
  return found
}
