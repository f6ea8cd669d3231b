import {UserError} from '../../errors.js'
import {describeRetryAfter} from './retry-after.js'

/** Where in the Marketplace a scope is added: said once, used by every hint about one. */
export const SCOPES_TAB = 'Marketplace → Manage → your app → Scopes → Add Scopes, then activate the app again'

/** A Zoom API refusal: its HTTP status and Zoom's own code, beside the plain words. */
export class ZoomApiError extends UserError {
  constructor(
    message: string,
    readonly status: number,
    readonly zoomCode: number | undefined,
    options: {category?: 'auth' | 'network' | 'input' | 'elastic'; code?: string; hint?: string} = {},
  ) {
    super(message, {category: options.category ?? 'auth', code: options.code ?? (zoomCode === undefined ? `zoom-${status}` : `zoom-${zoomCode}`), hint: options.hint})
  }
}

export interface ZoomErrorContext {
  status: number
  /** Zoom's body: {code, message, errors?} for the REST API (../shared/zoom/api.md C4). */
  body: {code?: unknown; message?: unknown; errors?: unknown}
  method: string
  /** The path without the query (never a token). */
  path: string
  /** For a 429. */
  waitMs?: number
  daily?: boolean
}

/**
 * A Zoom API error in plain words with the fix, by Zoom's code first (the same status carries several
 * meanings), then by status. Pure: the client decides what to retry before it gets here.
 */
export function zoomApiError(context: ZoomErrorContext): ZoomApiError {
  const {status, method, path} = context
  const zoomCode = typeof context.body.code === 'number' ? context.body.code : Number.isFinite(Number(context.body.code)) && context.body.code !== undefined && context.body.code !== '' ? Number(context.body.code) : undefined
  const message = typeof context.body.message === 'string' ? context.body.message.slice(0, 300) : ''
  const said = message ? `: ${message}` : ''
  const what = `${method} ${path}`
  if (status === 429) {
    if (context.daily) {
      return new ZoomApiError(`Zoom's daily API limit for this account is used up (429 to ${what})${said}`, status, zoomCode, {category: 'network', code: 'zoom-daily-limit', hint: `the limit is per account, shared by all its apps: try again ${describeRetryAfter(context.waitMs)} (daily limits reset at 00:00 UTC)`})
    }
    return new ZoomApiError(`Zoom is rate-limiting this account (429 to ${what})${said}`, status, zoomCode, {category: 'network', code: 'zoom-rate-limited', hint: `try again ${describeRetryAfter(context.waitMs)}; the limit is per account, shared by all its apps`})
  }
  switch (zoomCode) {
    case 4711: {
      const scopes = /scopes?:?\s*\[([^\]]*)\]/i.exec(message)?.[1]?.split(',').map((scope) => scope.trim()).filter(Boolean) ?? []
      return new ZoomApiError(`the Zoom app's token lacks ${scopes.length ? `the scope${scopes.length > 1 ? 's' : ''} ${scopes.join(', ')}` : 'a scope'} that ${what} needs`, status, zoomCode, {
        code: 'zoom-missing-scope',
        hint: `add ${scopes.length ? scopes.join(', ') : 'the scope Zoom names'} to the app (${SCOPES_TAB})`,
      })
    }
    case 1602: {
      const event = /:\s*(\S+)\s*$/.exec(message)?.[1]
      return new ZoomApiError(`Zoom does not allow this app to subscribe to ${event ?? 'one of the events'} (1602)${said}`, status, zoomCode, {
        code: 'zoom-event-not-allowed',
        hint: `add the scope that covers ${event ?? 'that event'} (${SCOPES_TAB}: the Scopes tab lists each scope's events, e.g. meeting.participant_joined needs meeting:read:participant:admin), or leave the event out (--categories, --events)`,
      })
    }
    case 1701:
      return new ZoomApiError(`Zoom could not validate the webhook URL (1701)${said}`, status, zoomCode, {
        code: 'zoom-url-validation-failed',
        hint: "the endpoint must answer Zoom's challenge (endpoint.url_validation) within 3 s with the app's Secret Token, over HTTPS with a publicly trusted certificate, before the subscription is created: run zoomctl doctor URL, fix what it reports, then try again",
      })
    case 1601:
      return new ZoomApiError(`Zoom does not know ${/event_subscription/.test(path) && !/event_subscription$/.test(path) ? 'that event subscription' : 'that event'} (1601)${said}`, status, zoomCode, {category: 'input', code: 'zoom-not-found', hint: 'zoomctl zoom subscriptions lists the subscriptions that exist'})
    case 1401:
      return new ZoomApiError(`Zoom knows no app with that ID (1401)${said}`, status, zoomCode, {category: 'input', code: 'zoom-app-not-found', hint: APP_ID_HINT})
    case 124:
      return new ZoomApiError(`Zoom refused the access token (124)${said}`, status, zoomCode, {code: 'zoom-invalid-token', hint: 'the app may have been deactivated or its secret regenerated: check it is active in the Marketplace, and that ZOOM_CLIENT_SECRET is the current secret'})
    case 201:
      return new ZoomApiError(`Zoom does not allow this app to ${what} (201)${said}`, status, zoomCode, {code: 'zoom-permission', hint: `webhook logs need the scope marketplace_app:read:admin (or marketplace_app:read) (${SCOPES_TAB}), and ZOOM_APP_ID must be this app's ID`})
    case 1001:
      return new ZoomApiError(`Zoom does not know that user in this account (1001)${said}`, status, zoomCode, {category: 'input', code: 'zoom-user-not-found', hint: 'check ZOOM_ACCOUNT_ID: the subscription is made for the account the credentials belong to'})
    case 1500:
      return new ZoomApiError(`Zoom refused the request (1500)${said}`, status, zoomCode, {category: 'input', code: 'zoom-invalid-request', hint: 'correct the value Zoom names; for a custom header, the key takes letters, digits and "-" only'})
  }
  if (status === 401) {
    return new ZoomApiError(`Zoom refused the access token (401 to ${what})${said}`, status, zoomCode, {code: 'zoom-401', hint: 'check the app is active in the Marketplace and ZOOM_CLIENT_SECRET is current (zoomctl zoom token checks the credentials)'})
  }
  if (status === 403) {
    return new ZoomApiError(`Zoom does not allow this app to ${what} (403)${said}`, status, zoomCode, {code: 'zoom-403', hint: `add the scope Zoom names (${SCOPES_TAB})`})
  }
  if (status === 404) {
    return new ZoomApiError(`Zoom has nothing at ${what} (404)${said}`, status, zoomCode, {category: 'input', code: 'zoom-404', hint: /apps\//.test(path) ? APP_ID_HINT : 'check --zoom-api-url (ZOOMCTL_ZOOM_API_URL; default https://api.zoom.us/v2); zoomctl zoom subscriptions lists what exists'})
  }
  if (status >= 500) {
    return new ZoomApiError(`Zoom's API failed (${status} to ${what})${said}`, status, zoomCode, {category: 'network', code: `zoom-${status}`, hint: 'Zoom may be having trouble (status.zoom.us): try again in a minute'})
  }
  return new ZoomApiError(`Zoom refused ${what} (${status}${zoomCode === undefined ? '' : `, code ${zoomCode}`})${said}`, status, zoomCode, {category: 'input'})
}

export const APP_ID_HINT =
  "give the app's ID as ZOOM_APP_ID (or --zoom-app-id): it is in the address of the app's page in the Marketplace (marketplace.zoom.us/develop/applications/APP_ID/…), not the client ID"
