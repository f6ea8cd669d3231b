import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {REVALIDATION_PERIOD_MS, RevalidationWatch} from '../../src/receiver/revalidation.js'
import {tempDir} from '../helpers/cli.js'

describe('RevalidationWatch', () => {
  it('is overdue once the clock passes 72 h after the last challenge of an endpoint that had one, per app, and remembers across restarts', async () => {
    const dataDir = tempDir()
    let now = Date.parse('2026-12-01T00:00:00Z')
    const clock = () => now
    const watch = await new RevalidationWatch(dataDir, clock).load()
    expect(watch.status()).toEqual({state: 'never', overdue: []})
    now += 200 * 3_600_000
    expect(watch.status().state).toBe('never') // never had one: nothing to be late for

    await watch.record(new Date(now).toISOString())
    await watch.record(new Date(now).toISOString(), 'sales')
    now += REVALIDATION_PERIOD_MS
    expect(watch.status().state).toBe('ok') // exactly 72 h: not yet
    now += 60_000
    const late = watch.status()
    expect(late.state).toBe('overdue')
    expect(late.overdue).toEqual([
      {lastAnsweredAt: '2026-12-09T08:00:00.000Z', hoursAgo: 72},
      {app: 'sales', lastAnsweredAt: '2026-12-09T08:00:00.000Z', hoursAgo: 72},
    ])
    expect(late.hint).toMatch(/app sales's 72 h ago/)

    // Zoom re-validates the main subscription only: the sales app stays overdue, read back from the data dir.
    await watch.record(new Date(now).toISOString())
    const again = await new RevalidationWatch(dataDir, clock).load()
    expect(again.status().overdue.map((entry) => entry.app)).toEqual(['sales'])
    expect(JSON.parse(readFileSync(join(dataDir, 'url-validation.json'), 'utf8')).count).toEqual({'': 2, sales: 1})
  })
})
