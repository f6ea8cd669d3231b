/**
 * serve --websocket against a Zoom WebSocket double (test/doubles/zoom-websocket.ts): events stored as a
 * webhook's are, the socket kept alive and reconnected, every gap recorded with its start and end, one
 * serve per subscription.
 */
import {afterEach, describe, expect, inject, it} from 'vitest'

import {allEvents, findEvent} from '../../src/catalog/catalog.js'
import {BodyFactory} from '../../src/sender/index.js'
import {ZoomWebSocketDouble, type ZoomWebSocketDoubleOptions} from '../doubles/zoom-websocket.js'
import {readStore, runCli, startServe, type ServeProcess, tempDir, waitFor} from '../helpers/cli.js'

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()))
})

async function zoom(options: ZoomWebSocketDoubleOptions = {}): Promise<ZoomWebSocketDouble> {
  const double = await new ZoomWebSocketDouble({idleMs: 3000, ...options}).start()
  cleanups.push(() => double.stop())
  return double
}

function socketArgs(double: ZoomWebSocketDouble, heartbeat = '300ms'): string[] {
  return ['--websocket', '--zoom-ws-url', double.wsUrl, '--zoom-token-url', double.tokenUrl, '--zoom-subscription-id', double.subscriptionId, '--zoom-ws-heartbeat', heartbeat]
}

function credentials(double: ZoomWebSocketDouble): Record<string, string> {
  return {ZOOM_CLIENT_ID: double.clientId, ZOOM_CLIENT_SECRET: double.clientSecret, ZOOM_ACCOUNT_ID: double.accountId}
}

async function serveOn(double: ZoomWebSocketDouble, args: string[] = [], env: Record<string, string> = {}, heartbeat?: string): Promise<ServeProcess> {
  const serve = await startServe([...socketArgs(double, heartbeat), ...args], {...credentials(double), ...env})
  cleanups.push(() => serve.stop())
  return serve
}

function socketLines(serve: ServeProcess): Array<{kind: string; reason?: string; grant?: string}> {
  return serve.lines.map((line) => JSON.parse(line) as {type: string; kind: string}).filter((line) => line.type === 'websocket')
}

async function health(serve: ServeProcess): Promise<{websocket: {state: string; grant?: string; heartbeatMs?: number; connections: number; gaps: Array<{start: string; end?: string; reason: string}>}}> {
  const response = await fetch(new URL('/healthz', serve.url))
  return (await response.json()) as never
}

const factory = new BodyFactory(34)
const body = (type: string) => factory.body(findEvent(type)!)

describe('serve --websocket', () => {
  it('stores every event from the socket as a delivery whose source is the websocket, deduplicated, listed by deliveries', async () => {
    const double = await zoom()
    const serve = await serveOn(double)
    const listening = JSON.parse(serve.lines.find((line) => line.includes('"listening"'))!) as {websocket: {state: string; grant: string}}
    expect(listening.websocket).toMatchObject({state: 'connected', grant: 'client_credentials'})
    const started = body('meeting.started')
    expect(double.emit(started)).toBe(true)
    expect(double.emit(body('meeting.participant_joined'))).toBe(true)
    // Zoom delivers at least once: the same event twice is one event and a copy.
    expect(double.emit(started)).toBe(true)
    await waitFor(() => readStore(serve.dataDir).length === 3, 10_000, 'three records')
    const records = readStore(serve.dataDir) as Array<ReturnType<typeof readStore>[number] & {source: {transport?: string; subscriptionId?: string}; method: string}>
    expect(records.map((record) => record.eventType)).toEqual(['meeting.started', 'meeting.participant_joined', 'meeting.started'])
    expect(records[0]!.rawBody).toBe(started)
    expect(records[0]!.source).toMatchObject({transport: 'websocket', subscriptionId: double.subscriptionId})
    expect(records[2]!.duplicateOf).toBe(records[0]!.id)
    const listed = await runCli(['deliveries', serve.dataDir, '--json'])
    expect((JSON.parse(listed.stdout) as Array<{verdict: string; from?: string}>).map((entry) => [entry.verdict, entry.from])).toEqual([
      ['accepted', `websocket ${new URL(double.wsUrl).host}`],
      ['accepted', `websocket ${new URL(double.wsUrl).host}`],
      ['duplicate', `websocket ${new URL(double.wsUrl).host}`],
    ])
    const healthz = await health(serve)
    expect(healthz.websocket).toMatchObject({state: 'connected', grant: 'client_credentials', connections: 1})
    // The heartbeat goes on: the double would close an idle socket after 3 s.
    await new Promise((resolve) => setTimeout(resolve, 3500))
    expect(double.sockets).toHaveLength(1)
    expect(double.sockets[0]!.heartbeats).toBeGreaterThan(5)
    expect((await health(serve)).websocket.heartbeatMs).toBeTypeOf('number')
  })

  it('takes webhooks and the socket in one serve at once', async () => {
    const double = await zoom()
    const serve = await serveOn(double)
    const {deliver} = await import('../helpers/cli.js')
    expect(await deliver(serve.url, body('webinar.started'))).toBe(200)
    double.emit(body('user.signed_in'))
    await waitFor(() => readStore(serve.dataDir).length === 2, 10_000, 'two records')
    expect(readStore(serve.dataDir).map((record) => record.eventType).sort()).toEqual(['user.signed_in', 'webinar.started'])
  })

  it('reconnects after a drop with a new token; what Zoom emitted meanwhile is lost, and the gap is recorded with start and end', async () => {
    const double = await zoom()
    // A heartbeat of 2 s, not 300 ms: the test counts the gaps, and a full run's load once held an answer
    // past 300 ms, which serve rightly took for a dead socket (a second gap). The drop here is a close.
    const serve = await serveOn(double, [], {}, '2s')
    double.emit(body('meeting.started'))
    await waitFor(() => readStore(serve.dataDir).length === 1, 10_000, 'the first record')
    const before = Date.now()
    double.refuseUpgrades = 503
    double.drop()
    await waitFor(() => !double.connected && socketLines(serve).some((line) => line.kind === 'disconnected'), 10_000, 'the drop noticed')
    expect(double.emit(body('meeting.ended'))).toBe(false)
    await new Promise((resolve) => setTimeout(resolve, 1500))
    double.refuseUpgrades = undefined
    await waitFor(() => double.connected, 20_000, 'a new socket')
    const after = Date.now()
    double.emit(body('meeting.participant_left'))
    await waitFor(() => readStore(serve.dataDir).length === 2, 10_000, 'the second record')
    expect(readStore(serve.dataDir).map((record) => record.eventType)).toEqual(['meeting.started', 'meeting.participant_left'])
    expect(double.lost).toHaveLength(1)
    expect(double.tokenRequests.filter((request) => request.issued).length).toBeGreaterThanOrEqual(2)

    // The gap's end is written to the connection log as the socket opens, beside the events that come: a
    // busy machine may store the next event first.
    let websocket!: Awaited<ReturnType<typeof health>>['websocket']
    await waitFor(async () => Boolean(({websocket} = await health(serve)).websocket.gaps[0]?.end), 10_000, 'the gap closed on /healthz')
    expect(websocket.gaps).toHaveLength(1)
    const gap = websocket.gaps[0]!
    expect(Date.parse(gap.start)).toBeGreaterThanOrEqual(before - 50)
    expect(Date.parse(gap.end!)).toBeLessThanOrEqual(after + 50)
    expect(Date.parse(gap.end!) - Date.parse(gap.start)).toBeGreaterThanOrEqual(1400)
    const listed = JSON.parse((await runCli(['deliveries', serve.dataDir, '--json'])).stdout) as Array<{verdict: string; receivedAt: string; end?: string}>
    expect(listed.map((entry) => entry.verdict)).toEqual(['accepted', 'gap', 'accepted'])
    expect(listed[1]).toMatchObject({receivedAt: gap.start, end: gap.end})
    const human = await runCli(['deliveries', serve.dataDir])
    expect(human.stdout).toMatch(/gap .*Zoom did not deliver/)
    // validate --local counts the socket's events as any delivery, and names the gap.
    const validated = await runCli(['validate', '--local', serve.dataDir, '--since', '1h', '--json'])
    const checks = (JSON.parse(validated.stdout) as {checks: Array<{id: string; status: string; value?: string; data?: {total?: number}}>}).checks
    expect(checks.find((check) => check.id === 'websocket.gaps')).toMatchObject({status: 'warn', value: expect.stringMatching(/^1, /)})
    expect(JSON.stringify(checks)).toContain('meeting.participant_left')
  })

  it('notices a dead socket (heartbeats unanswered) and reconnects', async () => {
    const double = await zoom()
    const serve = await serveOn(double)
    double.silent = true
    await waitFor(() => socketLines(serve).some((line) => line.kind === 'disconnected'), 10_000, 'the dead socket noticed')
    expect(socketLines(serve).find((line) => line.kind === 'disconnected')!.reason).toMatch(/no answer to the heartbeat/)
    double.silent = false
    await waitFor(() => double.sockets.length >= 2 && double.connected, 10_000, 'a new socket')
  })

  it('reconnects with a new token when Zoom closes the socket at token expiry', async () => {
    const double = await zoom()
    const serve = await serveOn(double)
    const tokens = double.tokenRequests.length
    double.expireTokens()
    await waitFor(() => double.sockets.length === 2 && double.connected, 10_000, 'a new socket')
    expect(double.tokenRequests.length).toBeGreaterThan(tokens)
    expect(double.sockets[0]!.closedBy).toBe('token expired')
    expect(socketLines(serve).find((line) => line.kind === 'disconnected')!.reason).toMatch(/token expired/)
  })

  it("renews the token ahead of its expiry on a second socket, which takes over: no gap, nothing lost", async () => {
    const double = await zoom({tokenTtlMs: 3000})
    const serve = await serveOn(double)
    let delivered = 0
    for (let i = 0; i < 70; i++) {
      if (double.emit(body('meeting.participant_joined'))) delivered++
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(double.sockets.length).toBeGreaterThanOrEqual(3)
    // Each older socket was closed for its successor, never for an expired token.
    expect(double.sockets.slice(0, -1).every((socket) => socket.closedBy === 'replaced by a newer connection' || socket.closedBy === 'client')).toBe(true)
    expect(double.lost).toEqual([])
    await waitFor(() => readStore(serve.dataDir).length === delivered, 10_000, `${delivered} records`)
    expect(socketLines(serve).filter((line) => line.kind !== 'connected')).toEqual([])
    expect((await health(serve)).websocket.gaps).toEqual([])
  })

  it('falls back to account_credentials when the token endpoint refuses client_credentials, and when the socket refuses its token', async () => {
    const refusesGrant = await zoom({grants: ['account_credentials']})
    const first = await serveOn(refusesGrant)
    expect((await health(first)).websocket.grant).toBe('account_credentials')
    const refusesToken = await zoom({socketGrants: ['account_credentials']})
    const second = await serveOn(refusesToken)
    await waitFor(async () => (await health(second)).websocket.state === 'connected', 10_000, 'connected')
    expect((await health(second)).websocket.grant).toBe('account_credentials')
    expect(refusesToken.tokenRequests.map((request) => request.grant)).toEqual(['client_credentials', 'account_credentials'])
  })

  it('refuses to start on credentials Zoom refuses, and a second serve on the same subscription', async () => {
    const double = await zoom()
    const bad = await runCli(['serve', '--port', '0', '--data-dir', tempDir(), ...socketArgs(double)], {...credentials(double), ZOOM_CLIENT_SECRET: 'wrong'})
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/refused the client ID or client secret/)
    expect(bad.stderr).not.toContain('wrong')

    const first = await serveOn(double)
    // Another data dir, the same subscription: the lock is per subscription, not per data dir.
    const second = await runCli(['serve', '--port', '0', '--data-dir', tempDir(), '--json', ...socketArgs(double)], credentials(double))
    expect(second.code).toBe(2)
    expect(second.stderr + second.stdout).toMatch(new RegExp(`already consumes WebSocket subscription ${double.subscriptionId}`))
    expect(second.stderr + second.stdout).toContain(String(first.process.pid))
    expect(double.sockets).toHaveLength(1)
  })

  it('records the gap of a serve killed with SIGKILL, from its last heartbeat to the next connection', async () => {
    const double = await zoom()
    const dataDir = tempDir()
    const first = await serveOn(double, ['--data-dir', dataDir])
    await new Promise((resolve) => setTimeout(resolve, 800))
    const killedAt = Date.now()
    await first.stop('SIGKILL')
    double.drop()
    expect(double.emit(body('meeting.ended'))).toBe(false)
    await new Promise((resolve) => setTimeout(resolve, 1000))
    // The killed serve's lock is stale: the next one takes it over.
    const second = await serveOn(double, ['--data-dir', dataDir])
    const {websocket} = await health(second)
    expect(websocket.gaps).toHaveLength(1)
    expect(websocket.gaps[0]!.reason).toMatch(/without a clean stop/)
    expect(Date.parse(websocket.gaps[0]!.start)).toBeLessThanOrEqual(killedAt)
    expect(Date.parse(websocket.gaps[0]!.start)).toBeGreaterThan(killedAt - 1000)
    expect(Date.parse(websocket.gaps[0]!.end!)).toBeGreaterThan(killedAt + 900)
  })
})

const engine = inject('engineUrl')

async function engineCall(method: string, path: string, payload?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${engine}${path}`, {method, headers: {'content-type': 'application/json'}, ...(payload === undefined ? {} : {body: JSON.stringify(payload)})})
  return (await response.json()) as Record<string, unknown>
}

describe.skipIf(!engine)('serve --websocket to a real search engine', () => {
  it('stores and indexes every catalog event type sent while connected exactly once, across forced reconnects and a SIGKILL of serve', async () => {
    const mappings = {dynamic_templates: [{strings: {match_mapping_type: 'string', mapping: {type: 'keyword', ignore_above: 1024}}}], properties: {'@timestamp': {type: 'date'}}}
    await engineCall('PUT', '/_index_template/logs', {index_patterns: ['logs-*-*'], data_stream: {}, priority: 100, template: {settings: {number_of_replicas: 0}, mappings}})
    const stream = 'logs-zoomctl.webhook-wsi34'
    // 211 types in one data stream: dynamic mapping would make one type's object another's keyword (the
    // integration maps zoom.* explicitly). Kept in _source unindexed; what is counted is event.action.
    await engineCall('PUT', '/_index_template/logs-zoomctl.webhook-wsi34', {
      index_patterns: [stream],
      data_stream: {},
      priority: 300,
      template: {settings: {number_of_replicas: 0}, mappings: {...mappings, properties: {...mappings.properties, zoom: {type: 'object', enabled: false}}}},
    })
    const count = async () => {
      await engineCall('POST', `/${stream}/_refresh`)
      return ((await engineCall('GET', `/${stream}/_count`)) as {count?: number}).count ?? 0
    }
    const double = await zoom()
    const dataDir = tempDir()
    const args = ['--data-dir', dataDir, '--es-url', engine, '--pre-map', '--namespace', 'wsi34']
    const bodies = allEvents().map((spec) => factory.body(spec))
    expect(bodies).toHaveLength(211)
    const sendWhileConnected = async (part: string[], stored: number) => {
      await waitFor(() => double.connected, 20_000, 'a socket')
      for (const each of part) expect(double.emit(each)).toBe(true)
      await waitFor(() => readStore(dataDir).length >= stored, 20_000, `${stored} records`)
    }

    const first = await serveOn(double, args)
    await sendWhileConnected(bodies.slice(0, 60), 60)
    double.drop()
    await waitFor(() => double.sockets.length === 2, 20_000, 'the reconnection')
    // Zoom delivers at least once: copies of events already stored.
    await sendWhileConnected([...bodies.slice(60, 120), ...bodies.slice(0, 5)], 125)
    // Killed as soon as its last events are on disk: the forwarders may be mid-batch.
    await first.stop('SIGKILL')
    const second = await serveOn(double, args)
    await sendWhileConnected(bodies.slice(120, 180), 185)
    double.expireTokens()
    await waitFor(() => double.sockets.length === 4, 20_000, 'the reconnection after the token expired')
    await sendWhileConnected(bodies.slice(180), 216)

    await waitFor(async () => (await count()) >= 211, 90_000, '211 documents').catch(async (error) => {
      // What the forwarders said is the first thing to read when this fails.
      console.log(await count(), [...first.lines, ...second.lines].filter((line) => line.includes('"forward"') || line.includes('"warning"')).slice(0, 20))
      throw error
    })
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect(await count()).toBe(211)
    const actions = (await engineCall('POST', `/${stream}/_search`, {size: 0, aggs: {a: {terms: {field: 'event.action', size: 500}}}})) as {aggregations: {a: {buckets: Array<{key: string; doc_count: number}>}}}
    expect(actions.aggregations.a.buckets).toHaveLength(211)
    expect(actions.aggregations.a.buckets.every((bucket) => bucket.doc_count === 1)).toBe(true)
    const records = readStore(dataDir)
    expect(records.filter((record) => !record.duplicateOf)).toHaveLength(211)
    expect(records.filter((record) => record.duplicateOf)).toHaveLength(5)
    expect(double.lost).toEqual([])
    // The kill is a gap of its own, from the last heartbeat answered to the second serve's socket.
    const gaps = (await health(second)).websocket.gaps
    expect(gaps.map((gap) => gap.reason)).toEqual([expect.stringMatching(/closed|ECONNRESET|1006/), expect.stringMatching(/without a clean stop/), expect.stringMatching(/token expired/)])
    expect(gaps.every((gap) => gap.end)).toBe(true)
  }, 180_000)
})

/** `zoomctl simulate --websocket` started as a user would, with the URLs it prints. */
async function startZoomSide(args: string[]): Promise<{tokenUrl: string; wsUrl: string; output: string[]; exited: Promise<number | null>}> {
  const {spawn} = await import('node:child_process')
  const {createInterface} = await import('node:readline')
  const {BIN, ISOLATED} = await import('../helpers/cli.js')
  const simulate = spawn(process.execPath, [BIN, 'simulate', '--websocket', '--ws-port', '0', ...args], {env: {...process.env, ...ISOLATED, NO_COLOR: '1'}, stdio: ['ignore', 'pipe', 'pipe']})
  cleanups.push(async () => simulate.exitCode === null && simulate.kill())
  const output: string[] = []
  const exited = new Promise<number | null>((resolve) => simulate.once('exit', resolve))
  const urls = await new Promise<{tokenUrl: string; wsUrl: string}>((resolve) => {
    const found: Record<string, string> = {}
    createInterface({input: simulate.stdout}).on('line', (line) => {
      output.push(line)
      const token = /token endpoint: (\S+)/.exec(line)?.[1]
      const ws = /WebSocket: +(\S+)/.exec(line)?.[1]
      if (token) found.tokenUrl = token
      if (ws) found.wsUrl = ws
      if (found.tokenUrl && found.wsUrl) resolve(found as {tokenUrl: string; wsUrl: string})
    })
  })
  return {...urls, output, exited}
}

describe('simulate --websocket', () => {
  it("acts as Zoom's side: serve --websocket connects to it, gets every event across a dropped socket, and simulate reports what it sent", async () => {
    const zoomSide = await startZoomSide(['--all', '--zoom-subscription-id', 'sim-i34', '--drop-after', '40', '--linger', '2s', '--seed', '9'])
    const serve = await startServe(['--websocket', '--zoom-ws-url', zoomSide.wsUrl, '--zoom-token-url', zoomSide.tokenUrl, '--zoom-subscription-id', 'sim-i34', '--zoom-ws-heartbeat', '300ms'], {ZOOM_CLIENT_ID: 'any', ZOOM_CLIENT_SECRET: 'any'})
    cleanups.push(() => serve.stop())
    expect(await zoomSide.exited).toBe(0)
    const output = zoomSide.output.join('\n')
    expect(output).toMatch(/sent 210 of 210 event\(s\) over 2 connection\(s\)/)
    expect(output).toMatch(/heartbeats answered: [1-9]/)
    await waitFor(() => readStore(serve.dataDir).length === 210, 20_000, '210 records')
    expect(new Set(readStore(serve.dataDir).map((record) => record.eventType)).size).toBe(210)
    // The drop is a gap in serve's record, closed by its reconnection.
    const gaps = JSON.parse((await runCli(['deliveries', serve.dataDir, '--verdict', 'gap', '--json'])).stdout) as Array<{end?: string}>
    expect(gaps.length).toBeGreaterThanOrEqual(1)
    expect(gaps[0]!.end).toBeDefined()
  })

  it('refuses a consumer with another subscription id, checks the credentials it was given, and fails when no consumer came', async () => {
    const zoomSide = await startZoomSide(['meeting.started', '--wait', '25s', '--zoom-subscription-id', 'right', '--zoom-client-id', 'id', '--zoom-client-secret', 'secret'])
    const socketArgs = ['serve', '--port', '0', '--data-dir', tempDir(), '--websocket', '--zoom-ws-url', zoomSide.wsUrl, '--zoom-token-url', zoomSide.tokenUrl, '--zoom-ws-heartbeat', '300ms']
    const wrongSecret = await runCli([...socketArgs, '--zoom-subscription-id', 'right'], {ZOOM_CLIENT_ID: 'id', ZOOM_CLIENT_SECRET: 'other'})
    expect(wrongSecret.code).toBe(1)
    expect(wrongSecret.stderr).toMatch(/refused the client ID or client secret/)
    const wrongSubscription = await runCli([...socketArgs, '--zoom-subscription-id', 'wrong'], {ZOOM_CLIENT_ID: 'id', ZOOM_CLIENT_SECRET: 'secret'})
    expect(wrongSubscription.code).toBe(1)
    expect(wrongSubscription.stderr).toMatch(/WebSocket refused to connect: the socket refused the client_credentials token \(HTTP 401\)/)
    expect(await zoomSide.exited).toBe(1)
    const output = zoomSide.output.join('\n')
    expect(output).toMatch(/token refused \(client_credentials\): Invalid client_id or client_secret/)
    expect(output).toMatch(/socket refused 401: subscriptionId is not right/)
    expect(output).toMatch(/sent 0 of 1 event\(s\) over 0 connection\(s\): no consumer connected within 25 s/)
  })
})

describe('doctor --websocket', () => {
  type Report = {checks: Array<{id: string; status: string; value?: string; details?: string[]}>}
  const doctorArgs = (double: ZoomWebSocketDouble, dataDir = tempDir()) => ['doctor', '--websocket', '--json', '--data-dir', dataDir, '--zoom-ws-url', double.wsUrl, '--zoom-token-url', double.tokenUrl, '--zoom-subscription-id', double.subscriptionId]
  const rows = (stdout: string) => Object.fromEntries((JSON.parse(stdout) as Report).checks.map((check) => [check.id, check]))

  it("measures serve's steps: credentials, the token's grant, the socket, build_connection, a heartbeat's round trip", async () => {
    const double = await zoom({socketGrants: ['account_credentials']})
    const result = await runCli(doctorArgs(double), credentials(double))
    expect(result.code).toBe(0)
    const checks = rows(result.stdout)
    expect(Object.fromEntries(Object.entries(checks).map(([id, check]) => [id, check.status]))).toEqual({
      'websocket.credentials': 'pass',
      'websocket.token': 'pass',
      'websocket.connect': 'pass',
      'websocket.build_connection': 'pass',
      'websocket.heartbeat': 'pass',
      'websocket.gaps': 'pass',
    })
    expect(checks['websocket.connect']!.value).toMatch(/^account_credentials token, \d+ ms \(the client_credentials token refused first\)$/)
    expect(checks['websocket.heartbeat']!.value).toMatch(/^\d+ ms$/)
    // The probe closed its socket at once.
    await waitFor(() => !double.connected, 5000, 'the probe closed')
  })

  it('fails on missing credentials and on a subscription Zoom refuses, saying which step', async () => {
    const double = await zoom()
    const none = await runCli(doctorArgs(double), {ZOOM_CLIENT_ID: '', ZOOM_CLIENT_SECRET: ''})
    expect(none.code).toBe(1)
    expect(rows(none.stdout)['websocket.credentials']!.status).toBe('fail')
    const wrong = await runCli(doctorArgs(double).map((arg) => (arg === double.subscriptionId ? 'not-this-one' : arg)), credentials(double))
    expect(wrong.code).toBe(1)
    const checks = rows(wrong.stdout)
    expect(checks['websocket.token']!.status).toBe('pass')
    expect(checks['websocket.connect']).toMatchObject({status: 'fail', value: 'the handshake was answered HTTP 401'})
  })

  it('reads a running serve instead of taking its socket, and lists the gaps of the data dir', async () => {
    const double = await zoom()
    const serve = await serveOn(double)
    double.drop()
    await waitFor(() => double.sockets.length === 2 && double.connected, 20_000, 'the reconnection')
    await waitFor(async () => (await health(serve)).websocket.gaps.some((gap) => gap.end), 10_000, 'the gap closed')
    const result = await runCli(doctorArgs(double, serve.dataDir), credentials(double))
    expect(result.code).toBe(0)
    const checks = rows(result.stdout)
    expect(checks['websocket.serve']).toMatchObject({status: 'pass'})
    expect(checks['websocket.serve']!.value).toMatch(new RegExp(`^pid ${serve.process.pid}: connected since`))
    expect(checks['websocket.gaps']).toMatchObject({status: 'warn'})
    expect(checks['websocket.gaps']!.details![0]).toMatch(/→ .*: the socket was closed/)
    expect(double.sockets).toHaveLength(2)
  })
})
