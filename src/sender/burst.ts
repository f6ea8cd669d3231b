import type {Dispatcher} from 'undici'

import {delay} from '../timing.js'
import {sendDelivery} from './client.js'
import {type DeliveryReport, DeliveryStats} from './stats.js'

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
  onProgress?: (done: number, succeeded: number) => void
  /** Ctrl-C: start nothing new; what is in flight finishes and is counted. */
  signal?: AbortSignal
}

export type BurstReport = DeliveryReport

/** Sends deliveries at a steady rate with bounded concurrency, and measures what came back. */
export async function runBurst(options: BurstOptions): Promise<BurstReport> {
  const stats = new DeliveryStats()
  let next = 0
  const started = performance.now()
  const interval = options.rate > 0 ? 1000 / options.rate : 0

  const worker = async () => {
    for (;;) {
      const index = next++
      if (index >= options.count || options.signal?.aborted) return
      const due = started + index * interval
      const now = performance.now()
      if (options.durationMs > 0 && Math.max(now, due) - started >= options.durationMs) return
      if (due > now) await delay(due - now, options.signal)
      if (options.signal?.aborted) return
      stats.record(await sendDelivery(options.url, options.makeDelivery(index), options.dispatcher, {keepAnswer: false}))
      options.onProgress?.(stats.done, stats.succeeded)
    }
  }
  await Promise.all(Array.from({length: Math.max(1, Math.min(options.concurrency, options.count))}, worker))

  const report = stats.report()
  stats.destroy()
  return report
}
