import {getField} from '../mapping/document.js'
import {fieldValues} from '../mapping/fields.js'
import {encodeJson, runReportPipeline} from '../mapping/reports/index.js'
import {syntheticRecords} from '../reports/synthetic.js'
import {REPORT_APIS, type ReportStream} from '../zoom/reports.js'
import type {ArrivalExpectations} from './arrivals.js'
import {ecsFieldNames} from './expectations.js'

/**
 * What validate expects of an audit stream's documents: the fields the stream's pipeline fills for each
 * event.action, found by mapping realistic records of that action (as the webhook's come from the catalog).
 */
export function reportExpectations(stream: ReportStream, version: string): NonNullable<ArrivalExpectations['stream']> {
  const byAction = fieldsByAction(stream, version)
  const common = [...byAction.values()].reduce<string[] | undefined>((shared, fields) => (shared ? shared.filter((field) => fields.includes(field)) : fields), undefined) ?? ['event.action']
  const api = REPORT_APIS[stream]
  return {
    expectedFields: (action) => byAction.get(action) ?? common,
    noneArrived: `documents carry the time of their record, days back: widen the window (--since 30d). The Elastic Agent polls Zoom's ${api.path} once per interval (24 h by default), so the first documents can take that long after the ${stream} stream is enabled: check that the agent policy enables it (zoomctl doctor shows which streams it enables), that Zoom answers (zoomctl doctor with the Zoom credentials calls ${api.path}), and the agent's logs for the CEL input's errors; to try the stream without Zoom: zoomctl simulate-api`,
    fieldHint: (action, fields) => {
      const record = stream === 'activity' ? 'sign-in records' : stream === 'operation' ? 'operation log records' : 'meeting activity records'
      const from = fields.map((field) => `${field}${SOURCE_KEYS[stream][field] ? ` (from ${SOURCE_KEYS[stream][field]})` : ''}`).join(', ')
      return `${action}: Zoom's ${record} lack what ${from} come from; event.original of such a document shows the record as Zoom sent it, and zoomctl events map --data-stream ${stream} shows what the pipeline makes of one`
    },
  }
}

/** Fields every document of the stream must have: a sign-in always has the user's email. */
export const ALWAYS_FIELDS: Record<ReportStream, string[]> = {
  activity: ['event.action', 'user.email'],
  operation: ['event.action', 'user.name'],
  meeting_activity: ['event.action', 'user.name'],
}

/** The record's key each ECS field comes from, named in hints. */
const SOURCE_KEYS: Record<ReportStream, Record<string, string>> = {
  activity: {'user.email': 'email', 'user.name': 'email', 'source.ip': 'ip_address', 'related.ip': 'ip_address', 'event.action': 'type', 'related.user': 'email'},
  operation: {'user.name': 'operator', 'user.email': 'operator, when it is an email', 'event.action': 'action', 'related.user': 'operator'},
  meeting_activity: {'user.email': 'operator_email', 'user.name': 'operator', 'event.action': 'activity_category', 'related.user': 'operator_email and operator'},
}

const cache = new Map<string, Map<string, string[]>>()

function fieldsByAction(stream: ReportStream, version: string): Map<string, string[]> {
  const key = `${stream}@${version}`
  const cached = cache.get(key)
  if (cached) return cached
  const byAction = new Map<string, Set<string>>()
  for (const record of syntheticRecords(stream, {seed: 1, days: 14, until: new Date(Date.UTC(2026, 0, 15))})) {
    const {document} = runReportPipeline(stream, {message: encodeJson(record)}, {integrationVersion: version})
    const action = getField(document, 'event.action')
    if (typeof action !== 'string') continue
    const fields = byAction.get(action) ?? new Set<string>()
    for (const field of ecsFieldNames(fieldValues(document))) fields.add(field)
    byAction.set(action, fields)
  }
  const result = new Map([...byAction].map(([action, fields]) => [action, ecsFieldNames(new Map([...fields].map((field) => [field, true])))]))
  cache.set(key, result)
  return result
}
