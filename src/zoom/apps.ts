import type {AuthSettings} from './auth.js'

/** One Zoom app sending to a serve shared by several: its name (on records and documents) and Secret Token. */
export interface AppToken {
  name: string
  secret: string
}

/** Names go into tags, headers and metric labels: short, and nothing that needs quoting. */
export const APP_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/

/** A token a receiver verifies signatures with, and the app it stands for (none: the main or previous token). */
export interface VerifyingToken {
  secret: string
  app?: string
  /** The token before a regeneration: verifies deliveries, never answers the challenge. */
  previous?: boolean
}

/**
 * Every token a receiver tries, in order: the main Secret Token, the previous one, then each app's. A
 * signature is an HMAC over the body: each token tried costs one (BENCHMARKS.md, "app tokens").
 */
export function verifyingTokens(auth: AuthSettings): VerifyingToken[] {
  return [
    ...(auth.secretToken ? [{secret: auth.secretToken}] : []),
    ...(auth.previousSecretToken ? [{secret: auth.previousSecretToken, previous: true}] : []),
    ...(auth.apps ?? []).map((app) => ({secret: app.secret, app: app.name})),
  ]
}

/** The tag a forwarded document carries for its app, e.g. zoom-app:sales. */
export function appTag(name: string): string {
  return `zoom-app:${name}`
}

/** The header the agent sink adds so that an agent's http_endpoint can keep the app (include_headers). */
export const APP_HEADER = 'x-zoomctl-app'
