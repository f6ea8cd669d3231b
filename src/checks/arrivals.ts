import {compareVersions} from '../mapping/version.js'
import {expectedFields, KEY_FIELDS} from './expectations.js'
import {type Check, fail, pass, warn} from './model.js'

/**
 * What arrived in a time window, counted the same way from Elasticsearch (aggregations) and from serve's
 * store (mapping each stored body): the input of validate's judgements.
 */
export interface ArrivalStats {
  /** Where the documents were counted: "logs-zoom.webhook-default" or a data dir. */
  source: string
  /** Counted in Elasticsearch, or mapped from serve's store: what to do about none differs. */
  from: 'elasticsearch' | 'store'
  total: number
  byAction: Record<string, {count: number; fields: Record<string, number>}>
  errors: {total: number; samples: Array<{message: string; action?: string; id?: string}>}
}

export interface ArrivalExpectations {
  /** Event types the user expects (--event). */
  events: string[]
  /** Fields every document must have (--require). */
  require: string[]
  integrationVersion: string
  /** A row per event type with its fields as the integration maps them (default); doctor's overview counts types only. */
  fieldsPerType?: boolean
  /**
   * Another data stream than the webhook one (an audit stream): the fields each event.action should have,
   * what to do when none arrived, and why fields are missing. The webhook's come from the catalog.
   */
  stream?: {expectedFields(action: string): string[]; noneArrived: string; fieldHint(action: string, fields: string[]): string}
}

/** The field names a user may type for what the pipeline renames. */
const RENAMED: Record<string, string> = {'zoom.event': 'event.action'}

/** --require names as indexed: zoom.event is event.action once the pipeline has run. */
export function indexedFieldNames(fields: string[]): {fields: string[]; notes: string[]} {
  const notes: string[] = []
  const mapped = fields.map((field) => {
    const target = RENAMED[field]
    if (!target) return field
    notes.push(`${field} is renamed to ${target} by the integration's pipeline: checked ${target}`)
    return target
  })
  return {fields: [...new Set(mapped)], notes}
}

/** Every field validate looks for in documents of these types: the union of what each type should have. */
export function fieldsToCount(actions: string[], expectations: ArrivalExpectations): string[] {
  const fields = new Set<string>(indexedFieldNames(expectations.require).fields)
  for (const action of actions) for (const field of fieldsOf(action, expectations)) fields.add(field)
  return [...fields]
}

const NONE_ARRIVED: Record<ArrivalStats['from'], string> = {
  elasticsearch: 'widen the window (--since 1d) if they came earlier; else send one: zoomctl simulate meeting.started --url <your endpoint>, then check that the agent runs the Zoom integration, and its logs',
  store: "widen the window (--since 1d) if they came earlier; else send one to serve (at its default address): zoomctl simulate meeting.started --url http://127.0.0.1:8181/zoom-webhook",
}

function fieldsOf(action: string, expectations: ArrivalExpectations): string[] {
  return expectations.stream ? expectations.stream.expectedFields(action) : expectedFields(action, expectations.integrationVersion)
}

export function judgeArrivals(stats: ArrivalStats, expectations: ArrivalExpectations): Check[] {
  const checks: Check[] = []
  const actions = Object.keys(stats.byAction).sort()
  const {fields: required, notes} = indexedFieldNames(expectations.require)

  if (stats.total === 0) {
    checks.push(
      fail('documents', 'Zoom documents in the window', `0 in ${stats.source}`, expectations.stream?.noneArrived ?? NONE_ARRIVED[stats.from], {
        data: {total: 0},
      }),
    )
  } else {
    checks.push(pass('documents', 'Zoom documents in the window', `${stats.total} in ${stats.source}, ${actions.length} event type(s)`, {data: {total: stats.total, byAction: countsOf(stats)}}))
  }

  for (const event of expectations.events) {
    const count = stats.byAction[event]?.count ?? 0
    checks.push(
      count > 0
        ? pass(`event.${event}`, `${event} arrived`, `${count} document(s)`)
        : fail(`event.${event}`, `${event} arrived`, 'none', "select this event type in your Zoom app's event subscription (Feature → Add Events), then trigger it"),
    )
  }

  if (expectations.fieldsPerType !== false) for (const action of actions) checks.push(judgeFields(action, stats.byAction[action]!, required, expectations, notes))

  if (stats.errors.total === 0) {
    checks.push(pass('pipeline-errors', 'documents without error.message', stats.total ? 'none failed in the pipeline' : 'no documents'))
  } else {
    const byMessage = new Map<string, {count: number; example?: string}>()
    for (const sample of stats.errors.samples) {
      const entry = byMessage.get(sample.message) ?? {count: 0, example: sample.id}
      entry.count++
      byMessage.set(sample.message, entry)
    }
    checks.push(
      fail('pipeline-errors', 'documents without error.message', `${stats.errors.total} with error.message`, errorHint([...byMessage.keys()]), {
        details: [...byMessage].map(([message, {count, example}]) => `${count}× ${message}${example ? ` (e.g. _id ${example})` : ''}`),
        data: {total: stats.errors.total, messages: Object.fromEntries([...byMessage].map(([message, entry]) => [message, entry]))},
      }),
    )
  }
  return checks
}

function judgeFields(action: string, observed: {count: number; fields: Record<string, number>}, required: string[], expectations: ArrivalExpectations, notes: string[]): Check {
  const version = expectations.integrationVersion
  const expected = fieldsOf(action, expectations)
  const hint = (fields: string[]) => expectations.stream?.fieldHint(action, fields) ?? fieldHint(action, fields, version)
  const fields = [...new Set([...expected, ...required])]
  const share = (field: string) => observed.fields[field] ?? 0
  const complete = fields.filter((field) => share(field) === observed.count)
  const details = fields.map((field) => `${field} ${share(field)}/${observed.count}${required.includes(field) ? ' (required)' : ''}`)
  const missingAll = fields.filter((field) => share(field) === 0)
  const mustHave = (field: string) => required.includes(field) || KEY_FIELDS.includes(field)
  const failing = fields.filter((field) => mustHave(field) && (required.includes(field) ? share(field) < observed.count : share(field) === 0))
  const partialKey = fields.filter((field) => mustHave(field) && share(field) > 0 && share(field) < observed.count)
  const value = `${complete.length} of ${fields.length} fields in every document (${observed.count})`
  const extra = {details: [...notes, ...details], data: {documents: observed.count, fields: Object.fromEntries(fields.map((field) => [field, share(field)]))}}
  const title = `${action}: fields as the integration ${version} maps them`

  if (failing.length) return fail(`fields.${action}`, title, value, hint(failing), extra)
  if (missingAll.length) return warn(`fields.${action}`, title, value, `none has ${missingAll.join(', ')}: ${hint(missingAll)}`, extra)
  if (partialKey.length) return warn(`fields.${action}`, title, value, `${partialKey.join(', ')} only in some documents: Zoom leaves them out for some users (guests, phone callers)`, extra)
  return pass(`fields.${action}`, title, value, extra)
}

function fieldHint(action: string, fields: string[], version: string): string {
  if (fields.includes('event.action')) return 'these documents did not go through the Zoom integration\'s pipeline: check the index template and pipeline rows above'
  const ipOrEmail = fields.some((field) => field === 'user.email' || field === 'source.ip')
  if (ipOrEmail && /participant/.test(action) && compareVersions(version, '1.23.0') >= 0) {
    return `the integration maps ${fields.join(', ')} for ${action} since 1.23.0: an older integration is installed (upgrade it in Fleet), or Zoom's bodies lack the keys (zoomctl events map on a stored body shows which)`
  }
  return `Zoom's bodies lack the keys these come from, or the integration's version differs from ${version} (--integration-version); zoomctl events map on a stored body shows which`
}

function errorHint(messages: string[]): string {
  if (messages.some((message) => /timestamp|date|parse/i.test(message))) {
    return 'a date or value the pipeline could not parse: Zoom sent a different JSON schema than the integration expects; compare a body with zoomctl events map'
  }
  return "Zoom's bodies do not have the shape the integration expects, or a custom pipeline (logs-zoom.webhook@custom) fails: look at one document's error.message and event.original"
}

function countsOf(stats: ArrivalStats): Record<string, number> {
  return Object.fromEntries(Object.entries(stats.byAction).map(([action, entry]) => [action, entry.count]))
}

/** What serve kept back in the window: authentic deliveries it refused, and records a sink refused for good. */
export interface KeptBack {
  /** Refused deliveries by reason (stale-timestamp, malformed-json …). */
  refused: Record<string, number>
  /** Dead letters by sink (elasticsearch, agent). */
  deadLetters: Record<string, number>
  /** Refused deliveries and dead letters that replay has delivered since (not counted above). */
  replayed?: number
}

/**
 * Deliveries that are in the store but not on their way to Elastic: Zoom will not send them again (it
 * was answered 4xx, or the sink refused the document for good), so only a replay brings them there.
 */
export function judgeKeptBack(kept: KeptBack, since: string): Check[] {
  const list = (counts: Record<string, number>) => Object.entries(counts).map(([name, count]) => `${count} ${name}`).join(', ')
  const refused = Object.values(kept.refused).reduce((sum, count) => sum + count, 0)
  const dead = Object.values(kept.deadLetters).reduce((sum, count) => sum + count, 0)
  const checks = [
    refused
      ? warn('kept.refused', 'authentic deliveries serve refused', `${refused} (${list(kept.refused)})`, `kept under refused/, never forwarded, and Zoom does not retry a 4xx: once the cause is fixed, zoomctl replay --from refused --since ${since} resends them`)
      : pass('kept.refused', 'authentic deliveries serve refused', kept.replayed ? `none waiting: ${kept.replayed} replayed since` : 'none'),
  ]
  // Only a serve that forwards has dead letters: no row for the others.
  if (dead) checks.push(warn('kept.dead-letters', 'deliveries a sink refused for good', `${dead} (${list(kept.deadLetters)})`, `kept in dead-letter/: zoomctl deliveries --verdict dead-letter shows why, zoomctl replay --from dead-letter --since ${since} resends them`))
  return checks
}
