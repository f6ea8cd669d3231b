import {readFileSync} from 'node:fs'
import {createServer} from 'node:net'
import type {AddressInfo} from 'node:net'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {ZoomApiDouble} from '../doubles/zoom-api.js'
import {runCli, SECRET, type ServeProcess, startServe, tempDir} from '../helpers/cli.js'

let zoom: ZoomApiDouble
let serve: ServeProcess
beforeAll(async () => {
  zoom = await new ZoomApiDouble({secretToken: SECRET}).start()
  serve = await startServe()
})
afterAll(async () => {
  await serve?.stop()
  await zoom?.stop()
})

const json = <T>(stdout: string) => JSON.parse(stdout) as T
/** Each test runs the CLI several times: on a loaded machine one run takes seconds. */
const SLOW = 300_000

describe('zoom token', () => {
  it('checks the credentials and prints the scopes, never the token', async () => {
    const result = await runCli(['zoom', 'token'], zoom.env)
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('marketplace:write:event_subscription')
    const asJson = json<{scopes: string[]; grant: string}>((await runCli(['zoom', 'token', '--json'], zoom.env)).stdout)
    expect(asJson.grant).toBe('account_credentials')
    expect(JSON.stringify(asJson)).not.toMatch(/access_token|accessToken/)
  }, SLOW)

  it('a wrong secret: exit 1, plain words, the secret nowhere', async () => {
    const result = await runCli(['zoom', 'token', '--json'], {...zoom.env, ZOOM_CLIENT_SECRET: 'wrong-secret-value'})
    expect(result.code).toBe(1)
    const {error} = json<{error: {code: string; message: string; hint: string}}>(result.stdout)
    expect(error.code).toBe('zoom-invalid-client')
    expect(error.hint).toContain('ZOOM_CLIENT_SECRET')
    expect(result.stdout + result.stderr).not.toContain('wrong-secret-value')
  }, SLOW)

  it('missing credentials are bad input naming the env vars', async () => {
    const result = await runCli(['zoom', 'token'], {ZOOM_ACCOUNT_ID: '', ZOOM_CLIENT_ID: '', ZOOM_CLIENT_SECRET: ''})
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('ZOOM_ACCOUNT_ID')
  }, SLOW)
})

describe('zoom apply', () => {
  it('plans, creates one validated subscription, then changes nothing; a new URL is a replace', async () => {
    const env = {...zoom.env, ZOOMCTL_ZOOM_WEBHOOK_URL: serve.url}
    const dry = await runCli(['zoom', 'apply', '--dry-run', '--zoom-categories', 'meeting,user'], env)
    expect(dry.code).toBe(0)
    expect(dry.stdout).toContain('+ create "zoomctl"')
    expect(dry.stdout).toContain('Plan: 1 to create, 0 to replace, 0 to delete.')
    expect(zoom.writes).toBe(0)

    const applied = await runCli(['zoom', 'apply', '--zoom-categories', 'meeting,user', '--json'], env)
    expect(applied.code, applied.stderr).toBe(0)
    expect(zoom.writes).toBe(1)
    expect(zoom.subscriptions).toHaveLength(1)
    expect(zoom.validations.at(-1)).toMatchObject({url: serve.url, ok: true})
    const created = zoom.subscriptions[0]!
    expect(created).toMatchObject({event_subscription_name: 'zoomctl', event_webhook_url: serve.url, subscription_scope: 'account', created_source: 'openapi'})
    expect(created.events).toContain('meeting.started')
    expect(created.events.every((event) => /^(meeting|user)\./.test(event))).toBe(true)

    const again = await runCli(['zoom', 'apply', '--zoom-categories', 'meeting,user'], env)
    expect(again.stdout).toContain('No changes.')
    expect(zoom.writes).toBe(1)

    const narrower = await runCli(['zoom', 'apply', '--zoom-categories', 'meeting', '--dry-run'], env)
    expect(narrower.stdout).toMatch(/-\/\+ replace .*events changed/)
    expect(narrower.stdout).toMatch(/- user: \d+ events/)

    const moved = `${serve.url}/`.replace('/zoom-webhook/', '/zoom-webhook?moved=1')
    const replaced = await runCli(['zoom', 'apply', '--zoom-categories', 'meeting,user', '--zoom-webhook-url', moved, '--json'], env)
    expect(replaced.code, replaced.stderr).toBe(0)
    const outcome = json<{plan: {steps: Array<{action: string; reasons?: string[]; urlFrom?: string}>}; done: string[]}>(replaced.stdout)
    expect(outcome.plan.steps[0]).toMatchObject({action: 'replace', reasons: ['URL changed'], urlFrom: serve.url})
    expect(zoom.writes).toBe(3)
    expect(zoom.subscriptions.map((subscription) => subscription.event_webhook_url)).toEqual([moved])
  }, SLOW)

  it('a build-flow subscription is reported and never touched', async () => {
    // An ID that starts with "-" (Zoom's are base64url): an argument only after --.
    const buildFlow = zoom.addBuildFlowSubscription({events: ['meeting.started'], url: serve.url, name: 'Elastic by hand', id: '-Dh_H_XVUam2pn2BdZGgTA'})
    const writes = zoom.writes
    const result = await runCli(['zoom', 'apply', '--zoom-categories', 'meeting,user', '--zoom-webhook-url', serve.url], zoom.env)
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toContain(`~ ${buildFlow.event_subscription_id} "Elastic by hand"`)
    expect(result.stdout).toContain('arrive twice')
    expect(zoom.subscriptions).toContainEqual(buildFlow)
    expect(zoom.writes).toBe(writes + 2)
    const taken = await runCli(['zoom', 'delete', buildFlow.event_subscription_id, '--json'], zoom.env)
    expect(taken.code).toBe(2)
    expect(json<{error: {hint: string}}>(taken.stdout).error.hint).toBe('an argument that starts with "-" (a Zoom ID can) goes after --, as in: zoomctl zoom delete -- -Dh_H_XVUam2pn2BdZGgTA')
    const refused = await runCli(['zoom', 'delete', '--', buildFlow.event_subscription_id], zoom.env)
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain('build flow')
  }, SLOW)

  it('stops before asking Zoom when nothing answers the challenge', async () => {
    const writes = zoom.writes
    const result = await runCli(['zoom', 'apply', '--zoom-webhook-url', 'http://127.0.0.1:9/zoom-webhook', '--json'], zoom.env)
    expect(result.code).toBe(1)
    expect(json<{error: {code: string; hint: string}}>(result.stdout).error).toMatchObject({code: 'zoom-endpoint-not-ready', hint: expect.stringContaining('zoomctl serve')})
    expect(zoom.writes).toBe(writes)
    expect(zoom.requests.filter((request) => request.startsWith('POST /v2'))).toHaveLength(zoom.validations.length)
  }, SLOW)

  it("Zoom's 1701 and 1602 in plain words with the fix", async () => {
    const strict = await new ZoomApiDouble({secretToken: 'another-token', allowedEvents: ['meeting.started']}).start()
    try {
      const env = {...strict.env, ZOOMCTL_ZOOM_WEBHOOK_URL: serve.url, ZOOM_WEBHOOK_SECRET_TOKEN: ''}
      const invalid = await runCli(['zoom', 'apply', '--zoom-events', 'meeting.started', '--json'], env)
      expect(json<{error: {code: string; hint: string}}>(invalid.stdout).error).toMatchObject({code: 'zoom-url-validation-failed', hint: expect.stringContaining('challenge')})
      const notAllowed = await runCli(['zoom', 'apply', '--zoom-events', 'meeting.started,meeting.ended', '--json'], env)
      const error = json<{error: {code: string; message: string; hint: string}}>(notAllowed.stdout).error
      expect(error).toMatchObject({code: 'zoom-event-not-allowed', hint: expect.stringContaining('Scopes')})
      expect(error.message).toContain('meeting.ended')
      expect(strict.writes).toBe(0)
    } finally {
      await strict.stop()
    }
  }, SLOW)

  it('zoom subscriptions lists, shows and deletes', async () => {
    const list = json<{subscriptions: Array<{id: string; name?: string; createdSource: string}>}>((await runCli(['zoom', 'subscriptions', '--json'], zoom.env)).stdout)
    expect(list.subscriptions.map((subscription) => subscription.createdSource).sort()).toEqual(['default', 'openapi'])
    const ours = list.subscriptions.find((subscription) => subscription.createdSource === 'openapi')!
    // After --: the double's IDs, as Zoom's may, sometimes start with "-".
    const shown = await runCli(['zoom', 'subscriptions', 'show', '--', ours.id], zoom.env)
    expect(shown.stdout).toContain('made in: API')
    expect(shown.stdout).toMatch(/meeting: .*meeting\.started/)
    const table = await runCli(['zoom', 'subscriptions'], zoom.env)
    expect(table.stdout).toMatch(/ID\s+NAME\s+URL\s+EVENTS\s+MADE IN/)
    const deleted = await runCli(['zoom', 'delete', '--', ours.id], zoom.env)
    expect(deleted.code).toBe(0)
    expect(zoom.subscriptions.map((subscription) => subscription.created_source)).toEqual(['default'])
  }, SLOW)
})

describe('setup --zoom', () => {
  it('from nothing: one validated subscription; again: no change; a new URL: a replace; --dry-run: the plan only', async () => {
    const double = await new ZoomApiDouble({secretToken: SECRET}).start()
    try {
      const path = join(tempDir(), 'zoomctl.yaml')
      const setup = (url: string, extra: string[] = []) =>
        runCli(['setup', '--yes', '--zoom', '--config', path, '--port', '0', '--secret-token', SECRET, '--public-url', url, '--zoom-categories', 'meeting,user', '--json', ...extra], double.env)
      const first = await setup(serve.url)
      expect(first.code, first.stdout + first.stderr).toBe(0)
      expect(double.subscriptions).toHaveLength(1)
      expect(double.validations).toEqual([expect.objectContaining({url: serve.url, ok: true})])
      expect(double.writes).toBe(1)
      expect(json<{zoom: {plan: {steps: Array<{action: string}>}}}>(first.stdout).zoom.plan.steps[0]!.action).toBe('create')
      expect(readFileSync(path, 'utf8')).toContain(`zoom-webhook-url: ${serve.url}`)

      const second = await setup(serve.url)
      expect(second.code, second.stderr).toBe(0)
      expect(json<{zoom: {plan: {steps: Array<{action: string}>}}}>(second.stdout).zoom.plan.steps[0]!.action).toBe('unchanged')
      expect(double.writes).toBe(1)

      const moved = `${serve.url}?tenant=2`
      const dry = await runCli(['setup', '--yes', '--zoom', '--dry-run', '--config', path, '--port', '0', '--secret-token', SECRET, '--public-url', moved, '--zoom-categories', 'meeting,user'], double.env)
      expect(dry.code, dry.stderr).toBe(0)
      expect(dry.stdout).toMatch(/-\/\+ replace .*URL changed/)
      expect(dry.stdout).toContain(`url: ${serve.url} → ${moved}`)
      expect(dry.stdout).toContain('--dry-run: nothing written')
      expect(readFileSync(path, 'utf8')).not.toContain(moved)
      expect(double.writes).toBe(1)

      const third = await setup(moved)
      expect(third.code, third.stderr).toBe(0)
      expect(double.writes).toBe(3)
      expect(double.subscriptions.map((subscription) => subscription.event_webhook_url)).toEqual([moved])
    } finally {
      await double.stop()
    }
  }, SLOW)

  it('stops clearly when nothing answers the challenge, and --start-serve starts one that does', async () => {
    const double = await new ZoomApiDouble({secretToken: SECRET}).start()
    const dataDir = tempDir()
    const port = await freePort()
    const url = `http://127.0.0.1:${port}/zoom-webhook`
    const path = join(dataDir, 'zoomctl.yaml')
    const args = ['setup', '--yes', '--zoom', '--config', path, '--port', String(port), '--secret-token', SECRET, '--public-url', url, '--zoom-events', 'meeting.started', '--json']
    let pid: number | undefined
    try {
      const stopped = await runCli(args, double.env)
      expect(stopped.code).toBe(1)
      expect(json<{error: {code: string; hint: string}}>(stopped.stdout).error).toMatchObject({code: 'zoom-endpoint-not-ready', hint: expect.stringContaining('zoomctl serve')})
      expect(double.writes).toBe(0)
      const started = await runCli([...args, '--start-serve'], {...double.env, ZOOMCTL_DATA_DIR: join(dataDir, 'data')})
      expect(started.code, started.stdout + started.stderr).toBe(0)
      pid = json<{zoom: {startedServe: {pid: number}}}>(started.stdout).zoom.startedServe.pid
      expect(double.subscriptions).toHaveLength(1)
      expect(double.validations.at(-1)).toMatchObject({url, ok: true})
    } finally {
      if (pid) process.kill(pid, 'SIGTERM')
      await double.stop()
    }
  }, SLOW)
})

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address() as AddressInfo
      server.close(() => resolve(port))
    })
  })
}

describe("doctor with Zoom's credentials", () => {
  it('names a missing event, a URL mismatch and a run of 401 failures', async () => {
    const double = await new ZoomApiDouble({secretToken: SECRET}).start()
    try {
      const applied = await runCli(['zoom', 'apply', '--zoom-webhook-url', serve.url, '--zoom-events', 'meeting.started,user.created'], double.env)
      expect(applied.code, applied.stderr).toBe(0)
      expect((await double.deliver('meeting.started', {object: {id: '1', uuid: 'u1'}}))[0]!.status).toBe(200)
      for (let i = 0; i < 3; i++) expect((await double.deliver('user.created', {object: {id: `u${i}`}}, {secretToken: 'not-the-secret'}))[0]!.status).toBe(401)
      const doctor = async (url: string) => {
        const result = await runCli(['doctor', url, '--allow-http', '--samples', '1', '--no-test-event', '--zoom-categories', 'meeting,user', '--json'], double.env)
        const report = json<{checks: Array<{id: string; status: string; value?: string; hint?: string; details?: string[]}>}>(result.stdout)
        return {code: result.code, row: (id: string) => report.checks.find((check) => check.id === id)}
      }
      const same = await doctor(serve.url)
      expect(same.code).toBe(1)
      expect(same.row('zoom.credentials')?.status).toBe('pass')
      expect(same.row('zoom.subscription')?.status).toBe('pass')
      expect(same.row('zoom.events')).toMatchObject({status: 'warn', value: expect.stringMatching(/missing: meeting \d+, user \d+/)})
      expect(same.row('zoom.events')?.details?.join('\n')).toContain('meeting.ended')
      expect(same.row('zoom.failures')).toMatchObject({status: 'fail', value: 'the endpoint refused Zoom (401) ×3', hint: expect.stringContaining('secret token')})
      expect(same.row('zoom.last-delivery')).toMatchObject({status: 'pass', value: expect.stringContaining('meeting.started')})

      const elsewhere = await doctor(serve.url.replace('/zoom-webhook', '/other-path'))
      expect(elsewhere.row('zoom.subscription')).toMatchObject({status: 'fail', value: `no: the app's subscriptions deliver to ${serve.url}`})
    } finally {
      await double.stop()
    }
  }, SLOW)
})

describe('reconcile', () => {
  it("finds a delivery Zoom logged as failed that serve never stored; the replay it prints delivers it", async () => {
    const double = await new ZoomApiDouble({secretToken: SECRET}).start()
    const own = await startServe()
    try {
      expect((await runCli(['zoom', 'apply', '--zoom-webhook-url', own.url, '--zoom-events', 'meeting.started,meeting.ended'], double.env)).code).toBe(0)
      expect((await double.deliver('meeting.started', {object: {id: '81', uuid: 'a1', topic: 'kept'}}))[0]!.status).toBe(200)
      expect((await double.deliver('meeting.ended', {object: {id: '82', uuid: 'a2', topic: 'lost'}}, {secretToken: 'rotated-elsewhere'}))[0]!.status).toBe(401)
      const replayFile = join(tempDir(), 'missing.ndjson')
      const args = ['reconcile', '--since', '1h', '--data-dir', own.dataDir, '--replay-file', replayFile, '--json']
      const first = await runCli(args, double.env)
      expect(first.code, first.stderr).toBe(1)
      const report = json<{counts: Record<string, number>; deliveries: Array<{event: string; verdict: string; failure?: {fix: string}}>; replay: {commands: string[]}}>(first.stdout)
      expect(report.counts).toMatchObject({'arrived': 1, 'failed-for-good': 1})
      expect(report.deliveries.find((delivery) => delivery.verdict === 'failed-for-good')).toMatchObject({event: 'meeting.ended', failure: {fix: expect.stringContaining('secret token')}})
      expect(report.replay.commands).toEqual([`zoomctl replay ${replayFile} --url ${own.url}`])

      const human = await runCli(args.filter((arg) => arg !== '--json'), double.env)
      expect(human.stdout).toContain('1 arrived, 0 delivered but not there, 1 failed for good')
      expect(human.stdout).toMatch(/meeting\.ended\s+401\s+1\s+failed, not retried\s+store/)

      const replayed = await runCli(report.replay.commands[0]!.split(' ').slice(1), {})
      expect(replayed.code, replayed.stderr).toBe(0)
      const again = await runCli(args, double.env)
      expect(again.code, again.stdout).toBe(0)
      expect(json<{counts: Record<string, number>}>(again.stdout).counts).toMatchObject({'arrived': 2, 'failed-for-good': 0})
    } finally {
      await own.stop()
      await double.stop()
    }
  }, SLOW)
})
