import {UserError} from '../../errors.js'
import type {KibanaSettings} from '../../setup/fleet.js'
import {FleetClient} from '../../setup/fleet.js'
import type {ZoomApiClient} from '../../zoom/api/client.js'
import {ZoomApiError} from '../../zoom/api/errors.js'
import {MEETING_ACTIVITY_TYPES, REPORT_APIS, REPORT_STREAMS} from '../../zoom/reports.js'
import {type Check, fail} from '../model.js'
import {judgeAuditStreams, judgeReportCall, judgeReportScopes, judgeZoomToken, type ReportCallMeasure} from './report-judge.js'

/**
 * doctor with the Zoom credentials: the token, its scopes per audit stream, and one call per report API
 * with a one-day window, as the Elastic Agent's CEL input would make it.
 */
export async function checkZoomReports(api: ZoomApiClient, now: Date = new Date()): Promise<Check[]> {
  let token
  try {
    token = await api.oauth.token()
  } catch (error) {
    return [judgeZoomToken(undefined, asProblem(error))]
  }
  const checks = [judgeZoomToken({grant: token.grant, scopes: token.scopes, expiresInMs: token.expiresAt - now.getTime()}, undefined), ...judgeReportScopes(token.scopes)]
  const day = now.toISOString().slice(0, 10)
  for (const stream of REPORT_STREAMS) {
    const {path, arrayKey} = REPORT_APIS[stream]
    const measure: ReportCallMeasure = {stream, day}
    try {
      const query = {from: day, to: day, page_size: 300, ...(stream === 'meeting_activity' ? {activity_type: MEETING_ACTIVITY_TYPES[0]} : {})}
      // The client's base URL ends in /v2, as Zoom's API URL does.
      const {body} = await api.call<Record<string, unknown>>('GET', path.replace(/^\/v2/, ''), {query})
      const records = body[arrayKey]
      measure.records = Array.isArray(records) ? records.length : 0
      measure.morePages = typeof body.next_page_token === 'string' && body.next_page_token !== ''
    } catch (error) {
      measure.error = asProblem(error)
    }
    checks.push(judgeReportCall(measure))
  }
  return checks
}

/** Which audit streams the Zoom package policies enable, and how often they poll. */
export async function checkAuditStreamsInFleet(settings: KibanaSettings): Promise<Check[]> {
  const fleet = new FleetClient(settings)
  try {
    await fleet.connect()
    return [judgeAuditStreams(await fleet.zoomAuditStreams())]
  } catch (error) {
    const problem = asProblem(error)
    return [fail('fleet.audit-streams', 'audit streams in the Zoom integration (Fleet)', problem.message, problem.hint ?? 'check --kibana-url and the API key')]
  } finally {
    await fleet.close()
  }
}

function asProblem(error: unknown): NonNullable<ReportCallMeasure['error']> {
  if (error instanceof ZoomApiError) return {message: error.message, hint: error.options.hint, status: error.status, zoomCode: error.zoomCode, daily: error.options.code === 'zoom-daily-limit'}
  if (error instanceof UserError) return {message: error.message, hint: error.options.hint}
  return {message: error instanceof Error ? error.message : String(error)}
}
