import * as hdr from 'hdr-histogram-js'

import {ZOOM_BUDGET_MS} from '../zoom/limits.js'
import type {DeliveryResult} from './client.js'

export interface DeliveryReport {
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

/** What came back from many deliveries: statuses, errors, and latency in bounded memory whatever the count. */
export class DeliveryStats {
  // Microseconds, 3 significant digits, up to an hour.
  private readonly histogram = hdr.build({lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, useWebAssembly: false})
  private readonly statusCounts: Record<string, number> = {}
  private readonly errors: Record<string, number> = {}
  private readonly started = performance.now()
  done = 0
  succeeded = 0
  private overBudget = 0

  record(result: DeliveryResult): boolean {
    this.done++
    this.histogram.recordValue(Math.max(1, Math.round(result.latencyMs * 1000)))
    if (result.latencyMs > ZOOM_BUDGET_MS) this.overBudget++
    if (result.status !== undefined) {
      this.statusCounts[result.status] = (this.statusCounts[result.status] ?? 0) + 1
      if (result.status >= 200 && result.status < 300) {
        this.succeeded++
        return true
      }
    } else {
      const key = result.error ?? 'unknown error'
      this.errors[key] = (this.errors[key] ?? 0) + 1
    }
    return false
  }

  /** The report so far; the recorder can go on recording after it. */
  report(): DeliveryReport {
    const elapsedMs = performance.now() - this.started
    const micros = (value: number) => (this.done ? Math.round(value) / 1000 : 0)
    // A percentile is rounded up to its bucket: never report it above the exact maximum.
    const max = micros(this.histogram.maxValue)
    return {
      sent: this.done,
      succeeded: this.succeeded,
      failed: this.done - this.succeeded,
      statusCounts: {...this.statusCounts},
      errors: {...this.errors},
      elapsedMs: Math.round(elapsedMs),
      throughputPerSecond: Math.round((this.done / (elapsedMs / 1000)) * 10) / 10,
      latencyMs: {
        p50: Math.min(max, micros(this.histogram.getValueAtPercentile(50))),
        p95: Math.min(max, micros(this.histogram.getValueAtPercentile(95))),
        p99: Math.min(max, micros(this.histogram.getValueAtPercentile(99))),
        max,
        mean: Math.round(micros(this.histogram.mean) * 1000) / 1000,
      },
      overBudget: this.overBudget,
    }
  }

  destroy(): void {
    this.histogram.destroy()
  }
}
