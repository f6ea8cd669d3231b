import {spawn} from 'node:child_process'
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {dedupeKey} from '../../src/store/dedupe.js'
import {signatureHeaders} from '../../src/zoom/signature.js'
import {BIN, ISOLATED, readStore, runCli, SECRET, startServe, type ServeProcess, tempDir} from '../helpers/cli.js'
import {runInTerminal} from '../helpers/pty.js'

const running: ServeProcess[] = []
afterEach(async () => {
  while (running.length) await running.pop()!.stop()
})

async function serve(args: string[] = []): Promise<ServeProcess> {
  const process = await startServe(args)
  running.push(process)
  return process
}

const bodiesOf = (dataDir: string, kind: 'events' | 'refused' = 'events') => readStore(dataDir, kind).map((record) => record.rawBody)

describe('replay', () => {
  it("sends a store again, byte for byte and re-signed: B's bodies equal A's", async () => {
    const a = await serve()
    expect((await runCli(['simulate', '--all', '--url', a.url])).code).toBe(0)
    const b = await serve()
    const replayed = await runCli(['replay', a.dataDir, '--url', b.url, '--json'])
    expect(replayed.code).toBe(0)
    const report = JSON.parse(replayed.stdout) as {sent: number; succeeded: number; reserialised: boolean}
    expect(report).toMatchObject({sent: 210, succeeded: 210, reserialised: false, copies: 0})
    expect(bodiesOf(b.dataDir).sort()).toEqual(bodiesOf(a.dataDir).sort())
    expect(readStore(b.dataDir).every((record) => !record.duplicateOf)).toBe(true)
    // Sent to B again: B had every one of them, and replay says so.
    const again = await runCli(['replay', a.dataDir, '--url', b.url, '--event', 'meeting.started', '--event', 'meeting.ended'])
    expect(again.code).toBe(0)
    expect(again.stdout).toContain('2 of them were copies of events the endpoint (zoomctl serve) had stored already')
  })

  it('reads on a data dir written by an earlier version: its retries are recognised, its bodies replayed byte for byte', async () => {
    const dataDir = tempDir()
    const now = new Date().toISOString()
    const older = '{"event":"meeting.started","event_ts":1764470000123,"payload":{"account_id":"A","object":{"id":"85012345678","uuid":"u/v==","topic":"Zoë \\"Q3\\" \\u2028 review"}}}'
    // Format 1, as earlier versions wrote it: the body as an escaped string in rawBody, the keys after it.
    const line = {id: 'stored-before', receivedAt: now, source: {address: '127.0.0.1'}, method: 'POST', path: '/zoom-webhook', headers: {}, rawBody: older, eventType: 'meeting.started', dedupeKey: dedupeKey(JSON.parse(older), Buffer.from(older))}
    mkdirSync(join(dataDir, 'events'), {recursive: true})
    writeFileSync(join(dataDir, 'events', `${now.slice(0, 10)}.ndjson`), `${JSON.stringify(line)}\n`)
    const a = await serve(['--data-dir', dataDir])
    const post = async (body: string) => (await fetch(a.url, {method: 'POST', headers: {'content-type': 'application/json', ...signatureHeaders(SECRET, body)}, body})).json()
    expect(await post(older)).toMatchObject({status: 'duplicate', duplicateOf: 'stored-before'})
    const newer = older.replace('1764470000123', '1764470000999')
    expect(await post(newer)).toMatchObject({status: 'accepted'})
    const lines = readFileSync(join(dataDir, 'events', `${now.slice(0, 10)}.ndjson`), 'utf8').trimEnd().split('\n')
    expect(lines[0]).toBe(JSON.stringify(line))
    expect(lines.slice(1).every((written) => written.includes('"v":2,"bodySize":'))).toBe(true)

    const b = await serve()
    const replayed = await runCli(['replay', dataDir, '--url', b.url, '--json'])
    expect(JSON.parse(replayed.stdout)).toMatchObject({sent: 3, succeeded: 3, reserialised: false})
    expect(bodiesOf(b.dataDir).sort()).toEqual([older, older, newer].sort())
  })

  it('gets stale refused deliveries accepted, selects exactly what the filters say, and reads stdin', async () => {
    const a = await serve()
    await runCli(['simulate', 'meeting.started', 'meeting.ended', 'user.signed_in', '--url', a.url, '--timestamp-offset', '-900'])
    expect(bodiesOf(a.dataDir, 'refused')).toHaveLength(3)
    const b = await serve()
    type Checks = {checks: Array<{id: string; status: string; value: string}>}
    const keptRow = async () => (JSON.parse((await runCli(['validate', '--local', a.dataDir, '--json'])).stdout) as Checks).checks.find((check) => check.id === 'kept.refused')
    expect(await keptRow()).toMatchObject({status: 'warn', value: '3 (3 stale-timestamp)'})
    const refused = await runCli(['replay', a.dataDir, '--from', 'refused', '--url', b.url])
    expect(refused.code).toBe(0)
    expect(refused.stdout).toContain('3 deliveries replayed')
    expect(bodiesOf(b.dataDir).sort()).toEqual(bodiesOf(a.dataDir, 'refused').sort())
    // What replay delivered out of refused/ is recorded in the data dir: validate --local stops asking to replay it.
    expect(refused.stdout).toContain("3 kept back by serve (refused or dead letters) were acknowledged: recorded in the data dir's replayed.ndjson")
    expect(await keptRow()).toMatchObject({status: 'pass', value: 'none waiting: 3 replayed since'})

    const c = await serve()
    await runCli(['replay', a.dataDir, '--from', 'refused', '--url', c.url, '--event', 'meeting.ended'])
    expect(readStore(c.dataDir).map((record) => record.eventType)).toEqual(['meeting.ended'])
    const refusedRecords = readStore(a.dataDir, 'refused')
    const last = await runCli(['replay', a.dataDir, '--from', 'refused', '--url', c.url, '--last', '1', '--json'])
    expect(JSON.parse(last.stdout)).toMatchObject({sent: 1})
    await runCli(['replay', a.dataDir, '--from', 'refused', '--url', c.url, '--id', refusedRecords[0]!.id])
    // --event meeting.ended, then the last one (user.signed_in), then the first by id (meeting.started).
    expect(readStore(c.dataDir).map((record) => record.rawBody)).toEqual([refusedRecords[1]!.rawBody, refusedRecords[2]!.rawBody, refusedRecords[0]!.rawBody])

    const bare = bodiesOf(a.dataDir, 'refused').join('\n') + '\n'
    const d = await serve()
    const piped = await runCli(['replay', '-', '--url', d.url, '--json'], {}, bare)
    expect(JSON.parse(piped.stdout)).toMatchObject({sent: 3, succeeded: 3, unreadable: 0})
    // A line that is no delivery is skipped and said, never sent; input with no delivery at all is bad input.
    const mixed = await runCli(['replay', '-', '--url', d.url], {}, `not json
${bare}`)
    expect(mixed.code).toBe(0)
    expect(mixed.stdout).toContain('1 line(s) skipped, not a delivery (not JSON, or cut short): stdin:1')
    expect(mixed.stdout).toContain('3 deliveries replayed')
    const none = await runCli(['replay', '-', '--url', d.url, '--json'], {}, '{"cut short\n')
    expect(none.code).toBe(2)
    expect(JSON.parse(none.stdout).error).toMatchObject({code: 'no-deliveries', message: expect.stringContaining('stdin:1')})
    // Empty standard input is bad input, as for events map (it exited 0, having sent nothing).
    const empty = await runCli(['replay', '-', '--url', d.url, '--json'], {}, '')
    expect(empty.code).toBe(2)
    expect(JSON.parse(empty.stdout).error).toMatchObject({code: 'no-deliveries', message: 'nothing to replay: standard input was empty'})
  }, 150_000)

  it('--set changes the body and says it was re-serialised; --dry-run prints curl without secrets', async () => {
    const a = await serve()
    await runCli(['simulate', 'meeting.created', '--url', a.url])
    const b = await serve()
    const changed = await runCli(['replay', a.dataDir, '--url', b.url, '--set', 'payload.object.topic=Replayed'])
    expect(changed.stdout).toContain('re-serialised')
    expect(JSON.parse(readStore(b.dataDir)[0]!.rawBody).payload.object.topic).toBe('Replayed')

    const dry = await runCli(['replay', a.dataDir, '--url', b.url, '--dry-run', '--auth', 'bearer', '--bearer-token', 'very-secret-bearer'])
    expect(dry.stdout).toContain("curl -sS --fail-with-body -X POST 'http://127.0.0.1")
    expect(dry.stdout).toContain('${ZOOMCTL_BEARER_TOKEN:?set ZOOMCTL_BEARER_TOKEN}')
    expect(dry.stdout).not.toContain('very-secret-bearer')
    expect(readStore(b.dataDir)).toHaveLength(1)
  })

  it('resumes from its checkpoint after SIGKILL: every delivery reaches B once', async () => {
    const a = await serve()
    expect((await runCli(['simulate', 'meeting.participant_joined', '--url', a.url, '--count', '300', '--concurrency', '10'])).code).toBe(0)
    const b = await serve()
    const checkpoint = join(tempDir(), 'checkpoint.json')
    const args = [BIN, 'replay', a.dataDir, '--url', b.url, '--rate', '150', '--concurrency', '5', '--checkpoint', checkpoint]
    const first = spawn(process.execPath, args, {env: {...process.env, ...ISOLATED, ZOOM_WEBHOOK_SECRET_TOKEN: SECRET}, stdio: 'ignore'})
    // Killed once B has a good part, well before the end (300 at 150/s take 2 s).
    const deadline = Date.now() + 30_000
    while (readStore(b.dataDir).length < 40 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
    first.kill('SIGKILL')
    await new Promise((resolve) => first.once('exit', resolve))
    const before = readStore(b.dataDir).length
    expect(before).toBeGreaterThan(20)
    expect(before).toBeLessThan(300)
    const saved = JSON.parse(readFileSync(checkpoint, 'utf8')) as {prefix: number}
    expect(saved.prefix).toBeGreaterThan(0)

    const resumed = await runCli(['replay', a.dataDir, '--url', b.url, '--checkpoint', checkpoint, '--json'])
    expect(resumed.code).toBe(0)
    const report = JSON.parse(resumed.stdout) as {sent: number; alreadyAcknowledged: number}
    expect(report.alreadyAcknowledged + report.sent).toBe(300)
    const stored = readStore(b.dataDir)
    const firsts = stored.filter((record) => !record.duplicateOf)
    expect(new Set(firsts.map((record) => record.rawBody))).toEqual(new Set(bodiesOf(a.dataDir)))
    // Only what was in flight at the kill can arrive twice (and serve marks it as a copy).
    expect(stored.length - firsts.length).toBeLessThanOrEqual(5)
  })

  it('at a terminal says how many it will send and asks first (--yes does not); Ctrl-C says X of the N selected', async () => {
    const a = await serve()
    expect((await runCli(['simulate', 'meeting.participant_joined', '--url', a.url, '--count', '300', '--concurrency', '10'])).code).toBe(0)
    const b = await serve()
    const env = {...process.env, ...ISOLATED, NO_COLOR: '1', ZOOM_WEBHOOK_SECRET_TOKEN: SECRET}
    const asked = runInTerminal([process.execPath, BIN, 'replay', a.dataDir, '--url', b.url], env)
    await asked.waitFor(`Replay 300 deliveries from ${a.dataDir} to ${b.url}?`)
    asked.send('n\r')
    expect(await asked.exited).toBe(0)
    expect(asked.text()).toContain('nothing sent')
    expect(readStore(b.dataDir)).toHaveLength(0)

    const told = runInTerminal([process.execPath, BIN, 'replay', a.dataDir, '--url', b.url, '--yes', '--rate', '40'], env)
    await told.waitFor(/\d+\/300 sent, \d+ ok, \d+\/s, eta/)
    told.send('\u0003')
    expect(await told.exited).toBe(130)
    expect(told.text()).not.toContain('Replay 300')
    expect(told.text()).toMatch(/interrupted: \d+ of 300 sent/)

    const piped = await runCli(['replay', a.dataDir, '--url', b.url, '--limit', '2', '--json'])
    expect(JSON.parse(piped.stdout)).toMatchObject({selected: 2, sent: 2})
  })

  it("says why a receiver refused what it refused, in its own words, and fails (exit 1)", async () => {
    const a = await serve()
    expect((await runCli(['simulate', 'meeting.started', 'user.created', '--url', a.url])).code).toBe(0)
    const otherSecret = await serve(['--secret-token', 'not-the-one-replay-signs-with'])
    const replayed = await runCli(['replay', a.dataDir, '--url', otherSecret.url, '--json'])
    expect(replayed.code).toBe(1)
    const report = JSON.parse(replayed.stdout) as {failed: number; failures: Array<{status: number; error: string}>}
    expect(report.failed).toBe(2)
    expect(report.failures[0]).toMatchObject({status: 401, error: expect.stringContaining('signature-mismatch')})
  })

  it('bad input: a missing source, --limit with --last', async () => {
    const missing = await runCli(['replay', '/nonexistent/dir', '--json'])
    expect(missing.code).toBe(2)
    expect(JSON.parse(missing.stdout).error).toMatchObject({message: expect.stringContaining('cannot read /nonexistent/dir'), hint: expect.stringContaining("serve's data dir, a store or NDJSON file, or -")})
    const nothingNamed = await runCli(['replay', '--data-dir', '/nonexistent/data', '--json'])
    expect(nothingNamed.code).toBe(2)
    expect(JSON.parse(nothingNamed.stdout).error).toMatchObject({message: 'nothing named to replay, and no data dir at /nonexistent/data', hint: expect.stringContaining('ZOOMCTL_DATA_DIR')})
    const both = await runCli(['replay', tempDir(), '--limit', '1', '--last', '1'])
    expect(both.code).toBe(2)
  })

  it('says there is nothing to replay before it asks for a token it would not need', async () => {
    const noToken = {ZOOM_WEBHOOK_SECRET_TOKEN: ''}
    const empty = tempDir()
    mkdirSync(join(empty, 'events'))
    const nothing = await runCli(['replay', empty, '--url', 'http://127.0.0.1:9/zoom-webhook'], noToken)
    expect(nothing.code).toBe(0)
    expect(nothing.stdout).toContain('nothing to replay')
    // With something to send, the token is asked for as before.
    const a = await serve()
    expect((await runCli(['simulate', 'meeting.started', '--url', a.url])).code).toBe(0)
    const refused = await runCli(['replay', a.dataDir, '--url', 'http://127.0.0.1:9/zoom-webhook', '--json'], noToken)
    expect(refused.code).toBe(2)
    expect(JSON.parse(refused.stdout).error.message).toContain('needs a secret token')
  })
})

describe('replay --from-es', () => {
  it('sends event.original byte for byte where the integration kept it, and a rebuilt body (said so) where not', async () => {
    const {ElasticsearchDouble} = await import('../doubles/elasticsearch.js')
    const {agentDocument, runIngestPipeline} = await import('../../src/mapping/index.js')
    const {BodyFactory} = await import('../../src/sender/index.js')
    const {findEvent} = await import('../../src/catalog/catalog.js')
    const double = await new ElasticsearchDouble().start()
    try {
      const factory = new BodyFactory(9)
      const kept = factory.body(findEvent('meeting.started')!)
      const lost = factory.build(findEvent('meeting.participant_joined')!)
      const receivedAt = new Date(Date.now() - 60_000)
      double.seed('logs-zoom.webhook-default', [
        runIngestPipeline(agentDocument(JSON.parse(kept), {receivedAt, preserveOriginal: true, rawBody: kept}), {integrationVersion: '1.27.2'}),
        double.agentDocument(lost, receivedAt),
      ])
      const b = await serve()
      const result = await runCli(['replay', '--from-es', '--es-url', double.url, '--since', '1h', '--url', b.url])
      expect(result.code, result.stdout + result.stderr).toBe(0)
      expect(result.stdout).toContain('1 bodies were rebuilt from Elasticsearch')
      const stored = readStore(b.dataDir)
      expect(stored.map((record) => record.eventType).sort()).toEqual(['meeting.participant_joined', 'meeting.started'])
      expect(stored.find((record) => record.eventType === 'meeting.started')!.rawBody).toBe(kept)
      const rebuilt = JSON.parse(stored.find((record) => record.eventType === 'meeting.participant_joined')!.rawBody) as {payload: {object: {participant: {user_name: string}}}}
      expect(rebuilt.payload.object.participant.user_name).toBe(((lost.payload as {object: {participant: {user_name: string}}}).object.participant.user_name))
    } finally {
      await double.stop()
    }
  })
})
