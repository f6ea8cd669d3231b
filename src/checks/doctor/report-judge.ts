import type {AuditStreamSetting} from '../../setup/fleet.js'
import {REPORT_ADMIN_SCOPE, REPORT_APIS, REPORT_STREAMS, type ReportStream, scopeAllows} from '../../zoom/reports.js'
import {type Check, fail, pass, skip, warn} from '../model.js'

/**
 * doctor's judgements of the audit streams' side of Zoom: the token, its scopes per stream, one call per
 * report API, and which streams the agent policy runs. Pure: doctor measures, these decide.
 */
export interface TokenMeasure {
  grant: string
  scopes: string[]
  expiresInMs: number
}

const SCOPES_TAB = 'Marketplace → Manage → your app → Scopes → Add Scopes, then activate the app again'

export function judgeZoomToken(token: TokenMeasure | undefined, error: {message: string; hint?: string} | undefined): Check {
  const title = "Zoom's token for the Server-to-Server OAuth app"
  if (!token) return fail('zoom.token', title, error?.message ?? 'no token', error?.hint ?? 'check ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET')
  return pass('zoom.token', title, `${token.grant}, valid ${Math.round(token.expiresInMs / 60_000)} min${token.scopes.length ? `, ${token.scopes.length} scope(s)` : ''}`, {data: {scopes: token.scopes}})
}

/** One row per stream: whether the token's scope lets it read that report. */
export function judgeReportScopes(scopes: string[]): Check[] {
  return REPORT_STREAMS.map((stream) => {
    const {scope} = REPORT_APIS[stream]
    const title = `scope for the ${stream} stream (${REPORT_APIS[stream].title})`
    if (!scopes.length) return skip(`zoom.scope.${stream}`, title, "Zoom's token answer named no scope: the call below tells")
    if (scopeAllows(scopes.join(' '), stream)) return pass(`zoom.scope.${stream}`, title, scopes.includes(REPORT_ADMIN_SCOPE) ? REPORT_ADMIN_SCOPE : scope)
    return fail(`zoom.scope.${stream}`, title, `neither ${REPORT_ADMIN_SCOPE} nor ${scope}`, `add ${REPORT_ADMIN_SCOPE} (or ${scope}) to the app (${SCOPES_TAB}); until then every poll of the ${stream} stream fails with Zoom's 4711`)
  })
}

/** What one report call with a one-day window gave: its page, or Zoom's refusal. */
export interface ReportCallMeasure {
  stream: ReportStream
  day: string
  records?: number
  morePages?: boolean
  error?: {message: string; hint?: string; status?: number; zoomCode?: number; daily?: boolean}
}

export function judgeReportCall(measure: ReportCallMeasure): Check {
  const {stream, error} = measure
  const api = REPORT_APIS[stream]
  const id = `zoom.report.${stream}`
  const title = `GET ${api.path} for ${measure.day}`
  if (!error) return pass(id, title, `answers: ${measure.records ?? 0} record(s)${measure.morePages ? ', more pages' : ''}`)
  const said = error.message
  if (error.zoomCode === 4711) return fail(id, title, 'missing scope (4711)', `the token lacks ${REPORT_ADMIN_SCOPE} (or ${api.scope}): add it to the app (${SCOPES_TAB}); the ${stream} stream gets nothing until then`)
  if (error.status === 429 && error.daily) {
    return fail(id, title, "Zoom's daily limit is used up (429)", "the account's daily cap on Heavy APIs (Pro 30,000, Business+ 60,000 a day) is shared by every app and stream: no stream gets documents until 00:00 UTC, when it resets; the agent tries again at its next interval")
  }
  if (error.status === 429) return warn(id, title, 'rate-limited (429)', "Zoom's per-second limit, shared by every app of the account: the agent's own rate limit (0.1/s by default) keeps it below; try again in a minute")
  if (error.zoomCode === 124 || error.status === 401) return fail(id, title, 'token refused', error.hint ?? 'check the app is active in the Marketplace and ZOOM_CLIENT_SECRET is current')
  if (stream === 'meeting_activity' && /audit/i.test(said)) {
    return fail(id, title, 'meeting audit trail not enabled', `${api.needs}: ask Zoom Support to enable the meeting audit trail log; until then the meeting_activity stream stays empty (Zoom said: ${said})`)
  }
  if (/paid|plan|\bpro\b|upgrade/i.test(said) || error.zoomCode === 200) {
    return fail(id, title, 'not available on this plan', `Zoom's report APIs need a Pro plan or above${stream === 'meeting_activity' ? ', and the meeting audit trail enabled by Zoom Support' : ''}; the ${stream} stream stays empty on this account (Zoom said: ${said})`)
  }
  if (error.status === 404) return fail(id, title, 'no such API (404)', `check --zoom-api-url (ZOOMCTL_ZOOM_API_URL): it is Zoom's API with /v2, e.g. https://api.zoom.us/v2 (the integration's URL setting is the same without /v2)`)
  return fail(id, title, said, error.hint ?? `Zoom refused the ${stream} report: zoomctl events map --data-stream ${stream} and Zoom's message tell more`)
}

export function judgeAuditStreams(settings: AuditStreamSetting[]): Check {
  const id = 'fleet.audit-streams'
  const title = 'audit streams in the Zoom integration (Fleet)'
  if (!settings.length) return warn(id, title, 'no Zoom package policy', 'add the Zoom integration to an agent policy and enable the streams (zoomctl setup --audit-streams activity,operation,meeting_activity)')
  const enabled = settings.filter((setting) => setting.enabled)
  const describe = (setting: AuditStreamSetting) => `${setting.stream} every ${setting.interval ?? '24h'}`
  const details = settings.map((setting) => `${setting.policy}: ${setting.enabled ? `${describe(setting)}${setting.url ? ` from ${setting.url}` : ''}` : `${setting.stream} off`}`)
  if (!enabled.length) {
    return warn(id, title, 'none enabled', 'the activity, operation and meeting_activity streams are off by default: enable them in the Zoom integration (Fleet), with the same Zoom credentials', {details})
  }
  const longest = enabled.map((setting) => setting.interval ?? '24h').sort((a, b) => hours(b) - hours(a))[0]!
  return pass(id, title, `${[...new Set(enabled.map(describe))].join(', ')} (first documents up to ${longest} after enabling)`, {details})
}

function hours(interval: string): number {
  const match = /^(\d+(?:\.\d+)?)(s|m|h|d)$/.exec(interval.trim())
  if (!match) return 0
  return Number(match[1]) * ({s: 1 / 3600, m: 1 / 60, h: 1, d: 24} as const)[match[2] as 's' | 'm' | 'h' | 'd']
}
