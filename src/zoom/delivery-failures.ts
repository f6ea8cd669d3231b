import {succeeded, type WebhookLogEntry} from './api/webhook-logs.js'

/** Zoom's failed_reason_type codes (api.md B1) in words. */
const REASON_TYPES: Record<number, string> = {
  1: 'read time-out',
  2: 'connection refused',
  3: 'Zoom internal error (hystrix fallback)',
  4: 'Zoom internal time-out (hystrix)',
  5: 'Zoom internal error (async)',
  6: 'DNS: the address is forbidden',
  7: 'remote error',
  8: 'blocked by an allow list',
  9: 'certificate error',
  10: 'needs an instant retry',
  11: 'host name verification failed',
  12: 'TLS verification failed',
  13: 'DNS resolution timed out',
  14: 'no client',
  15: 'resource not found',
  16: 'too many requests',
}

export interface FailureKind {
  /** Stable: "http-401", "reason-1" … */
  key: string
  what: string
  fix: string
  /** Zoom tries again (5xx, time-outs, its own errors: api.md E3); any 4xx is dropped for good. */
  retried: boolean
}

/** What a failed attempt means and what to do, from the status the endpoint answered or Zoom's reason. */
export function failureKind(entry: Pick<WebhookLogEntry, 'status' | 'failedReasonType'>): FailureKind {
  const {status} = entry
  if (status === 401 || status === 403) {
    return {key: `http-${status}`, what: `the endpoint refused Zoom (${status})`, fix: "the signature or header does not match: the receiver's secret token (crc_secret for the Elastic Agent) must be the app's Secret Token, and a static header must match the subscription's custom header (zoomctl zoom subscriptions show ID)", retried: false}
  }
  if (status === 404 || status === 405) return {key: `http-${status}`, what: `the endpoint has nothing at that path (${status})`, fix: "the URL's path must be the receiver's (serve --path, the integration's url setting): compare them with zoomctl doctor URL", retried: false}
  if (status === 413) return {key: 'http-413', what: 'the endpoint refused the body as too large (413)', fix: 'raise the receiver\'s body limit (serve --max-body; a proxy\'s client_max_body_size)', retried: false}
  if (status === 429) return {key: 'http-429', what: 'the endpoint rate-limited Zoom (429), which Zoom never retries', fix: 'remove the rate limit in front of the receiver: Zoom drops a 429 for good', retried: false}
  if (status >= 300 && status < 400) return {key: `http-${status}`, what: `the endpoint redirected (${status}), which Zoom does not follow`, fix: 'give Zoom the final URL (https, no redirect)', retried: false}
  if (status >= 400 && status < 500) return {key: `http-${status}`, what: `the endpoint refused the delivery (${status})`, fix: "see why in the receiver's log (zoomctl deliveries --from refused for a zoomctl serve)", retried: false}
  if (status >= 500) return {key: `http-${status}`, what: `the endpoint failed (${status})`, fix: "the receiver or what it writes to failed: see its log (a zoomctl serve answers 503 when its store cannot write)", retried: true}
  const reason = entry.failedReasonType
  const words = reason === undefined ? 'Zoom could not deliver' : (REASON_TYPES[reason] ?? `reason ${reason}`)
  const key = `reason-${reason ?? 'unknown'}`
  switch (reason) {
    case 1:
    case 4:
      return {key, what: `${words}: no answer within Zoom's 3 s`, fix: "answer faster: a receiver must reply before it does slow work (zoomctl serve does; measure with zoomctl doctor URL)", retried: true}
    case 2:
      return {key, what: words, fix: 'the receiver was not listening: keep it running (a service), and check the port and firewall', retried: true}
    case 9:
    case 11:
    case 12:
      return {key, what: words, fix: "the certificate must be publicly trusted, unexpired, for this host name, with its full chain (zoomctl doctor URL shows which)", retried: false}
    case 6:
    case 13:
      return {key, what: words, fix: "the host must resolve in public DNS to a public address", retried: true}
    case 15:
      return {key, what: words, fix: 'the URL must point at the receiver', retried: true}
    case 16:
      return {key, what: words, fix: 'remove the rate limit in front of the receiver', retried: false}
    default:
      return {key, what: words, fix: 'Zoom retries its own errors; if they persist, ask Zoom (devsupport.zoom.us)', retried: true}
  }
}

export interface FailureGroup extends FailureKind {
  count: number
  last: string
  events: string[]
}

/** Failed attempts grouped by what went wrong, the most frequent first. */
export function groupFailures(entries: WebhookLogEntry[]): FailureGroup[] {
  const groups = new Map<string, FailureGroup>()
  for (const entry of entries) {
    if (succeeded(entry)) continue
    const kind = failureKind(entry)
    const group = groups.get(kind.key) ?? {...kind, count: 0, last: '', events: []}
    group.count++
    if (entry.dateTime > group.last) group.last = entry.dateTime
    if (!group.events.includes(entry.event)) group.events.push(entry.event)
    groups.set(kind.key, group)
  }
  return [...groups.values()].sort((a, b) => b.count - a.count)
}
