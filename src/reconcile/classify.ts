/** What Zoom's webhook logs say against what arrived: pure (the reading is in reconcile.ts). */
import {succeeded, type WebhookLogEntry} from '../zoom/api/webhook-logs.js'
import {failureKind, type FailureKind} from '../zoom/delivery-failures.js'

/** One delivery as Zoom made it: every attempt of one request_id (stable across retries). */
export interface ZoomDelivery {
  requestId: string
  event: string
  endpoint: string
  attempts: number
  lastAttempt: string
  /** A 2xx to one of its attempts: Zoom counts it delivered. */
  delivered: boolean
  lastStatus: number
  lastFailure?: FailureKind
  body?: string
}

/** Zoom retries after 5, 20 and 60 minutes (api.md E3): no news for longer than this after a retryable failure, and it has given up. */
const RETRY_GAPS_MS = [5 * 60_000, 20 * 60_000, 60 * 60_000]
const SLACK_MS = 10 * 60_000

export function groupAttempts(entries: WebhookLogEntry[]): ZoomDelivery[] {
  const byRequest = new Map<string, WebhookLogEntry[]>()
  for (const entry of entries) {
    // A log without request_id is its own delivery.
    const key = entry.requestId || `${entry.event}@${entry.dateTime}@${entry.endpoint}`
    byRequest.set(key, [...(byRequest.get(key) ?? []), entry])
  }
  return [...byRequest].map(([requestId, attempts]) => {
    const ordered = attempts.sort((a, b) => a.retryNum - b.retryNum || a.dateTime.localeCompare(b.dateTime))
    const last = ordered.at(-1)!
    const delivered = ordered.some(succeeded)
    const failure = ordered.filter((entry) => !succeeded(entry)).at(-1)
    return {
      requestId,
      event: last.event,
      endpoint: last.endpoint,
      attempts: ordered.length,
      lastAttempt: last.dateTime,
      delivered,
      lastStatus: last.status,
      ...(failure ? {lastFailure: failureKind(failure)} : {}),
      ...(ordered.find((entry) => entry.requestBody)?.requestBody ? {body: ordered.find((entry) => entry.requestBody)!.requestBody} : {}),
    }
  })
}

export type Verdict =
  /** Found where it was looked for. */
  | 'arrived'
  /** Zoom had a 2xx, yet it is not there: acknowledged and lost (an agent answers before it indexes). */
  | 'acknowledged-missing'
  /** Failed, and Zoom will not try again (a 4xx, or its retries are over): only a replay brings it. */
  | 'failed-for-good'
  /** Failed, and a Zoom retry is still due. */
  | 'retry-pending'

export function verdictOf(delivery: ZoomDelivery, found: boolean, now: number): Verdict {
  if (found) return 'arrived'
  if (delivery.delivered) return 'acknowledged-missing'
  const retryable = delivery.lastFailure?.retried ?? false
  const retriesLeft = delivery.attempts <= RETRY_GAPS_MS.length
  const nextDue = Date.parse(delivery.lastAttempt) + (RETRY_GAPS_MS[delivery.attempts - 1] ?? 0) + SLACK_MS
  return retryable && retriesLeft && now < nextDue ? 'retry-pending' : 'failed-for-good'
}
