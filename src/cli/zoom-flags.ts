import {Flags} from '@oclif/core'

import {OptionError} from '../config/index.js'
import {DEFAULT_ZOOM_API_URL, ZoomApiClient} from '../zoom/api/client.js'
import {APP_ID_HINT} from '../zoom/api/errors.js'
import {CREDENTIALS_HINT, DEFAULT_ZOOM_TOKEN_URL, type ZoomGrant, ZoomOAuthClient} from '../zoom/api/oauth.js'

/**
 * Zoom's API credentials, named as Zoom's own tools name them (a Server-to-Server OAuth app's three
 * credentials), and where the API lives, for tests and users behind a proxy. Each is also a config-file
 * setting of the same name; the secret takes env:/file: references there like the other secrets.
 */
export const zoomFlags = {
  'zoom-account-id': Flags.string({description: "the Server-to-Server OAuth app's Account ID (App Credentials page)", env: 'ZOOM_ACCOUNT_ID', helpGroup: 'ZOOM'}),
  'zoom-client-id': Flags.string({description: "the app's Client ID", env: 'ZOOM_CLIENT_ID', helpGroup: 'ZOOM'}),
  'zoom-client-secret': Flags.string({description: "the app's Client Secret", env: 'ZOOM_CLIENT_SECRET', helpGroup: 'ZOOM'}),
  'zoom-app-id': Flags.string({description: "the app's ID, for its webhook logs (in the address of the app's Marketplace page)", env: 'ZOOM_APP_ID', helpGroup: 'ZOOM'}),
  'zoom-api-url': Flags.string({description: "Zoom's API", default: DEFAULT_ZOOM_API_URL, env: 'ZOOMCTL_ZOOM_API_URL', helpGroup: 'ZOOM'}),
  'zoom-token-url': Flags.string({description: "Zoom's OAuth token endpoint", default: DEFAULT_ZOOM_TOKEN_URL, env: 'ZOOMCTL_ZOOM_TOKEN_URL', helpGroup: 'ZOOM'}),
}

export interface ZoomFlagValues {
  'zoom-account-id'?: string
  'zoom-client-id'?: string
  'zoom-client-secret'?: string
  'zoom-app-id'?: string
  'zoom-api-url'?: string
  'zoom-token-url'?: string
}

/** Whether any Zoom credential was given: doctor adds Zoom's side only then. */
export function zoomCredentialsGiven(flags: ZoomFlagValues): boolean {
  return Boolean(flags['zoom-account-id'] || flags['zoom-client-id'] || flags['zoom-client-secret'])
}

/**
 * The one way every command gets its Zoom OAuth client from its parsed flags. account_credentials (the
 * default) needs all three credentials; client_credentials the client ID and secret. A missing one is bad
 * input naming the flag and env var.
 */
export function zoomOAuthClientFrom(flags: ZoomFlagValues, options: {grant?: ZoomGrant; now?: () => number; timeoutMs?: number} = {}): ZoomOAuthClient {
  const grant = options.grant ?? 'account_credentials'
  const missing = [
    ...(grant === 'account_credentials' && !flags['zoom-account-id'] ? ['the account ID (ZOOM_ACCOUNT_ID, --zoom-account-id)'] : []),
    ...(flags['zoom-client-id'] ? [] : ['the client ID (ZOOM_CLIENT_ID, --zoom-client-id)']),
    ...(flags['zoom-client-secret'] ? [] : ['the client secret (ZOOM_CLIENT_SECRET, --zoom-client-secret)']),
  ]
  if (missing.length) throw new OptionError(`Zoom's API needs ${missing.join(', ')}`, {hint: CREDENTIALS_HINT})
  return new ZoomOAuthClient({
    credentials: {accountId: flags['zoom-account-id'], clientId: flags['zoom-client-id']!, clientSecret: flags['zoom-client-secret']!},
    tokenUrl: checkedUrl(flags['zoom-token-url'] ?? DEFAULT_ZOOM_TOKEN_URL, '--zoom-token-url'),
    grant,
    now: options.now,
    timeoutMs: options.timeoutMs,
  })
}

/** The API client over zoomOAuthClientFrom's token. */
export function zoomApiClientFrom(flags: ZoomFlagValues, options: {grant?: ZoomGrant; timeoutMs?: number} = {}): ZoomApiClient {
  const oauth = zoomOAuthClientFrom(flags, options)
  return new ZoomApiClient({oauth, baseUrl: checkedUrl(flags['zoom-api-url'] ?? DEFAULT_ZOOM_API_URL, '--zoom-api-url'), timeoutMs: options.timeoutMs})
}

/** The app ID for webhook logs, or bad input saying where to find it. */
export function zoomAppIdFrom(flags: ZoomFlagValues): string {
  const appId = flags['zoom-app-id']?.trim()
  if (!appId) throw new OptionError("Zoom's webhook logs need the app's ID", {hint: APP_ID_HINT})
  return appId
}

function checkedUrl(text: string, flag: string): string {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new OptionError(`${flag}: "${text}" is not a URL`, {hint: `${flag} takes e.g. ${flag === '--zoom-api-url' ? DEFAULT_ZOOM_API_URL : DEFAULT_ZOOM_TOKEN_URL}`})
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new OptionError(`${flag}: use https:// (or http:// for a local test double), not ${url.protocol}`)
  if (url.username || url.password) throw new OptionError(`${flag}: give the credentials as ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET, not in the URL`)
  return text
}

/** The subscription zoomctl keeps for this endpoint (setup writes them to the config file; zoom apply reads them). */
export const zoomSubscriptionFlags = {
  'zoom-webhook-url': Flags.string({description: 'the https URL Zoom delivers to (the endpoint that answers its challenge)', env: 'ZOOMCTL_ZOOM_WEBHOOK_URL', helpGroup: 'ZOOM'}),
  'zoom-categories': Flags.string({description: 'subscribe to the events Elastic maps in these categories, comma-separated (default: all)', helpGroup: 'ZOOM'}),
  'zoom-events': Flags.string({description: 'subscribe to exactly these events, comma-separated (instead of --zoom-categories)', helpGroup: 'ZOOM'}),
  'zoom-subscription-name': Flags.string({description: "the subscription's name, by which zoomctl finds its own again", default: 'zoomctl', helpGroup: 'ZOOM'}),
  'zoom-custom-header': Flags.string({description: 'a static header Zoom adds to every delivery, "Name: value" (for an endpoint that checks one, as the Elastic Agent does)', env: 'ZOOMCTL_ZOOM_CUSTOM_HEADER', helpGroup: 'ZOOM'}),
}

export interface ZoomSubscriptionFlagValues {
  'zoom-webhook-url'?: string
  'zoom-categories'?: string
  'zoom-events'?: string
  'zoom-subscription-name'?: string
  'zoom-custom-header'?: string
}

/** A "Name: value" custom header, with the name Zoom accepts (letters, digits and "-"). */
export function customHeaderFrom(text: string | undefined): {key: string; value: string} | undefined {
  if (!text) return undefined
  const match = /^([^:\s]+)\s*:\s*(.+)$/.exec(text.trim())
  if (!match) throw new OptionError('--zoom-custom-header: use "Name: value"', {hint: 'e.g. --zoom-custom-header "X-Zoom-Secret: <value>"'})
  if (!/^[a-zA-Z0-9-]+$/.test(match[1]!)) throw new OptionError(`--zoom-custom-header: Zoom takes letters, digits and "-" in a header name, not "${match[1]}"`)
  return {key: match[1]!, value: match[2]!}
}

/** Runs `work` with an API client from the flags, closed after whatever happens. */
export async function withZoomApi<T>(flags: ZoomFlagValues, work: (api: ZoomApiClient) => Promise<T>): Promise<T> {
  const api = zoomApiClientFrom(flags)
  try {
    return await work(api)
  } finally {
    await api.close()
  }
}
