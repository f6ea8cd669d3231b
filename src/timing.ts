/** Milliseconds since a performance.now() reading, to the microsecond: more digits are timer noise. */
export function elapsedMs(startedAt: number): number {
  return Math.round((performance.now() - startedAt) * 1000) / 1000
}

let isoMs = Number.NaN
let isoText = ''

/**
 * new Date().toISOString(), made once per millisecond: a receiver under load stamps many requests within
 * one, and each string costs ~0.5 µs of a request's ~20 µs in process.
 */
export function isoNow(): string {
  const now = Date.now()
  if (now !== isoMs) {
    isoMs = now
    isoText = new Date(now).toISOString()
  }
  return isoText
}

/**
 * The nearest-rank percentile of values sorted ascending: a value that was measured, never one in between
 * (p99 of two answers is the slower one, p50 of them the faster).
 */
export function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * p) - 1))]
}

/** Waits `ms`, or less if the signal aborts first (Ctrl-C): a paced sender stops at once, not at its next turn. */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve()
    const done = () => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done, {once: true})
  })
}
