/**
 * Zoom's report APIs that the Elastic Zoom integration polls with its CEL input, one per audit data stream
 * (api.md F2–F5). Both the local report API (simulate-api) and doctor's calls read them from here.
 */
export const REPORT_STREAMS = ['activity', 'operation', 'meeting_activity'] as const
export type ReportStream = (typeof REPORT_STREAMS)[number]

export interface ReportApi {
  /** Path under the API base URL (the integration's `url`). */
  path: string
  /** The response's array of records. */
  arrayKey: string
  /** The granular scope that allows this one report (report:read:admin allows all three). */
  scope: string
  /** What the stream holds, for people. */
  title: string
  /** What the account needs beyond the scope (the integration README's compatibility section). */
  needs: string
}

export const REPORT_APIS: Record<ReportStream, ReportApi> = {
  activity: {
    path: '/v2/report/activities',
    arrayKey: 'activity_logs',
    scope: 'report:read:user_activities:admin',
    title: 'sign-in and sign-out activity',
    needs: 'a Zoom Pro plan or above',
  },
  operation: {
    path: '/v2/report/operationlogs',
    arrayKey: 'operation_logs',
    scope: 'report:read:operation_logs:admin',
    title: 'admin operation logs',
    needs: 'a Zoom Pro plan or above',
  },
  meeting_activity: {
    path: '/v2/report/meeting_activities',
    arrayKey: 'meeting_activity_logs',
    scope: 'report:read:meeting_activity_log:admin',
    title: 'meeting activity audit trail',
    needs: 'the meeting audit trail log, which Zoom Support enables for the account',
  },
}

/** The scope that allows every report API. */
export const REPORT_ADMIN_SCOPE = 'report:read:admin'

/** Zoom documents at most one month per query; the integration takes a month as 720 h. */
export const REPORT_MAX_WINDOW_DAYS = 30
/** The integration's page_size default and Zoom's maximum. */
export const REPORT_MAX_PAGE_SIZE = 300

/** The choices of the meeting_activity stream's activity_type option; the integration's default is the first. */
export const MEETING_ACTIVITY_TYPES = [
  'All Activities',
  'Meeting Created',
  'Meeting Started',
  'User Join',
  'User Left',
  'Remote Control',
  'In-Meeting Chat',
  'Meeting Ended',
] as const

export function isReportStream(value: string): value is ReportStream {
  return (REPORT_STREAMS as readonly string[]).includes(value)
}

/** Whether a token's space-separated scope string lets it read this stream's report. */
export function scopeAllows(scope: string, stream: ReportStream): boolean {
  const scopes = scope.split(/\s+/)
  return scopes.includes(REPORT_ADMIN_SCOPE) || scopes.includes(REPORT_APIS[stream].scope)
}
