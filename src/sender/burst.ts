import * as hdr from 'hdr-histogram-js'
import type {Dispatcher} from 'undici'

import {type DeliveryResult, sendDelivery} from './client.js'

/** Zoom counts a delivery as failed when the answer takes longer than this. */
export const ZOOM_BUDGET_MS = 3000

export interface BurstOptions {
  url: string
  /** Makes the i-th delivery (fresh body, timestamp and signature each time). */
  makeDelivery: (index: number) => {headers: Record<string, string>; body: Buffer}
  count: number
  /** Deliveries per second; 0 means as fast as the concurrency allows. */
  rate: number
  concurrency: number
  /** Stop starting new deliveries after this many ms (0: no limit). */
  durationMs: number
  dispatcher: Dispatcher
  onProgress?: (done: number) => void
}

export interface BurstReport {
  sent: number
  succeeded: number
  failed: number
  statusCounts: Record<string, number>
  errors: Record<string, number>
  elapsedMs: number
  throughputPerSecond: number
  latencyMs: {p50: number; p95: number; p99: number; max: number; mean: number}
  overBudget: number
}

/** Sends deliveries at a steady rate with bounded concurrency, and measures what came back. */
export async function runBurst(options: BurstOptions): Promise<BurstReport> {
  // Microseconds, 3 significant digits, up to an hour: bounded memory whatever the count.
  const histogram = hdr.build({lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, useWebAssembly: false})
  const statusCounts: Record<string, number> = {}
  const errors: Record<string, number> = {}
  let next = 0
  let done = 0
  let succeeded = 0
  let overBudget = 0
  const started = performance.now()
  const interval = options.rate > 0 ? 1000 / options.rate : 0

  const record = (result: DeliveryResult) => {
    done++
    histogram.recordValue(Math.max(1, Math.round(result.latencyMs * 1000)))
    if (result.latencyMs > ZOOM_BUDGET_MS) overBudget++
    if (result.status !== undefined) {
      statusCounts[result.status] = (statusCounts[result.status] ?? 0) + 1
      if (result.status >= 200 && result.status < 300) succeeded++
    } else {
      const key = result.error ?? 'unknown error'
      errors[key] = (errors[key] ?? 0) + 1
    }
    options.onProgress?.(done)
  }

  const worker = async () => {
    for (;;) {
      const index = next++
      if (index >= options.count) return
      const due = started + index * interval
      const now = performance.now()
      if (options.durationMs > 0 && Math.max(now, due) - started >= options.durationMs) return
      if (due > now) await sleep(due - now)
      record(await sendDelivery(options.url, options.makeDelivery(index), options.dispatcher))
    }
  }
  await Promise.all(Array.from({length: Math.max(1, Math.min(options.concurrency, options.count))}, worker))

  const elapsedMs = performance.now() - started
  const micros = (value: number) => Math.round(value) / 1000
  const report: BurstReport = {
    sent: done,
    succeeded,
    failed: done - succeeded,
    statusCounts,
    errors,
    elapsedMs,
    throughputPerSecond: done / (elapsedMs / 1000),
    latencyMs: {
      p50: micros(histogram.getValueAtPercentile(50)),
      p95: micros(histogram.getValueAtPercentile(95)),
      p99: micros(histogram.getValueAtPercentile(99)),
      max: micros(histogram.maxValue),
      mean: micros(histogram.mean),
    },
    overBudget,
  }
  histogram.destroy()
  return report
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
