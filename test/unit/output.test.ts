import {describe, expect, it} from 'vitest'

import {entryRow} from '../../src/output/deliveries.js'
import {describeAnswer} from '../../src/output/explain.js'
import {formatSequenceSummary} from '../../src/output/simulate.js'
import {printable} from '../../src/output/format.js'
import {formatOutcome} from '../../src/output/serve.js'
import {percentile} from '../../src/timing.js'
import {tempDir} from '../helpers/cli.js'

describe('console output of request data', () => {
  it('escapes control characters so that a signed body cannot forge console lines', () => {
    expect(printable('meeting.started\n\u001b[31mFAKE')).toBe('meeting.started\\u000a\\u001b[31mFAKE')
    const line = formatOutcome({result: 'accepted', status: 200, receivedAt: new Date(0).toISOString(), remoteAddress: '127.0.0.1', eventType: 'a\nb\u001b[2J', durationMs: 1})
    // eslint-disable-next-line no-control-regex -- the point of the test
    expect(line).not.toMatch(/[\n\u001b]/)
  })

  it("names a kept delivery and the one it copies by the start of their ids, as deliveries show takes them", () => {
    const at = {status: 200, receivedAt: new Date(0).toISOString(), remoteAddress: '127.0.0.1', eventType: 'meeting.started', durationMs: 1}
    const copy = formatOutcome({...at, result: 'duplicate', recordId: '73eb06aa-31ed-463a-af7a-12ee8ae5d7b0', duplicateOf: 'ff420103-fbe5-4219-87b3-7e059db6d949'})
    expect(copy).toMatch(/duplicate +73eb06aa +meeting\.started/)
    expect(copy).toContain('copy of ff420103 ')
    expect(copy).not.toContain('ff420103-fbe5')
    // deliveries lists a copy the same way, with its own id whole (to copy from).
    const row = entryRow({id: '73eb06aa-31ed-463a-af7a-12ee8ae5d7b0', receivedAt: at.receivedAt, eventType: 'meeting.started', verdict: 'duplicate', duplicateOf: 'ff420103-fbe5-4219-87b3-7e059db6d949'})
    expect(row.slice(3)).toEqual(['copy of ff420103', '73eb06aa-31ed-463a-af7a-12ee8ae5d7b0'])
    // A rejected request was not kept: no id, the columns still line up.
    const rejected = formatOutcome({...at, result: 'rejected', status: 401, eventType: undefined, detail: 'no x-zm-signature header'})
    expect(rejected.indexOf('-')).toBe(copy.indexOf('73eb06aa'))
  })

  it("says what an endpoint answered in a few words, a copy's original by its id, with no control character", () => {
    expect(describeAnswer({status: 'accepted', id: '4df8a672-9fae-437d-90f6-8c596904d5c8'})).toBe('accepted')
    expect(describeAnswer({status: 'duplicate', id: 'x', duplicateOf: '4df8a672-9fae-437d-90f6-8c596904d5c8'})).toBe('duplicate of 4df8a672')
    expect(describeAnswer({error: 'no\u001b[2Jpe'})).toBe('no\\u001b[2Jpe')
    expect(describeAnswer('x'.repeat(100))).toBe(`${'x'.repeat(80)}…`)
  })
})

describe("replay's summary", () => {
  it('says replayed only when every delivery was, and a hint after the failures', async () => {
    const {formatReplay} = await import('../../src/output/replay.js')
    const report = {sent: 3, succeeded: 3, failed: 0, statusCounts: {'200': 3}, errors: {}, elapsedMs: 10, throughputPerSecond: 300, latencyMs: {p50: 1, p95: 1, p99: 1, max: 1, mean: 1}, overBudget: 0, planned: 3, replayedKeptBack: 0, reconstructed: 0, copies: 0, alreadyAcknowledged: 0, reserialised: false, interrupted: false, resumable: false, failures: [], unreadable: 0, unreadableAt: []}
    expect(formatReplay(report, 'http://x')).toContain('3 deliveries replayed to http://x')
    const failed = formatReplay({...report, succeeded: 0, failed: 3, statusCounts: {'401': 3}}, 'http://x', 'another serve')
    expect(failed).toContain('3 of 3 deliveries failed')
    expect(failed).not.toContain('replayed to')
    expect(failed.trimEnd().endsWith('hint: another serve')).toBe(true)
    expect(formatReplay({...report, interrupted: true}, 'http://x')).not.toContain('replayed to')
    // Interrupted: of the whole selection when it was counted up front, not of what had been taken so far.
    expect(formatReplay({...report, interrupted: true, selected: 3274, sent: 83, planned: 92}, 'http://x')).toContain('interrupted: 83 of 3274 sent; with --checkpoint FILE a replay can go on where it stopped')
    // The same command goes on only when it was given a checkpoint.
    expect(formatReplay({...report, interrupted: true, resumable: true, sent: 2}, 'http://x')).toContain('interrupted: 2 of 3 sent; the same command goes on where it stopped (--checkpoint)')
  })
})

describe('percentile', () => {
  it('is a measured value by nearest rank: p99 of two answers is the slower one', () => {
    expect(percentile([3, 12], 0.99)).toBe(12)
    expect(percentile([3, 12], 0.5)).toBe(3)
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2)
    expect(percentile(Array.from({length: 100}, (_, i) => i + 1), 0.99)).toBe(99)
    expect(percentile([7], 0.99)).toBe(7)
    expect(percentile([], 0.5)).toBeUndefined()
  })
})

describe("simulate's summary", () => {
  it('says what Zoom would do with the answers: a 4xx loses the event, a 5xx is retried', () => {
    const delivery = (status: number | undefined, late = false) => ({event: 'meeting.started', status, latencyMs: 1, ok: status === 200 && !late, late, answer: ''})
    const summary = (deliveries: ReturnType<typeof delivery>[]) =>
      formatSequenceSummary({url: 'http://x', sent: deliveries.length, succeeded: deliveries.filter((d) => d.ok).length, failed: deliveries.filter((d) => !d.ok).length, late: deliveries.filter((d) => d.late).length, deliveries}, 'http://x')
    const mixed = summary([delivery(200), delivery(401), delivery(400), delivery(503), delivery(undefined)])
    expect(mixed).toContain('Zoom drops an event answered 4xx for good, without retrying: these 2 answers would lose them')
    expect(mixed).toContain('Zoom retries an event answered 5xx about 5, 25 and 85 minutes later: this one would come again')
    const fine = summary([delivery(200), delivery(200)])
    expect(fine).not.toContain('Zoom drops')
    expect(fine).not.toContain('Zoom retries')
  })
})

describe('checks on the console', () => {
  it("escape control characters of every title, value, hint and detail: an endpoint's answer cannot forge lines", async () => {
    const {renderChecks} = await import('../../src/output/checks.js')
    const {fail, summarize} = await import('../../src/checks/model.js')
    const hostile = fail('zoom.event', 'accepts a signed test event\u001b[2J', '401 {"message":"x\nFAKE ✔ all good"}', 'hint\u001b[31m', {details: ['detail\r\u0007']})
    const text = renderChecks([hostile], summarize([hostile]))
    // eslint-disable-next-line no-control-regex -- the point of the test
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/)
    expect(text).toContain('x\\u000aFAKE')
    expect(text.split('\n').filter((line) => line.includes('FAKE'))).toHaveLength(1)
  })
})

describe("how serve's banner runs zoomctl", () => {
  it('zoomctl when on PATH; else the script as started, ./bin/run.js from a clone', async () => {
    const {writeFileSync} = await import('node:fs')
    const {join} = await import('node:path')
    const {invocation} = await import('../../src/cli/invocation.js')
    const bin = tempDir('zoomctl-path-')
    writeFileSync(join(bin, 'zoomctl'), '#!/bin/sh\n', {mode: 0o755})
    expect(invocation('zoomctl', {PATH: `/nonexistent:${bin}`}, '/src/zoomctl/bin/run.js', '/src/zoomctl')).toEqual({command: 'zoomctl', onPath: true})
    expect(invocation('zoomctl', {PATH: '/nonexistent'}, '/src/zoomctl/bin/run.js', '/src/zoomctl')).toEqual({command: './bin/run.js', onPath: false})
    expect(invocation('zoomctl', {PATH: '/nonexistent'}, '/src/zoomctl/bin/run.js', '/home/me')).toEqual({command: '/src/zoomctl/bin/run.js', onPath: false})
  })
})
