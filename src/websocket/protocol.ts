/**
 * Zoom's WebSocket event subscription, as far as it is known (../shared/zoom/api.md D): the consumer opens
 * `<endpoint>?subscriptionId=<id>&access_token=<token>`, sends `{"module":"heartbeat"}` every 30 s, and the
 * server sends `build_connection` first, heartbeat answers, and events as `{"module":"message","content":
 * "<the webhook body as a JSON string>"}`. The envelope comes from community code, not Zoom's docs: every
 * reading here accepts the variants that are possible (content as a string or an object; no build_connection
 * at all). Pure: no I/O.
 */

/** Zoom's own endpoint (its app page shows it, with the subscription id in the query). */
export const DEFAULT_ZOOM_WS_URL = 'wss://ws.zoom.us/ws'

/** "Send a heartbeat to the server every 30 seconds to keep the connection alive" (Zoom's WebSocket doc). */
export const HEARTBEAT_INTERVAL_MS = 30_000

export const HEARTBEAT_FRAME = JSON.stringify({module: 'heartbeat'})

/** The heartbeat answer a user saw from Zoom: `{"module":"heartbeat","success":true,"content":"live","header":{}}`. */
export const HEARTBEAT_ANSWER = JSON.stringify({module: 'heartbeat', success: true, content: 'live', header: {}})

/**
 * The socket's address: the endpoint as given (it may already carry the subscription id: Zoom shows it so),
 * with the subscription id and the token in the query.
 */
export function socketUrl(endpoint: string, subscriptionId: string, accessToken: string): URL {
  const url = new URL(endpoint)
  url.searchParams.set('subscriptionId', subscriptionId)
  url.searchParams.set('access_token', accessToken)
  return url
}

/** The endpoint without its query: what may be printed (the query holds the token). */
export function printableEndpoint(endpoint: string): string {
  try {
    const url = new URL(endpoint)
    return `${url.protocol}//${url.host}${url.pathname}`
  } catch {
    return '(not a URL)'
  }
}

/** What a frame from the server is. */
export type ServerFrame =
  | {kind: 'build_connection'; success: boolean; detail?: string}
  | {kind: 'heartbeat'; success: boolean}
  /** An event: its body's bytes as a webhook would carry them. */
  | {kind: 'event'; body: Buffer}
  /** A frame of a kind not known here, or not JSON: kept for a warning, never dropped silently. */
  | {kind: 'unknown'; module?: string; detail: string}

/** Reads one text frame from the server. */
export function readServerFrame(text: string): ServerFrame {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return {kind: 'unknown', detail: `a frame that is not JSON: ${text.slice(0, 80)}`}
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {kind: 'unknown', detail: 'a frame that is not a JSON object'}
  const frame = parsed as Record<string, unknown>
  const module = typeof frame.module === 'string' ? frame.module : undefined
  // success missing counts as true: only an explicit false is a refusal.
  const success = frame.success !== false
  switch (module) {
    case 'build_connection':
      return {kind: 'build_connection', success, ...(success ? {} : {detail: describeContent(frame.content) ?? describeContent(frame.message) ?? 'no reason given'})}
    case 'heartbeat':
      return {kind: 'heartbeat', success}
    case 'message': {
      // Community code JSON-parses a string; an object (should Zoom send one) is the same body, encoded here.
      const content = frame.content
      if (typeof content === 'string') return {kind: 'event', body: Buffer.from(content, 'utf8')}
      if (typeof content === 'object' && content !== null) return {kind: 'event', body: Buffer.from(JSON.stringify(content), 'utf8')}
      return {kind: 'unknown', module, detail: 'a message frame without content'}
    }
    default:
      return {kind: 'unknown', ...(module ? {module} : {}), detail: `a frame of module ${module ?? '(none)'}`}
  }
}

function describeContent(value: unknown): string | undefined {
  if (typeof value === 'string' && value) return value.slice(0, 200)
  if (typeof value === 'object' && value !== null) return JSON.stringify(value).slice(0, 200)
  return undefined
}

/**
 * How long to wait before reconnect attempt `attempt` (1, 2, …): 1 s doubling to `maxMs`, with up to 20 %
 * jitter so that many consumers cut off together do not come back together. `random` is injectable.
 */
export function backoffMs(attempt: number, maxMs: number, initialMs = 1000, random: () => number = Math.random): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1))
  return Math.round(base * (1 - 0.2 * random()))
}
