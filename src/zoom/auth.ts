import {timingSafeEqual} from 'node:crypto'

import {UserError} from '../errors.js'
import type {AppToken} from './apps.js'

/**
 * How a delivery proves where it came from. Zoom signs every delivery whatever the mode; the other modes
 * add one header on top (Elastic's integration checks only that header: `Authorization` by default).
 */
export const AUTH_MODES = ['signature', 'header', 'basic', 'bearer'] as const
export type AuthMode = (typeof AUTH_MODES)[number]

export const DEFAULT_AUTH_HEADER = 'authorization'

export interface AuthSettings {
  mode: AuthMode
  /** The subscription's Secret Token: signs (simulate) or verifies (serve) every delivery and answers the CRC. */
  secretToken?: string
  /**
   * serve: the Secret Token before its last regeneration in Zoom, still accepted on deliveries (Zoom keeps
   * no overlap of the two); never used to sign nor to answer the challenge.
   */
  previousSecretToken?: string
  /**
   * serve: the Secret Tokens of several Zoom apps sending to this one endpoint, each under a name that its
   * deliveries' records (and forwarded documents) carry. Tried in turn after secretToken.
   */
  apps?: AppToken[]
  /** Mode `header`: the header's name (default Authorization) and its exact value. */
  headerName?: string
  headerValue?: string
  /** Mode `basic`. */
  username?: string
  password?: string
  /** Mode `bearer`. */
  bearerToken?: string
}

export class AuthConfigError extends UserError {}

/**
 * Checks that the settings hold what their mode needs; throws an error that says which flag to add.
 * `tokenHint`: where else a missing secret token could come from (a local serve's data dir).
 */
export function assertAuthComplete(settings: AuthSettings, role: 'send' | 'receive', tokenHint?: string): void {
  const missing = (what: string) => new AuthConfigError(`auth mode "${settings.mode}" needs ${what}`)
  switch (settings.mode) {
    case 'signature':
      if (!settings.secretToken && !(role === 'receive' && settings.apps?.length)) {
        throw new AuthConfigError('auth mode "signature" needs a secret token (--secret-token or ZOOM_WEBHOOK_SECRET_TOKEN)', {hint: tokenHint})
      }
      break
    case 'header':
      if (!settings.headerValue) throw missing('a header value (--auth-value or ZOOMCTL_AUTH_VALUE)')
      break
    case 'basic':
      if (!settings.username || settings.password === undefined) {
        throw missing('a user name and password (--basic-user/--basic-password or ZOOMCTL_BASIC_USER/ZOOMCTL_BASIC_PASSWORD)')
      }
      break
    case 'bearer':
      if (!settings.bearerToken) throw missing('a token (--bearer-token or ZOOMCTL_BEARER_TOKEN)')
      break
  }
  if (role === 'send' && !settings.secretToken) {
    throw new AuthConfigError('Zoom signs every delivery: give the secret token (--secret-token or ZOOM_WEBHOOK_SECRET_TOKEN)', {hint: tokenHint})
  }
}

/** The one extra header a mode adds to a delivery (none for `signature`). */
export function modeHeader(settings: AuthSettings): [name: string, value: string] | undefined {
  switch (settings.mode) {
    case 'signature':
      return undefined
    case 'header':
      return [(settings.headerName ?? DEFAULT_AUTH_HEADER).toLowerCase(), settings.headerValue ?? '']
    case 'basic':
      return ['authorization', `Basic ${Buffer.from(`${settings.username ?? ''}:${settings.password ?? ''}`).toString('base64')}`]
    case 'bearer':
      return ['authorization', `Bearer ${settings.bearerToken ?? ''}`]
  }
}

export type AuthCheck = {ok: true} | {ok: false; reason: string}

/** The receiving side of `modeHeader`: an exact, constant-time comparison. */
export function checkModeHeader(settings: AuthSettings, headers: Record<string, string | string[] | undefined>): AuthCheck {
  const expected = modeHeader(settings)
  if (!expected) return {ok: true}
  const [name, value] = expected
  const received = headers[name]
  const given = Array.isArray(received) ? received[0] : received
  if (given === undefined) return {ok: false, reason: `missing ${name} header (auth mode ${settings.mode})`}
  if (!constantTimeEqual(given, value)) return {ok: false, reason: `${name} header does not match (auth mode ${settings.mode})`}
  return {ok: true}
}

export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  // Compare equal-length buffers so the time does not reveal where they differ; the length may leak.
  if (left.length !== right.length) {
    timingSafeEqual(left, left)
    return false
  }
  return timingSafeEqual(left, right)
}

/** A description safe to print: names the mode and header, never a secret. */
export function describeAuth(settings: AuthSettings): string {
  const apps = settings.apps?.length ? `, apps ${settings.apps.map((app) => app.name).join(', ')}` : ''
  const signing = settings.secretToken || apps ? `signed (x-zm-signature${settings.previousSecretToken ? ', the previous Secret Token accepted too' : ''}${apps})` : 'unsigned'
  switch (settings.mode) {
    case 'signature':
      return signing
    case 'header':
      return `${signing} + header ${settings.headerName ?? 'Authorization'}`
    case 'basic':
      return `${signing} + Basic auth (user ${settings.username ?? '?'})`
    case 'bearer':
      return `${signing} + Bearer token`
  }
}

/** Replaces credentials in a header value by a marker, keeping the scheme so a reader knows what was sent. */
export function redactCredential(value: string): string {
  const scheme = /^(Basic|Bearer)\s/i.exec(value)
  return scheme ? `${scheme[1]} [redacted]` : '[redacted]'
}
