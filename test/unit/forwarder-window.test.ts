import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {cursorPath, loadCursor} from '../../src/forward/cursor.js'
import {Forwarder} from '../../src/forward/forwarder.js'
import type {BatchOutcome, Sink} from '../../src/forward/sinks.js'
import type {DeliveryRecord} from '../../src/store/records.js'
import {recordLine} from '../../src/store/records.js'
import {tempDir} from '../helpers/cli.js'

/** A sink whose batches are answered when the test says so, in any order. */
class HeldSink implements Sink {
  readonly name = 'held'
  readonly description = 'a sink the test answers'
  readonly batches: Array<{ids: string[]; answer: () => void}> = []

  /** Like a real sink's requests, an unanswered batch ends when stop() abandons it. */
  send(records: DeliveryRecord[], signal?: AbortSignal): Promise<BatchOutcome> {
    return new Promise((resolve) => {
      signal?.addEventListener('abort', () => resolve({kind: 'retry', error: 'abandoned'}))
      this.batches.push({ids: records.map((record) => record.id), answer: () => resolve({kind: 'items', items: records.map(() => ({kind: 'done'}))})})
    })
  }

  async close(): Promise<void> {}
}

const until = async (condition: () => boolean | Promise<boolean>) => {
  for (let i = 0; i < 400 && !(await condition()); i++) await new Promise((resolve) => setTimeout(resolve, 5))
  expect(await condition()).toBe(true)
}

describe('the forwarder with several batches in flight', () => {
  it('sends them at once, and moves the cursor over them in store order only', async () => {
    const dataDir = tempDir()
    mkdirSync(join(dataDir, 'events'))
    const lines = Array.from({length: 9}, (_, i) => {
      const body = Buffer.from(JSON.stringify({event: 'meeting.started', event_ts: 1_764_000_000_000 + i, payload: {}}))
      return recordLine({id: `r${i}`, receivedAt: '2026-12-07T10:00:00.000Z', source: {address: '127.0.0.1'}, method: 'POST', path: '/zoom-webhook', headers: {}, eventType: 'meeting.started', dedupeKey: `k${i}`}, body, true)
    })
    writeFileSync(join(dataDir, 'events', '2026-12-07.ndjson'), Buffer.concat(lines))
    const sink = new HeldSink()
    const forwarder = new Forwarder({dataDir, sink, batchSize: 3, concurrency: 3, flushMs: 0})
    await forwarder.start()
    await until(() => sink.batches.length === 3)
    expect(sink.batches.map((batch) => batch.ids)).toEqual([['r0', 'r1', 'r2'], ['r3', 'r4', 'r5'], ['r6', 'r7', 'r8']])
    expect(forwarder.inFlight).toBe(9)

    // The last two are confirmed first: the cursor may not pass the first, which is not.
    sink.batches[2]!.answer()
    sink.batches[1]!.answer()
    await until(() => forwarder.status().forwarded === 6)
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect((await loadCursor(cursorPath(dataDir, 'held'))).offset).toBe(0)

    // Once the first is confirmed, the cursor moves over all three, to the end of the store.
    sink.batches[0]!.answer()
    const end = lines.reduce((sum, line) => sum + line.length, 0)
    await until(async () => (await loadCursor(cursorPath(dataDir, 'held'))).offset === end)
    expect(forwarder.status().queue.records).toBe(0)
    await forwarder.stop(100)
  })

  it('resends, after a stop, what was confirmed out of order beyond the cursor, and nothing before it', async () => {
    const dataDir = tempDir()
    mkdirSync(join(dataDir, 'events'))
    const lines = Array.from({length: 4}, (_, i) =>
      recordLine({id: `r${i}`, receivedAt: '2026-12-07T10:00:00.000Z', source: {address: '127.0.0.1'}, method: 'POST', path: '/zoom-webhook', headers: {}, eventType: 'meeting.started', dedupeKey: `k${i}`}, Buffer.from('{"event":"meeting.started","payload":{}}'), true),
    )
    writeFileSync(join(dataDir, 'events', '2026-12-07.ndjson'), Buffer.concat(lines))
    const first = new HeldSink()
    const forwarder = new Forwarder({dataDir, sink: first, batchSize: 2, concurrency: 2, flushMs: 0})
    await forwarder.start()
    await until(() => first.batches.length === 2)
    first.batches[1]!.answer()
    // Stopped while the first batch is still unanswered: its requests are abandoned.
    await forwarder.stop(20)
    expect((await loadCursor(cursorPath(dataDir, 'held'))).offset).toBe(0)

    const again = new HeldSink()
    const restarted = new Forwarder({dataDir, sink: again, batchSize: 2, concurrency: 2, flushMs: 0})
    await restarted.start()
    await until(() => again.batches.length === 2)
    expect(again.batches.flatMap((batch) => batch.ids)).toEqual(['r0', 'r1', 'r2', 'r3'])
    for (const batch of again.batches) batch.answer()
    await until(async () => (await loadCursor(cursorPath(dataDir, 'held'))).offset === lines[0]!.length * 4)
    await restarted.stop(100)
  })
})

describe('a sink that asks to wait', () => {
  it('sends the record again after the time asked, and reports no failure for it', async () => {
    const dataDir = tempDir()
    mkdirSync(join(dataDir, 'events'))
    const body = Buffer.from(JSON.stringify({event: 'meeting.started', event_ts: 1_764_000_000_000, payload: {}}))
    writeFileSync(join(dataDir, 'events', '2026-12-07.ndjson'), recordLine({id: 'r0', receivedAt: '2026-12-07T10:00:00.000Z', source: {address: '127.0.0.1'}, method: 'POST', path: '/zoom-webhook', headers: {}, eventType: 'meeting.started', dedupeKey: 'k0'}, body, true))
    const sent: number[] = []
    // The rollover dedupe's answer while a new backing index is younger than the settle time.
    const sink: Sink = {
      name: 'waits',
      description: 'asks once to be asked again in 50 ms',
      send: async () => {
        sent.push(Date.now())
        return {kind: 'items', items: [sent.length === 1 ? {kind: 'retry', error: 'its backing index is 0 s old', retryAfterMs: 50, waiting: true} : {kind: 'done'}]}
      },
      close: async () => undefined,
    }
    const events: string[] = []
    const forwarder = new Forwarder({dataDir, sink, flushMs: 0, onEvent: (event) => events.push(event.type)})
    await forwarder.start()
    await until(() => forwarder.status().forwarded === 1)
    await forwarder.stop(100)
    expect(sent).toHaveLength(2)
    expect(sent[1]! - sent[0]!).toBeGreaterThanOrEqual(45)
    expect(events).toEqual([])
    expect(forwarder.status()).toMatchObject({errors: {retry: 0}})
  })
})
