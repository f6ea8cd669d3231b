import {spawnSync} from 'node:child_process'
import {createHmac} from 'node:crypto'
import {readdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {allEvents} from '../../src/catalog/catalog.js'
import {BIN, ISOLATED, readStore, runCli, SECRET, type ServeProcess, startServe, tempDir} from '../helpers/cli.js'
import {runInTerminal} from '../helpers/pty.js'

/** Checks a stored body against the signature it arrived with: proof that it was kept byte for byte. */
function signatureMatches(record: {rawBody: string; headers: Record<string, string>}): boolean {
  const timestamp = record.headers['x-zm-request-timestamp']
  const expected = `v0=${createHmac('sha256', SECRET).update(`v0:${timestamp}:${record.rawBody}`).digest('hex')}`
  return record.headers['x-zm-signature'] === expected
}

describe('serve + simulate over HTTP', () => {
  let serve: ServeProcess

  beforeAll(async () => {
    serve = await startServe()
  })

  afterAll(async () => {
    expect(await serve.stop()).toBe(0)
  })

  it('stores every event of simulate --all, byte for byte', async () => {
    const result = await runCli(['simulate', '--all', '--url', serve.url, '--json'])
    expect(result.code, result.stderr).toBe(0)
    const summary = JSON.parse(result.stdout) as {sent: number; failed: number}
    expect(summary).toMatchObject({sent: 210, failed: 0})
    const records = readStore(serve.dataDir)
    const expectedTypes = allEvents().map((spec) => spec.event).filter((event) => event !== 'endpoint.url_validation')
    expect(records.map((record) => record.eventType).sort()).toEqual(expectedTypes.sort())
    expect(records.every(signatureMatches)).toBe(true)
    // The store keeps the body; Elastic's document derives from it (events map reads store lines).
    expect(records.every((record) => record.document === undefined && record.dedupeKey)).toBe(true)
    const mapped = await runCli(['events', 'map', join(serve.dataDir, 'events', readdirSync(join(serve.dataDir, 'events'))[0]!), '--json'])
    const documents = JSON.parse(mapped.stdout) as Array<{event: {action: string}}>
    expect(documents.map((document) => document.event.action).sort()).toEqual(expectedTypes.sort())
  })

  it('sends a payload file exactly as its bytes are', async () => {
    const file = join(tempDir(), 'payload.json')
    const bytes = '{ "event": "meeting.ended",\n  "event_ts": 1764000000123, "payload": {"account_id": "FILE", "object": {"id": "9", "topic": "Zoë"}} }\n'
    writeFileSync(file, bytes)
    const result = await runCli(['simulate', '--file', file, '--url', serve.url])
    expect(result.code, result.stdout + result.stderr).toBe(0)
    const stored = readStore(serve.dataDir).find((record) => record.rawBody.includes('"FILE"'))
    expect(stored?.rawBody).toBe(bytes)
  })

  it('prints a dry run as a curl command that the receiver accepts', async (context) => {
    if (spawnSync('curl', ['--version']).status !== 0) return context.skip()
    const dry = await runCli(['simulate', 'webinar.created', '--dry-run', '--url', serve.url])
    expect(dry.code).toBe(0)
    const command = dry.stdout.split('\n').filter((line) => !line.startsWith('#')).join('\n')
    const sent = spawnSync('bash', ['-c', command], {encoding: 'utf8'})
    expect(JSON.parse(sent.stdout)).toMatchObject({status: 'accepted'})
    const stored = readStore(serve.dataDir).find((record) => record.eventType === 'webinar.created' && dry.stdout.includes(record.headers['x-zm-signature']!))
    expect(stored).toBeDefined()
  })

  it('rejects a wrong secret with 401 and stores nothing', async () => {
    const before = readStore(serve.dataDir).length
    const result = await runCli(['simulate', 'meeting.started', '--url', serve.url, '--json'], {ZOOM_WEBHOOK_SECRET_TOKEN: 'not-the-secret'})
    expect(result.code).toBe(1)
    expect(JSON.parse(result.stdout)).toMatchObject({failed: 1, deliveries: [{status: 401}]})
    expect(readStore(serve.dataDir).length).toBe(before)
    expect(readStore(serve.dataDir, 'refused').length).toBe(0)
  })

  it("carries a Secret Token's regeneration: the previous token accepted, a mismatch answered 503 for Zoom to retry", async () => {
    const rotating = await startServe(['--retry-mismatched'], {ZOOMCTL_PREVIOUS_SECRET_TOKEN: 'the-previous-token'})
    try {
      const listening = JSON.parse(rotating.lines[0]!) as {auth: string; warnings: string[]}
      expect(listening.auth).toBe('signed (x-zm-signature, the previous Secret Token accepted too)')
      expect(listening.warnings.join(' ')).toContain('answered 503, so that Zoom retries it')
      expect(rotating.lines.join('\n')).not.toContain('the-previous-token')
      const old = await runCli(['simulate', 'meeting.started', '--url', rotating.url], {ZOOM_WEBHOOK_SECRET_TOKEN: 'the-previous-token'})
      expect(old.code).toBe(0)
      const unknown = await runCli(['simulate', 'meeting.ended', '--url', rotating.url], {ZOOM_WEBHOOK_SECRET_TOKEN: 'not-yet-known'})
      expect(unknown.code).toBe(1)
      expect(unknown.stdout).toContain('Zoom retries an event answered 5xx')
      expect(readStore(rotating.dataDir).map((record) => record.eventType)).toEqual(['meeting.started'])
    } finally {
      await rotating.stop()
    }
  })

  it('round-trips the URL-validation challenge, and fails clearly with the wrong secret', async () => {
    const good = await runCli(['simulate', 'endpoint.url_validation', '--url', serve.url])
    expect(good.code).toBe(0)
    expect(good.stdout).toContain('URL validation passed')
    const bad = await runCli(['simulate', 'endpoint.url_validation', '--url', serve.url], {ZOOM_WEBHOOK_SECRET_TOKEN: 'other'})
    expect(bad.code).toBe(1)
    expect(bad.stdout).toContain('URL validation failed')
  })

  it('keeps a stale retry under refused/ and says why', async () => {
    const result = await runCli(['simulate', 'recording.completed', '--url', serve.url, '--timestamp-offset', '-1200'])
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(/correctly signed, but the timestamp is 12\d\ds old/)
    const refused = readStore(serve.dataDir, 'refused')
    expect(refused.at(-1)).toMatchObject({eventType: 'recording.completed', refusal: {reason: 'stale-timestamp'}})
  })

  it('lands every delivery of a burst of 3000 at concurrency 50', async () => {
    const before = readStore(serve.dataDir).length
    const result = await runCli(['simulate', 'meeting.participant_joined', 'meeting.participant_left', '--url', serve.url, '--count', '3000', '--concurrency', '50', '--json'])
    expect(result.code, result.stderr).toBe(0)
    const {burst} = JSON.parse(result.stdout) as {burst: {sent: number; succeeded: number; statusCounts: Record<string, number>; latencyMs: {p99: number}}}
    expect(burst).toMatchObject({sent: 3000, succeeded: 3000, statusCounts: {200: 3000}})
    const after = readStore(serve.dataDir)
    expect(after.length - before).toBe(3000)
    expect(after.slice(before).every(signatureMatches)).toBe(true)
  })

  it('prints one JSON line per delivery with --json', async () => {
    // The test reads serve's stdout asynchronously: let it catch up.
    for (let i = 0; i < 100 && serve.lines.length < 3216; i++) await new Promise((resolve) => setTimeout(resolve, 50))
    const deliveries = serve.lines.map((line) => JSON.parse(line) as {type: string; result?: string}).filter((line) => line.type === 'delivery')
    expect(deliveries.filter((line) => line.result === 'accepted').length).toBeGreaterThanOrEqual(3212)
    expect(deliveries.some((line) => line.result === 'challenge')).toBe(true)
    expect(serve.lines.join('\n')).not.toContain(SECRET)
  })
})

describe('simulate at a terminal, and against a serve that made its own token', () => {
  let serve: ServeProcess
  beforeAll(async () => {
    serve = await startServe([], {ZOOM_WEBHOOK_SECRET_TOKEN: ''})
  })
  afterAll(async () => serve.stop())

  it('NO_COLOR=1: a burst draws a progress bar with count, total, rate and ETA, and no colour at all', async () => {
    const terminal = runInTerminal([process.execPath, BIN, 'simulate', 'meeting.participant_joined', '--count', '3000', '--rate', '500', '--url', serve.url, '--data-dir', serve.dataDir], {...process.env, ...ISOLATED, NO_COLOR: '1', ZOOM_WEBHOOK_SECRET_TOKEN: ''})
    await terminal.waitFor(/\d+\/3000 sent, \d+ ok, \d+\/s, eta \d+/)
    expect(await terminal.exited).toBe(0)
    expect(terminal.text()).toContain('all 3000 deliveries accepted')
    // eslint-disable-next-line no-control-regex
    expect(terminal.raw()).not.toMatch(/\u001b\[[0-9;]*m/)
  }, 60_000)

  it('--timestamp-offset -600 refused as stale: the hint is about the timestamp, not about whose token signed it', async () => {
    const result = await runCli(['simulate', 'meeting.started', '--url', serve.url, '--data-dir', serve.dataDir, '--timestamp-offset', '-600'], {ZOOM_WEBHOOK_SECRET_TOKEN: ''})
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(/hint: x-zm-request-timestamp was shifted by -600 s \(--timestamp-offset\): a 401 is the endpoint refusing a stale timestamp/)
    expect(result.stdout).not.toContain('the secret token came from')
  })
})
