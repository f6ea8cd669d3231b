/** Zoom's 429s: how long to wait, from Retry-After (seconds or an HTTP date), and in words. */

type Headers = Record<string, string | string[] | undefined>

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name] ?? headers[name.toLowerCase()]
  return Array.isArray(value) ? value[0] : value
}

/** Milliseconds to wait, or undefined when the answer did not say. */
export function retryAfterMs(headers: Headers, now: number = Date.now()): number | undefined {
  const value = header(headers, 'retry-after')?.trim()
  if (!value) return undefined
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}

/**
 * A daily cap rather than a per-second rate: Zoom's message says "daily" (RL-DOC), its X-RateLimit-Type
 * header may, or the wait runs past a minute. Either way it is not worth waiting for within a command.
 */
export function isDailyLimit(headers: Headers, message: string, waitMs: number | undefined): boolean {
  return /daily/i.test(message) || /daily/i.test(header(headers, 'x-ratelimit-type') ?? '') || (waitMs !== undefined && waitMs > 60_000)
}

/** "in 3 s", "after 00:00 UTC (in 5 h 12 min)". */
export function describeRetryAfter(waitMs: number | undefined, now: number = Date.now()): string {
  if (waitMs === undefined) return 'in a minute'
  if (waitMs < 60_000) return `in ${Math.max(1, Math.ceil(waitMs / 1000))} s`
  const at = new Date(now + waitMs)
  const minutes = Math.ceil(waitMs / 60_000)
  const span = minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`
  return `after ${at.toISOString().slice(11, 16)} UTC (in ${span})`
}
