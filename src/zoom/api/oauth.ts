import {Agent, type Dispatcher, request} from 'undici'

import {UserError} from '../../errors.js'
import {describeNetworkError} from '../../sender/client.js'
import {describeRetryAfter, retryAfterMs} from './retry-after.js'

export const DEFAULT_ZOOM_TOKEN_URL = 'https://zoom.us/oauth/token'

/**
 * account_credentials: a Server-to-Server OAuth app's token (the account's). client_credentials: the app's
 * own token, which general apps use for the event-subscription API, and which Zoom's WebSocket docs name
 * for S2S apps too (../shared/zoom/api.md A6, D2; which of the two an S2S app may use there is unconfirmed).
 */
export type ZoomGrant = 'account_credentials' | 'client_credentials'

export interface ZoomCredentials {
  /** Needed for account_credentials only. */
  accountId?: string
  clientId: string
  clientSecret: string
}

export interface ZoomToken {
  accessToken: string
  /** Epoch ms after which Zoom refuses it. */
  expiresAt: number
  /** What Zoom says the token may do (its `scope`, split); empty when the answer had none. */
  scopes: string[]
  grant: ZoomGrant
}

export interface ZoomOAuthOptions {
  credentials: ZoomCredentials
  tokenUrl?: string
  grant?: ZoomGrant
  now?: () => number
  /** Give up on the token endpoint after this long. */
  timeoutMs?: number
}

/** Zoom's own SDK asks for a new token this long before the old one expires (Rivet EXPIRATION_DELTA_SECONDS). */
const RENEW_BEFORE_MS = 60_000

/**
 * One Zoom OAuth token for every call of a run: asked for once, kept in memory (never on disk), asked for
 * again shortly before it expires (Zoom gives no refresh token: ../shared/zoom/api.md C2); concurrent callers
 * share one request.
 */
export class ZoomOAuthClient {
  readonly tokenUrl: string
  readonly grant: ZoomGrant
  private readonly credentials: ZoomCredentials
  private readonly now: () => number
  private readonly dispatcher: Dispatcher
  private cached?: {token: ZoomToken; renewAt: number}
  private inFlight?: Promise<ZoomToken>

  constructor(options: ZoomOAuthOptions) {
    this.credentials = options.credentials
    this.tokenUrl = options.tokenUrl ?? DEFAULT_ZOOM_TOKEN_URL
    this.grant = options.grant ?? 'account_credentials'
    this.now = options.now ?? Date.now
    if (!this.credentials.clientId || !this.credentials.clientSecret) {
      throw new UserError('Zoom credentials are incomplete: a client ID and a client secret are both needed', {code: 'zoom-credentials-missing', hint: CREDENTIALS_HINT})
    }
    if (this.grant === 'account_credentials' && !this.credentials.accountId) {
      throw new UserError('Zoom credentials are incomplete: a Server-to-Server OAuth token needs the account ID', {code: 'zoom-credentials-missing', hint: CREDENTIALS_HINT})
    }
    const timeout = options.timeoutMs ?? 30_000
    this.dispatcher = new Agent({headersTimeout: timeout, bodyTimeout: timeout, connectTimeout: Math.min(timeout, 10_000)})
  }

  /** A token valid for at least a minute more (or for half its life, when Zoom gives one shorter than two). */
  async token(): Promise<ZoomToken> {
    if (this.cached && this.now() < this.cached.renewAt) return this.cached.token
    this.inFlight ??= this.fetchToken().finally(() => {
      this.inFlight = undefined
    })
    return this.inFlight
  }

  /** Forgets the cached token (Zoom refused it: revoked, app deactivated): the next call asks for a new one. */
  invalidate(): void {
    this.cached = undefined
  }

  async close(): Promise<void> {
    await this.dispatcher.close()
  }

  private async fetchToken(): Promise<ZoomToken> {
    const form = new URLSearchParams({grant_type: this.grant})
    if (this.grant === 'account_credentials') form.set('account_id', this.credentials.accountId!)
    const basic = Buffer.from(`${this.credentials.clientId}:${this.credentials.clientSecret}`).toString('base64')
    const obtainedAt = this.now()
    let response: Dispatcher.ResponseData
    try {
      // The form body, not the query string: Zoom has refused the latter with 400 (api.md C1).
      response = await request(this.tokenUrl, {
        method: 'POST',
        dispatcher: this.dispatcher,
        headers: {authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json'},
        body: form.toString(),
      })
    } catch (error) {
      throw new UserError(`cannot reach Zoom's token endpoint: ${describeNetworkError(error, this.tokenUrl)}`, {
        category: 'network',
        code: 'zoom-token-unreachable',
        hint: 'check the network (a proxy?) and --zoom-token-url (ZOOMCTL_ZOOM_TOKEN_URL; default https://zoom.us/oauth/token)',
      })
    }
    const text = await response.body.text()
    const body = parseJson(text)
    if (response.statusCode !== 200) throw tokenError(response.statusCode, body, text, response.headers, this.grant, this.credentials.clientSecret)
    const accessToken = body.access_token
    const expiresIn = body.expires_in
    if (typeof accessToken !== 'string' || !accessToken || typeof expiresIn !== 'number') {
      throw new UserError(`${this.tokenUrl} answered 200 without a token (no access_token and expires_in)`, {category: 'network', code: 'zoom-token-invalid', hint: 'point --zoom-token-url at Zoom\'s token endpoint (https://zoom.us/oauth/token), not the API'})
    }
    const lifeMs = expiresIn * 1000
    const token: ZoomToken = {
      accessToken,
      expiresAt: obtainedAt + lifeMs,
      scopes: typeof body.scope === 'string' ? body.scope.split(/\s+/).filter(Boolean) : [],
      grant: this.grant,
    }
    this.cached = {token, renewAt: token.expiresAt - Math.min(RENEW_BEFORE_MS, lifeMs / 2)}
    return token
  }
}

export const CREDENTIALS_HINT =
  'give the Server-to-Server OAuth app\'s Account ID, Client ID and Client Secret (Marketplace → Manage → your app → App Credentials) as ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET, or --zoom-account-id, --zoom-client-id, --zoom-client-secret'

type TokenBody = Record<string, unknown> & {access_token?: unknown; expires_in?: unknown; scope?: unknown; reason?: unknown; error?: unknown; code?: unknown; message?: unknown}

function parseJson(text: string): TokenBody {
  try {
    const parsed = JSON.parse(text) as unknown
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as TokenBody) : {}
  } catch {
    return {}
  }
}

/**
 * The token endpoint's refusal in plain words. Zoom's status for a bad client is unconfirmed (400 or 401)
 * and its body comes as {reason, error} (seen in the wild) or {code, message} (its error table: 4702 …), so
 * the kind is read from whichever is there, the status last (api.md C4).
 */
export function tokenError(status: number, body: TokenBody, text: string, headers: Record<string, string | string[] | undefined>, grant: ZoomGrant, secret = ''): UserError {
  const reason = String(body.reason ?? body.message ?? '').slice(0, 200)
  const kind = String(body.error ?? '')
  const code = Number(body.code)
  const said = scrub(reason ? `: ${reason}` : text && !text.trimStart().startsWith('<') ? `: ${text.slice(0, 120)}` : '', secret)
  if (status === 429) {
    const wait = retryAfterMs(headers)
    return new UserError(`Zoom's token endpoint is rate-limiting this account (429)${said}`, {category: 'network', code: 'zoom-rate-limited', hint: `try again ${describeRetryAfter(wait)}`})
  }
  if (/account does not exist/i.test(reason) || (kind === 'invalid_request' && /bad request/i.test(reason) && grant === 'account_credentials')) {
    return new UserError(`Zoom does not know this account ID (${status})${said}`, {category: 'auth', code: 'zoom-invalid-account', hint: 'copy the Account ID again from the app\'s App Credentials page (ZOOM_ACCOUNT_ID, --zoom-account-id): it is the account\'s, not the client ID'})
  }
  if (/not enabled the oauth app type|does not enabled/i.test(reason)) {
    return new UserError(`this Zoom account does not allow Server-to-Server OAuth apps (${status})${said}`, {category: 'auth', code: 'zoom-app-type', hint: 'an account admin must allow Server-to-Server OAuth apps (Admin → Advanced → App Marketplace), or use credentials of an app of this account'})
  }
  if (kind === 'unsupported_grant_type' || code === 4705 || /grant type/i.test(reason)) {
    return new UserError(`Zoom refused the ${grant} grant for these credentials (${status})${said}`, {
      category: 'auth',
      code: 'zoom-grant',
      hint: grant === 'account_credentials' ? 'these are not a Server-to-Server OAuth app\'s credentials: create one (Marketplace → Develop → Build App → Server-to-Server OAuth) and use its Account ID, Client ID and Client Secret' : 'these credentials do not allow the client_credentials grant: use a general or Server-to-Server OAuth app\'s',
    })
  }
  if (code === 4717 || /disabled|deactivated/i.test(reason)) {
    return new UserError(`Zoom says the app is disabled (${status})${said}`, {category: 'auth', code: 'zoom-app-disabled', hint: 'activate the app again in the Marketplace (Manage → your app → Activation)'})
  }
  if (kind === 'invalid_client' || code === 4702 || code === 4704 || code === 4706 || status === 401) {
    return new UserError(`Zoom refused the client ID or client secret (${status})${said}`, {
      category: 'auth',
      code: 'zoom-invalid-client',
      hint: 'copy the Client ID and Client Secret again from the app\'s App Credentials page (ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET): watch for spaces; a regenerated secret replaces the old one',
    })
  }
  if (status >= 500) return new UserError(`Zoom's token endpoint failed (${status})${said}`, {category: 'network', code: 'zoom-token-5xx', hint: 'Zoom may be having trouble (status.zoom.us): try again in a minute'})
  return new UserError(`Zoom's token endpoint refused the request (${status})${said}`, {category: 'auth', code: `zoom-token-${status}`, hint: CREDENTIALS_HINT})
}

function scrub(text: string, secret: string): string {
  return secret && secret.length >= 3 ? text.split(secret).join('[redacted]') : text
}
