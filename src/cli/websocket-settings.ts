import {Flags} from '@oclif/core'

import {runWebSocketDoctor, type WebSocketDoctorReport} from '../checks/doctor/websocket-doctor.js'
import {OptionError, parseDuration} from '../config/index.js'
import type {ZoomGrant} from '../zoom/api/oauth.js'
import type {TokenSource} from '../websocket/consumer.js'
import {DEFAULT_ZOOM_WS_URL} from '../websocket/protocol.js'
import {GrantFallbackTokens} from '../websocket/tokens.js'
import {zoomFlags, type ZoomFlagValues, zoomOAuthClientFrom} from './zoom-flags.js'

export const WEBSOCKET_GRANTS = ['auto', 'client_credentials', 'account_credentials'] as const

/** Zoom's WebSocket event subscription: which one, where, and the credentials its token is asked with. */
export const websocketFlags = {
  'zoom-subscription-id': Flags.string({
    description: "the WebSocket event subscription's id (Marketplace → your app → Feature → Event subscription: the endpoint URL ends with ?subscriptionId=…)",
    env: 'ZOOM_WEBSOCKET_SUBSCRIPTION_ID',
    helpGroup: 'ZOOM',
  }),
  'zoom-ws-url': Flags.string({description: "Zoom's WebSocket endpoint", default: DEFAULT_ZOOM_WS_URL, env: 'ZOOMCTL_ZOOM_WS_URL', helpGroup: 'ZOOM'}),
  'zoom-ws-grant': Flags.string({
    description: "the OAuth grant of the WebSocket's token: auto tries client_credentials (Zoom's WebSocket docs), then account_credentials (community listeners) when the account ID is given",
    options: [...WEBSOCKET_GRANTS],
    default: 'auto',
    env: 'ZOOMCTL_ZOOM_WS_GRANT',
    helpGroup: 'ZOOM',
  }),
  // Zoom asks for 30 s; shorter only for tests (a dead socket is noticed one beat later).
  'zoom-ws-heartbeat': Flags.string({description: 'heartbeat interval', default: '30s', env: 'ZOOMCTL_ZOOM_WS_HEARTBEAT', hidden: true, helpGroup: 'ZOOM'}),
  'zoom-account-id': zoomFlags['zoom-account-id'],
  'zoom-client-id': zoomFlags['zoom-client-id'],
  'zoom-client-secret': zoomFlags['zoom-client-secret'],
  'zoom-token-url': zoomFlags['zoom-token-url'],
}

export interface WebSocketFlagValues extends ZoomFlagValues {
  'zoom-subscription-id'?: string
  'zoom-ws-url'?: string
  'zoom-ws-grant'?: string
  'zoom-ws-heartbeat'?: string
}

export interface WebSocketTarget {
  endpoint: string
  subscriptionId: string
  heartbeatMs: number
}

/** The socket's endpoint, subscription and heartbeat, checked (exit 2 on bad input). */
export function websocketTargetFrom(flags: WebSocketFlagValues, command = 'serve --websocket'): WebSocketTarget {
  const subscriptionId = flags['zoom-subscription-id']?.trim()
  if (!subscriptionId) {
    throw new OptionError(`${command} needs the event subscription's id`, {
      hint: "export ZOOM_WEBSOCKET_SUBSCRIPTION_ID=… or --zoom-subscription-id (Marketplace → your app → Feature → Event subscription, method WebSocket: the endpoint URL shown ends with ?subscriptionId=…)",
    })
  }
  const endpoint = flags['zoom-ws-url'] ?? DEFAULT_ZOOM_WS_URL
  let url: URL
  try {
    url = new URL(endpoint)
  } catch {
    throw new OptionError(`--zoom-ws-url: "${endpoint}" is not a URL`, {hint: `e.g. ${DEFAULT_ZOOM_WS_URL}`})
  }
  if (url.protocol !== 'wss:' && url.protocol !== 'ws:') throw new OptionError(`--zoom-ws-url: use wss:// (or ws:// for a local test), not ${url.protocol}`)
  if (url.searchParams.has('access_token')) throw new OptionError('--zoom-ws-url: leave the access_token out: serve asks for a fresh one at each connection')
  const heartbeatMs = parseDuration(flags['zoom-ws-heartbeat'] ?? '30s', '--zoom-ws-heartbeat')
  if (heartbeatMs < 100) throw new OptionError('--zoom-ws-heartbeat: at least 100ms (Zoom asks for 30s)')
  return {endpoint, subscriptionId, heartbeatMs}
}

/**
 * The token source of the socket: with auto, a client_credentials client (Zoom's WebSocket doc), then an
 * account_credentials one when the account ID is given (what community listeners use); see
 * GrantFallbackTokens for when the next is taken.
 */
export function websocketTokensFrom(flags: WebSocketFlagValues): TokenSource & {readonly grant: string} {
  return new GrantFallbackTokens(websocketGrants(flags).map((grant) => zoomOAuthClientFrom(flags, {grant})))
}

/** The grants to try, in order (see websocketTokensFrom). */
function websocketGrants(flags: WebSocketFlagValues): ZoomGrant[] {
  const choice = (flags['zoom-ws-grant'] ?? 'auto') as (typeof WEBSOCKET_GRANTS)[number]
  return choice === 'auto' ? ['client_credentials', ...(flags['zoom-account-id'] ? (['account_credentials'] as const) : [])] : [choice]
}

/** doctor --websocket from its flags: the same target and grants as serve --websocket's. */
export function websocketDoctorFrom(flags: WebSocketFlagValues & {websocket: boolean; 'data-dir': string; timeout: string}, url: string | undefined, onProgress: (text: string) => void): Promise<WebSocketDoctorReport> {
  if (!flags.websocket) throw new OptionError('give the webhook URL to check, or --websocket to check Zoom\'s WebSocket path', {hint: 'zoomctl doctor https://hooks.example.com/zoom-webhook'})
  if (url) throw new OptionError(`--websocket checks Zoom's WebSocket: leave out the URL (${url}), or --websocket`)
  const target = websocketTargetFrom(flags, 'doctor --websocket')
  const grants = websocketGrants(flags)
  return runWebSocketDoctor({
    endpoint: target.endpoint,
    subscriptionId: target.subscriptionId,
    clients: () => grants.map((grant) => zoomOAuthClientFrom(flags, {grant})),
    credentials: {accountId: Boolean(flags['zoom-account-id']), clientId: Boolean(flags['zoom-client-id']), clientSecret: Boolean(flags['zoom-client-secret'])},
    dataDir: flags['data-dir'],
    timeoutMs: parseDuration(flags.timeout, '--timeout'),
    onProgress,
  })
}
