import {mkdir, open} from 'node:fs/promises'
import {join} from 'node:path'

import type {DeliveryRecord} from '../store/records.js'
import {type Cursor, cursorPath, loadCursor, saveCursor, START} from './cursor.js'
import type {BatchOutcome, ItemOutcome, Sink} from './sinks.js'
import {StoreTail, type TailRecord} from './tail.js'

export interface ForwarderOptions {
  dataDir: string
  sink: Sink
  /** Records per batch. */
  batchSize?: number
  /** About this many bytes per batch. */
  batchBytes?: number
  /** Wait this long for a batch to fill before sending a partial one. */
  flushMs?: number
  /**
   * Batches in flight at once. The cursor still moves in store order, over the confirmed batches at its
   * head only: one that completes early waits for those before it, and a crash resends what is after the cursor.
   */
  concurrency?: number
  /** Back-off bounds for retries (exponential with full jitter). */
  minBackoffMs?: number
  maxBackoffMs?: number
  /** How long a sink that refused the credentials waits before trying again. */
  pauseMs?: number
  /** Subscribe to "the store has new records". */
  subscribe?: (wake: () => void) => () => void
  /** True for a record already delivered on the request path (serve --ack-after-index): passed over. */
  alreadyDelivered?: (record: DeliveryRecord) => boolean
  /** Leave a record this long after it was received, so that the request path delivers it first. */
  holdMs?: number
  onEvent?: (event: ForwardEvent) => void
}

export type SinkErrorKind = 'retry' | 'paused' | 'dead' | 'stalled'

export type ForwardEvent =
  | {type: 'sink-down'; sink: string; error: string}
  | {type: 'sink-up'; sink: string; downForMs: number}
  | {type: 'sink-paused'; sink: string; error: string}
  | {type: 'sink-warning'; sink: string; message: string}
  | {type: 'dead-letter'; sink: string; recordId: string; eventType?: string; error: string}

export interface ForwardStatus {
  sink: string
  state: 'ok' | 'retrying' | 'paused' | 'stopped'
  forwarded: number
  deadLetters: number
  skippedDuplicates: number
  /** The Elasticsearch sink: copies after a rollover it found and deleted (see rollover-dedupe.ts). */
  laterCopiesRemoved?: number
  /** What the sink has not confirmed yet: the batch in flight and what is still unread. */
  lag: {records: number; bytes: number; oldestPendingAgeSeconds: number}
  /** Records stored and not yet confirmed by the sink (in flight and unread): its queue, in the store. */
  queue: {records: number}
  /**
   * Errors since start, by kind: retry (a batch or records to try again: outage, 429, 5xx), paused (the
   * credentials refused), dead (a record refused for good), stalled (the store could not be read or the cursor written).
   */
  errors: Record<SinkErrorKind, number>
  lastError?: string
  /** When lastError happened: once the sink is back (state ok), it is history, not the present. */
  lastErrorAt?: string
  cursor: Cursor
}

/** A batch read from the store and handed to the sink: confirmed once `delivered` is true. */
interface Flight {
  batch: TailRecord[]
  bytes: number
  /** Torn lines read past while it was read: consumed with it. */
  corrupt: number
  delivered: Promise<boolean>
}

/**
 * Reads the store after the sink's cursor and delivers it, a few batches in flight at once, moving the
 * cursor only over what the sink confirmed (or what went to the dead-letter file), in store order: the
 * store is the log, nothing is copied into a second queue, and acknowledging Zoom never waits for a sink.
 */
export class Forwarder {
  private cursor: Cursor = {...START}
  private tail!: StoreTail
  private state: ForwardStatus['state'] = 'ok'
  private stopping = false
  /** Aborts the batch in flight once stop() has waited its grace: serve does not hang on a sink that does not answer. */
  private readonly abandon = new AbortController()
  private running?: Promise<void>
  /** Sleepers to wake: on new records only the idle wait, on stop() all of them. */
  private readonly sleepers = new Set<{resolve: () => void; onAppend: boolean}>()
  private unsubscribe?: () => void
  private lastError?: {message: string; at: string}
  private downSince?: number
  private oldestPending?: string
  private lagBytes = 0
  /** The batches being delivered, in store order: read, not yet confirmed. */
  private flights: Flight[] = []
  /** Read and not yet sent: a partial batch waits here while others are in flight, so that a trickle still goes in full batches. */
  private carry: TailRecord[] = []
  private readonly counts = {forwarded: 0, deadLetters: 0, skippedDuplicates: 0}
  private corruptSeen = 0
  private readonly errors: Record<SinkErrorKind, number> = {retry: 0, paused: 0, dead: 0, stalled: 0}
  /** The queue's depth: what was after the cursor at start, plus what was stored since, less what was consumed. Cumulative, so never adrift. */
  private readonly queue = {atStart: 0, stored: 0, consumed: 0}

  constructor(private readonly options: ForwarderOptions) {}

  get sinkName(): string {
    return this.options.sink.name
  }

  async start(): Promise<void> {
    this.cursor = await loadCursor(cursorPath(this.options.dataDir, this.sinkName))
    this.tail = new StoreTail(this.options.dataDir, this.cursor)
    this.lagBytes = await this.tail.bytesAhead()
    this.queue.atStart = await this.tail.linesAhead()
    this.unsubscribe = this.options.subscribe?.(() => {
      this.queue.stored++
      this.wake(false)
    })
    this.running = this.loop()
  }

  status(): ForwardStatus {
    const age = this.oldestPending ? Math.max(0, (Date.now() - Date.parse(this.oldestPending)) / 1000) : 0
    const depth = Math.max(0, this.queue.atStart + this.queue.stored - this.queue.consumed)
    return {
      sink: this.sinkName,
      state: this.state,
      ...this.counts,
      ...(this.options.sink.laterCopiesRemoved === undefined ? {} : {laterCopiesRemoved: this.options.sink.laterCopiesRemoved}),
      // Everything that waits, not only the batches in flight: while a sink is down, what is stored meanwhile waits too.
      lag: {records: Math.max(this.inFlight, depth), bytes: this.lagBytes + this.flights.reduce((sum, flight) => sum + flight.bytes, 0) + bytesOf(this.carry), oldestPendingAgeSeconds: Math.round(age)},
      queue: {records: depth},
      errors: {...this.errors},
      ...(this.lastError ? {lastError: this.lastError.message, lastErrorAt: this.lastError.at} : {}),
      cursor: {...this.cursor},
    }
  }

  /**
   * Asks the sink whether it answers (zoomctl doctor's probe, which is itself never forwarded): a sink that
   * does not is marked down, as a failed batch would; one that does changes nothing (only a delivery proves it up).
   */
  async checkSink(): Promise<void> {
    const error = await this.options.sink.check?.()
    if (error && !this.stopping) this.markDown(error, false)
  }

  /**
   * Stops after the batches in flight, if they complete within graceMs; else their requests are aborted. What
   * is not confirmed stays in the store, sent again at the next start (a copy is recognised by its _id).
   */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true
    this.wake(true)
    this.unsubscribe?.()
    let timer: NodeJS.Timeout | undefined
    await Promise.race([this.running, new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))])
    clearTimeout(timer)
    this.abandon.abort()
    await this.running
    this.state = 'stopped'
    await this.options.sink.close()
  }

  /** What stop() would wait for: the records of the batches in flight, 0 when none is. */
  get inFlight(): number {
    return this.flights.reduce((sum, flight) => sum + flight.batch.length, 0)
  }

  /**
   * Forwarding must never take the receiver down: a failure to read the store or to write the cursor
   * (a full disk) is reported like a sink outage and tried again; the records stay in the store.
   */
  private async loop(): Promise<void> {
    while (!this.stopping) {
      try {
        if (!(await this.step())) break
      } catch (error) {
        this.errors.stalled++
        this.markDown(`forwarding stalled: ${(error as Error).message}`, false)
        // Read again from what the sink confirmed: the batches that failed half-way are sent again, not skipped.
        await Promise.allSettled(this.flights.map((flight) => flight.delivered))
        this.flights = []
        this.carry = []
        this.tail = new StoreTail(this.options.dataDir, this.cursor)
        this.corruptSeen = 0
        await this.sleep(this.options.maxBackoffMs ?? 30_000, false)
      }
    }
    // Stopping: what the batches still in flight confirm moves the cursor too, as far as they are in order.
    try {
      while (this.flights.length && (await this.flights[0]!.delivered)) await this.confirmHead()
    } catch {
      // Not confirmed: sent again at the next start.
    }
    // The sink is closed after this: nothing of it may still be running then.
    await Promise.allSettled(this.flights.map((flight) => flight.delivered))
  }

  /** Fills the window of batches in flight, then waits for the oldest and moves the cursor past it; false when stopped in the middle. */
  private async step(): Promise<boolean> {
    await this.fill()
    const head = this.flights[0]
    this.oldestPending = head?.batch[0]?.record.receivedAt ?? this.carry[0]?.record.receivedAt
    if (!head) {
      await this.sleep(1000, true)
      return true
    }
    if (!(await head.delivered)) return false
    await this.confirmHead()
    return true
  }

  /** Reads and sends batches until the window is full or the store is caught up. */
  private async fill(): Promise<void> {
    const batchSize = this.options.batchSize ?? 2000
    const batchBytes = this.options.batchBytes ?? 5 * 1024 * 1024
    const window = Math.max(1, this.options.concurrency ?? 1)
    while (this.flights.length < window && !this.stopping) {
      await this.topUp(batchSize, batchBytes)
      this.lagBytes = await this.tail.bytesAhead()
      if (!this.carry.length) return
      const full = this.carry.length >= batchSize || bytesOf(this.carry) >= batchBytes
      // A partial batch waits while others are in flight (it grows meanwhile), or for flushMs when none is.
      if (!full && this.flights.length) return
      if (!full && (this.options.flushMs ?? 0) > 0) {
        await this.sleep(this.options.flushMs!, false)
        await this.topUp(batchSize, batchBytes)
      }
      const last = this.carry[this.carry.length - 1]!
      const hold = Date.parse(last.record.receivedAt) + (this.options.holdMs ?? 0) - Date.now()
      if (hold > 0) {
        await this.sleep(hold, false)
        if (this.stopping) return
      }
      const batch = this.carry
      this.carry = []
      const delivered = this.deliver(batch)
      // Awaited in order later; marked handled now so that a failure of a later batch is not reported as unhandled meanwhile.
      delivered.catch(() => undefined)
      this.flights.push({batch, bytes: bytesOf(batch), corrupt: this.tail.corruptLines - this.corruptSeen, delivered})
      this.corruptSeen = this.tail.corruptLines
    }
  }

  private async topUp(batchSize: number, batchBytes: number): Promise<void> {
    const room = batchSize - this.carry.length
    const bytes = batchBytes - bytesOf(this.carry)
    if (room > 0 && bytes > 0) this.carry = this.carry.concat(await this.tail.read(room, bytes))
  }

  /** The oldest batch in flight is confirmed: the cursor moves past it, synced. */
  private async confirmHead(): Promise<void> {
    const head = this.flights.shift()!
    const last = head.batch[head.batch.length - 1]!
    this.cursor = {file: last.file, offset: last.end, records: this.cursor.records + head.batch.length}
    // Torn lines read past count as consumed too: they were counted when stored.
    this.queue.consumed += head.batch.length + head.corrupt
    await saveCursor(cursorPath(this.options.dataDir, this.sinkName), this.cursor)
  }

  /** Sends until every record is done or dead-lettered; false when stopped first. */
  private async deliver(batch: TailRecord[]): Promise<boolean> {
    // A copy of an event already stored was (or will be) forwarded as the first one: not again.
    let pending = batch.filter(({record}) => {
      if (this.options.alreadyDelivered?.(record)) {
        this.counts.forwarded++
        return false
      }
      if (!record.duplicateOf) return true
      // With --ack-after-index the answer path writes copies too, and one it gave up on may have landed unchecked.
      if (this.options.alreadyDelivered) return true
      this.counts.skippedDuplicates++
      return false
    })
    const dead: Array<{record: DeliveryRecord; error: string}> = []
    let attempt = 0
    while (pending.length) {
      if (this.stopping && attempt > 0) return false
      const outcome = await this.sendGuarded(pending.map(({record}) => record))
      // Abandoned by stop(): no failure to report, the records stay in the store.
      if (this.abandon.signal.aborted) return false
      if (outcome.kind === 'paused') {
        this.errors.paused++
        this.markDown(outcome.error, true)
        await this.sleep(this.options.pauseMs ?? 60_000, false)
        if (this.stopping) return false
        continue
      }
      const items: ItemOutcome[] = outcome.kind === 'items' ? outcome.items : pending.map(() => ({kind: 'retry', error: outcome.error, retryAfterMs: outcome.retryAfterMs}))
      const retry: TailRecord[] = []
      let retryAfterMs = 0
      let failing = false
      items.forEach((item, index) => {
        const entry = pending[index]!
        if (item.kind === 'done') this.counts.forwarded++
        else if (item.kind === 'dead') {
          this.errors.dead++
          dead.push({record: entry.record, error: item.error})
        }
        else {
          retry.push(entry)
          retryAfterMs = Math.max(retryAfterMs, item.retryAfterMs ?? 0)
          if (item.waiting) return
          failing = true
          this.lastError = {message: item.error, at: new Date().toISOString()}
        }
      })
      pending = retry
      if (!pending.length) break
      if (failing) {
        this.errors.retry++
        this.markDown(this.lastError?.message ?? 'retrying', false)
      }
      attempt++
      const ceiling = Math.min(this.options.maxBackoffMs ?? 30_000, (this.options.minBackoffMs ?? 500) * 2 ** Math.min(attempt, 16))
      await this.sleep(Math.max(retryAfterMs, Math.random() * ceiling), false)
    }
    if (dead.length) await this.writeDeadLetters(dead)
    this.markUp()
    return true
  }

  /**
   * A sink that throws (rather than answering) was broken by something it was given: the batch is sent
   * again one record at a time, and a record that still makes it throw is dead-lettered with the reason.
   * One odd record never holds back the ones behind it.
   */
  private async sendGuarded(records: DeliveryRecord[]): Promise<BatchOutcome> {
    try {
      return await this.options.sink.send(records, this.abandon.signal)
    } catch (error) {
      if (this.abandon.signal.aborted) throw error
      if (records.length === 1) return {kind: 'items', items: [{kind: 'dead', error: `cannot forward this record: ${(error as Error).message}`}]}
      const items: ItemOutcome[] = []
      for (const record of records) {
        const outcome = await this.sendGuarded([record])
        if (outcome.kind === 'paused') return outcome
        items.push(outcome.kind === 'items' ? outcome.items[0]! : {kind: 'retry', error: outcome.error, retryAfterMs: outcome.retryAfterMs})
      }
      return {kind: 'items', items}
    }
  }

  /** A failure found outside a batch (the first contact with the sink): reported, and cleared by the first batch it takes. */
  reportDown(error: string, paused: boolean): void {
    if (!this.stopping) this.markDown(error, paused)
  }

  private markDown(error: string, paused: boolean): void {
    this.lastError = {message: error, at: new Date().toISOString()}
    const wasOk = this.state === 'ok'
    this.state = paused ? 'paused' : 'retrying'
    if (wasOk) {
      this.downSince = Date.now()
      this.options.onEvent?.(paused ? {type: 'sink-paused', sink: this.sinkName, error} : {type: 'sink-down', sink: this.sinkName, error})
    }
  }

  private markUp(): void {
    if (this.state !== 'ok' && this.state !== 'stopped') {
      this.options.onEvent?.({type: 'sink-up', sink: this.sinkName, downForMs: Date.now() - (this.downSince ?? Date.now())})
      this.state = 'ok'
    }
  }

  /** Dead letters go to their own append-only file, synced, before the cursor moves past them. */
  private async writeDeadLetters(dead: Array<{record: DeliveryRecord; error: string}>): Promise<void> {
    const dir = join(this.options.dataDir, 'dead-letter')
    await mkdir(dir, {recursive: true, mode: 0o700})
    const at = new Date().toISOString()
    const handle = await open(join(dir, `${at.slice(0, 10)}.ndjson`), 'a', 0o600)
    try {
      await handle.writeFile(dead.map(({record, error}) => `${JSON.stringify({deadAt: at, sink: this.sinkName, error, record})}\n`).join(''))
      await handle.sync()
    } finally {
      await handle.close()
    }
    for (const {record, error} of dead) {
      this.counts.deadLetters++
      this.options.onEvent?.({type: 'dead-letter', sink: this.sinkName, recordId: record.id, eventType: record.eventType, error})
    }
  }

  /** Sleeps until ms pass or stop(); an idle wait (onAppend) also ends when new records are stored. */
  private sleep(ms: number, onAppend: boolean): Promise<void> {
    // Stopping: no back-off any more (a sleeper made after stop() woke them all would wait it out).
    if (this.stopping) return Promise.resolve()
    return new Promise((resolve) => {
      const sleeper = {
        onAppend,
        resolve: () => {
          clearTimeout(timer)
          this.sleepers.delete(sleeper)
          resolve()
        },
      }
      const timer = setTimeout(sleeper.resolve, ms)
      this.sleepers.add(sleeper)
    })
  }

  private wake(all: boolean): void {
    for (const sleeper of [...this.sleepers]) if (all || sleeper.onAppend) sleeper.resolve()
  }
}

/** The bytes of stored lines: what a batch weighs against batchBytes and in the lag. */
function bytesOf(records: TailRecord[]): number {
  let bytes = 0
  for (const record of records) bytes += record.bytes
  return bytes
}
