import {readdirSync, statSync} from 'node:fs'

import {describe, expect, it} from 'vitest'

import {tempDir} from '../helpers/cli.js'
import {readRejectionCounts, readRejectionEntries, RejectionLog, rejectionPaths} from '../../src/store/rejections.js'

const entry = (i: number) => ({at: new Date(1_780_000_000_000 + i).toISOString(), verdict: 'rejected' as const, from: '203.0.113.7', status: 401, reason: 'signature-mismatch', eventType: `forged.${'x'.repeat(300)}`})

describe('the log of unauthenticated requests', () => {
  it('stays bounded on disk and in memory under a flood, and its counts hold every request across a restart', async () => {
    const dataDir = tempDir('zoomctl-rejections-')
    const log = await RejectionLog.open(dataDir, {maxFileBytes: 4096, maxPending: 50, flushMs: 5})
    // A burst larger than the queue in one tick: what does not fit is counted, not queued.
    for (let i = 0; i < 200; i++) log.record(entry(i))
    await new Promise((resolve) => setTimeout(resolve, 50))
    for (let round = 0; round < 40; round++) {
      for (let i = 0; i < 40; i++) log.record(entry(1000 + round * 40 + i))
      await new Promise((resolve) => setTimeout(resolve, 15))
    }
    await log.close()
    const paths = rejectionPaths(dataDir)
    expect(readdirSync(paths.dir).sort()).toEqual(['counts.json', 'log.1.ndjson', 'log.ndjson'])
    for (const file of [paths.current, paths.previous]) expect(statSync(file).size).toBeLessThanOrEqual(4096 + 50 * 300)
    const counts = await readRejectionCounts(dataDir)
    expect(counts).toMatchObject({rejected: 1800, byReason: {'signature-mismatch': 1800}})
    // At least the 150 of the first burst past the queue (more when a write and its fsync outlast a round).
    expect(counts!.notLogged).toBeGreaterThanOrEqual(150)
    expect(counts!.notLogged).toBeLessThan(1800)
    const entries = await readRejectionEntries(dataDir)
    // Two files that take turns, each at most its limit and one batch past it: a few dozen of the latest.
    expect(entries.length).toBeGreaterThan(10)
    expect(entries.length).toBeLessThanOrEqual(2 * (Math.ceil(4096 / 250) + 50))
    // Oldest first, the newest from the last rounds, the claimed event type cut short.
    expect(entries.map((logged) => logged.at)).toEqual(entries.map((logged) => logged.at).sort())
    expect(Date.parse(entries.at(-1)!.at)).toBeGreaterThan(Date.parse(entry(1000 + 30 * 40).at))
    expect(entries[0]!.eventType!.length).toBe(100)
    const reopened = await RejectionLog.open(dataDir)
    reopened.record({...entry(9999), verdict: 'probe', reason: 'test-event', status: 200})
    expect(reopened.current()).toMatchObject({rejected: 1800, probes: 1})
    await reopened.close()
  })
})
