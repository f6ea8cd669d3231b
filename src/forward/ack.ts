import type {DeliveryRecord} from '../store/records.js'
import type {ItemOutcome, Sink} from './sinks.js'

/** What serve answers when Elasticsearch has not confirmed a delivery in time: 503 (Zoom retries) or 200 (kept, forwarded later). */
export const ACK_FALLBACKS = ['retry', 'store'] as const
export type AckFallback = (typeof ACK_FALLBACKS)[number]

export interface AckSettings {
  /** How long an answer waits for Elasticsearch: inside Zoom's 3 s, with room for the network. */
  budgetMs: number
  fallback: AckFallback
  /** Deliveries in one _bulk at most. */
  maxBatch?: number
  /** Bulk requests in flight at once: one that hangs does not hold every answer behind it. */
  maxInFlight?: number
}

/** What to answer Zoom: 200 (indexed, or kept under the store fallback, or refused for good and dead-lettered) or 503. */
export interface AckAnswer {
  indexed: boolean
  /** Answer 503 so that Zoom retries. */
  retry: boolean
  /** Why it was not indexed in time. */
  detail?: string
}

interface Waiter {
  record: DeliveryRecord
  deadline: number
  settled: boolean
  lastError?: string
  timer: NodeJS.Timeout
  resolve: (answer: AckAnswer) => void
}

/**
 * serve --ack-after-index: a delivery is answered once Elasticsearch has its document. Deliveries that come
 * while a _bulk is in flight wait for the next one and share it (group commit): one round trip (two with
 * the dedupe claims) for however many arrive together. A delivery not confirmed within the budget is
 * answered by the fallback; its bulk goes on, and what it indexes late is still passed over by the forwarder.
 */
export class IndexAcknowledger {
  private queue: Waiter[] = []
  private inFlight = 0
  /** Records this path indexed, until the forwarder passes over them. */
  private readonly indexedIds = new Set<string>()
  readonly stats = {deliveries: 0, indexed: 0, notInTime: 0, bulks: 0}

  constructor(
    private readonly sink: Sink,
    readonly settings: AckSettings,
  ) {}

  /** For the forwarder: true (once) when this path indexed the record already. */
  takeIndexed(id: string): boolean {
    return this.indexedIds.delete(id)
  }

  acknowledge(record: DeliveryRecord, startedAt = Date.parse(record.receivedAt) || Date.now()): Promise<AckAnswer> {
    this.stats.deliveries++
    return new Promise((resolve) => {
      const deadline = startedAt + this.settings.budgetMs
      const waiter: Waiter = {record, deadline, settled: false, resolve, timer: setTimeout(() => this.giveUp(waiter), Math.max(0, deadline - Date.now()))}
      this.queue.push(waiter)
      this.kick()
    })
  }

  private kick(): void {
    while (this.queue.length && this.inFlight < (this.settings.maxInFlight ?? 4)) {
      const batch = this.queue.splice(0, this.settings.maxBatch ?? 500).filter((waiter) => !waiter.settled)
      if (!batch.length) continue
      this.inFlight++
      void this.flush(batch).finally(() => {
        this.inFlight--
        this.kick()
      })
    }
  }

  private async flush(batch: Waiter[]): Promise<void> {
    this.stats.bulks++
    const outcome = await this.sink.send(batch.map((waiter) => waiter.record)).catch((error: unknown) => ({kind: 'retry' as const, error: (error as Error).message}))
    const items: ItemOutcome[] = outcome.kind === 'items' ? outcome.items : batch.map(() => ({kind: 'retry', error: outcome.error, retryAfterMs: 'retryAfterMs' in outcome ? outcome.retryAfterMs : undefined}))
    batch.forEach((waiter, i) => {
      const item = items[i] ?? {kind: 'retry', error: 'no answer for it'}
      if (item.kind === 'done') {
        this.indexedIds.add(waiter.record.id)
        this.stats.indexed++
        this.settle(waiter, {indexed: true, retry: false})
      } else if (item.kind === 'dead') {
        // Refused for good: a retry from Zoom would be refused too. It is stored; the forwarder dead-letters it.
        this.settle(waiter, {indexed: false, retry: false, detail: item.error})
      } else {
        waiter.lastError = item.error
        const wait = Math.max(item.retryAfterMs ?? 0, 100)
        if (waiter.settled || Date.now() + wait >= waiter.deadline) return this.giveUp(waiter)
        setTimeout(() => {
          this.queue.push(waiter)
          this.kick()
        }, wait).unref()
      }
    })
  }

  private giveUp(waiter: Waiter): void {
    if (waiter.settled) return
    this.stats.notInTime++
    const why = waiter.lastError ? `Elasticsearch did not index it within ${this.settings.budgetMs} ms (${waiter.lastError})` : `Elasticsearch did not confirm it within ${this.settings.budgetMs} ms`
    this.settle(waiter, {indexed: false, retry: this.settings.fallback === 'retry', detail: why})
  }

  private settle(waiter: Waiter, answer: AckAnswer): void {
    if (waiter.settled) return
    waiter.settled = true
    clearTimeout(waiter.timer)
    waiter.resolve(answer)
  }
}
