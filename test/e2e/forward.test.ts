import {existsSync, readFileSync, readdirSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {AgentDouble} from '../doubles/agent.js'
import type {ElasticsearchDouble} from '../doubles/elasticsearch.js'
import {deliver, readStore, runCli, tempDir, waitFor} from '../helpers/cli.js'
import {stoppedAfterEachTest, zoomBodies as bodiesOf} from '../helpers/forwarding.js'

const STREAM = 'logs-zoom.webhook-default'
const TYPES = ['meeting.started', 'meeting.participant_joined', 'meeting.participant_left', 'user.signed_in', 'webinar.started']
const zoomBodies = (count: number, seed = 11) => bodiesOf(count, seed, TYPES)

function ids(double: ElasticsearchDouble, stream = STREAM): string[] {
  return double.documents(stream).map((doc) => doc.id)
}

const {cleanups, es, serve} = stoppedAfterEachTest()

describe('serve forwards to Elasticsearch', () => {
  it('indexes 5,000 events exactly once, through the integration pipeline, with the dedupe key as _id', async () => {
    const double = await es()
    const receiver = await serve(['--es-url', double.url, '--no-fsync'])
    expect(receiver.lines[0]).toContain('logs-zoom.webhook-default')
    const burst = await runCli(['simulate', 'meeting.participant_joined', 'user.signed_in', '--url', receiver.url, '--count', '5000', '--concurrency', '50', '--json'])
    expect(burst.code).toBe(0)
    await waitFor(() => double.documents(STREAM).length >= 5000, 60_000, '5000 documents')
    await new Promise((resolve) => setTimeout(resolve, 500))
    const docs = double.documents(STREAM)
    expect(docs).toHaveLength(5000)
    expect(new Set(ids(double)).size).toBe(5000)
    const stored = readStore(receiver.dataDir) as Array<{dedupeKey?: string}>
    expect(new Set(docs.map((doc) => doc.id))).toEqual(new Set(stored.map((record) => record.dedupeKey)))
    expect(docs[0]!.source.event).toMatchObject({action: expect.stringMatching(/meeting.participant_joined|user.signed_in/)})
    // In batches (of at most 2,000), only create ops, plain JSON headers.
    const bulk = double.requests.filter((request) => request.path === '/_bulk')
    expect(bulk.length).toBeGreaterThanOrEqual(3)
    expect(bulk.every((request) => request.headers['content-type'] === 'application/json')).toBe(true)
  })

  it('loses and duplicates nothing through an outage, 429 storms and a restart of serve', async () => {
    const double = await es()
    const dataDir = tempDir()
    let receiver = await serve(['--es-url', double.url, '--data-dir', dataDir, '--retry-max', '2s'])
    const bodies = zoomBodies(600)
    double.down()
    double.switches.reject429 = 3
    double.switches.itemReject429 = 40
    for (const body of bodies.slice(0, 300)) expect(await deliver(receiver.url, body)).toBe(200)
    const healthUrl = receiver.url.replace('/zoom-webhook', '/healthz')
    await waitFor(async () => {
      const health = (await (await fetch(healthUrl)).json()) as {forwarding: Array<{state: string; lag: {bytes: number}}>}
      return health.forwarding[0]!.state === 'retrying' && health.forwarding[0]!.lag.bytes >= 0
    }, 10_000, 'the sink to report retrying')
    expect(receiver.lines.some((line) => line.includes('"kind":"sink-down"'))).toBe(true)
    // Lag counts every record that waits: the batch in flight and the ones stored behind it.
    await waitFor(async () => ((await (await fetch(healthUrl)).json()) as {forwarding: Array<{lag: {records: number}}>}).forwarding[0]!.lag.records === 300, 10_000, 'lag of 300 records')
    double.up()
    await waitFor(() => double.documents(STREAM).length >= 300, 60_000, '300 documents')
    // Back to ok, the last error stays visible as history, with when it happened.
    await waitFor(async () => {
      const health = (await (await fetch(healthUrl)).json()) as {forwarding: Array<{state: string; lastError?: string; lastErrorAt?: string}>}
      const sink = health.forwarding[0]!
      return sink.state === 'ok' && typeof sink.lastError === 'string' && Date.parse(sink.lastErrorAt ?? '') <= Date.now()
    }, 10_000, 'the sink to report ok, with its last error and when it was')
    // SIGKILL mid-forward: slow Elasticsearch down so batches are in flight, then kill.
    double.switches.slowMs = 150
    for (const body of bodies.slice(300)) expect(await deliver(receiver.url, body)).toBe(200)
    await waitFor(() => double.documents(STREAM).length > 300, 20_000, 'forwarding to resume')
    receiver.process.kill('SIGKILL')
    await receiver.exited
    double.switches.slowMs = 0
    receiver = await serve(['--es-url', double.url, '--data-dir', dataDir, '--retry-max', '2s'])
    await waitFor(() => double.documents(STREAM).length >= 600, 60_000, '600 documents')
    await new Promise((resolve) => setTimeout(resolve, 800))
    expect(double.documents(STREAM)).toHaveLength(600)
    expect(new Set(ids(double)).size).toBe(600)
    const cursor = JSON.parse(readFileSync(join(dataDir, 'cursors', 'elasticsearch.json'), 'utf8')) as {offset: number}
    expect(cursor.offset).toBeGreaterThan(0)
  }, 120_000)

  it('puts documents Elasticsearch refuses for good in the dead-letter file and goes on', async () => {
    const double = await es()
    double.switches.itemError = (doc) =>
      (doc.event as {action?: string} | undefined)?.action === 'user.signed_in' ? {status: 400, type: 'document_parsing_exception', reason: '[1:120] failed to parse field [user.id] of type [long]'} : undefined
    const receiver = await serve(['--es-url', double.url])
    for (const body of zoomBodies(10)) expect(await deliver(receiver.url, body)).toBe(200)
    await waitFor(() => double.documents(STREAM).length >= 8, 20_000, '8 documents')
    await waitFor(() => receiver.lines.filter((line) => line.includes('"kind":"dead-letter"')).length >= 2, 20_000, 'two dead letters')
    const dir = join(receiver.dataDir, 'dead-letter')
    const lines = readdirSync(dir).flatMap((file) => readFileSync(join(dir, file), 'utf8').trim().split('\n'))
    expect(lines).toHaveLength(2)
    const letter = JSON.parse(lines[0]!) as {sink: string; error: string; record: {eventType: string; rawBody: string}}
    expect(letter).toMatchObject({sink: 'elasticsearch', record: {eventType: 'user.signed_in'}})
    expect(letter.error).toContain('document_parsing_exception')
    // deliveries show (and the inspector) say where the sink stands with each delivery.
    const sinksOf = async (id: string) => (JSON.parse((await runCli(['deliveries', 'show', id, '--data-dir', receiver.dataDir, '--json'])).stdout) as {sinks?: unknown[]}).sinks
    const started = readStore(receiver.dataDir).find((record) => record.eventType === 'meeting.started')!
    let delivered: unknown
    await waitFor(async () => JSON.stringify((delivered = await sinksOf(started.id))).includes('"delivered"'), 20_000, 'the cursor past the first delivery')
    expect(delivered).toEqual([{sink: 'elasticsearch', state: 'delivered'}])
    const signedIn = readStore(receiver.dataDir).find((record) => record.eventType === 'user.signed_in')!
    expect(await sinksOf(signedIn.id)).toEqual([{sink: 'elasticsearch', state: 'dead-letter', error: expect.stringContaining('document_parsing_exception')}])
  })

  it('sends a batch refused as too large (413) again in halves, down to what goes', async () => {
    const double = await es()
    double.switches.maxBulkBytes = 20_000
    const receiver = await serve(['--es-url', double.url, '--flush-interval', '200ms'])
    const bodies = zoomBodies(60)
    await Promise.all(bodies.map(async (body) => expect(await deliver(receiver.url, body)).toBe(200)))
    await waitFor(() => double.documents(STREAM).length === 60, 20_000, 'all 60 documents')
    expect(existsSync(join(receiver.dataDir, 'dead-letter'))).toBe(false)
  })

  it('pauses, dead-lettering nothing, when Elasticsearch refuses the credentials item by item (no create_doc)', async () => {
    const double = await es({indexPrivileges: ['read', 'view_index_metadata']})
    const receiver = await serve(['--es-url', double.url])
    for (const body of zoomBodies(3)) expect(await deliver(receiver.url, body)).toBe(200)
    await waitFor(() => receiver.lines.some((line) => line.includes('"kind":"sink-paused"')), 20_000, 'the sink paused')
    expect(receiver.lines.find((line) => line.includes('"kind":"sink-paused"'))).toContain('grant create_doc on logs-zoom.webhook-*')
    expect(existsSync(join(receiver.dataDir, 'dead-letter'))).toBe(false)
    expect(double.documents(STREAM)).toHaveLength(0)
  })

  it('indexes each Zoom delivery once when two instances receive overlapping copies', async () => {
    const double = await es()
    const [a, b] = [await serve(['--es-url', double.url]), await serve(['--es-url', double.url])]
    const bodies = zoomBodies(40, 23)
    for (const [i, body] of bodies.entries()) {
      if (i % 2 === 0 || i % 3 === 0) expect(await deliver(a.url, body)).toBe(200)
      if (i % 2 === 1 || i % 3 === 0) expect(await deliver(b.url, body)).toBe(200)
    }
    await waitFor(() => double.documents(STREAM).length >= 40, 20_000, '40 documents')
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect(double.documents(STREAM)).toHaveLength(40)
  })

  it('--pre-map indexes zoomctl documents into its own data stream with no pipeline', async () => {
    const double = await es()
    const receiver = await serve(['--es-url', double.url, '--pre-map'])
    expect(receiver.lines[0]).toContain('logs-zoomctl.webhook-default')
    for (const body of zoomBodies(3)) expect(await deliver(receiver.url, body)).toBe(200)
    await waitFor(() => double.documents('logs-zoomctl.webhook-default').length >= 3, 20_000, '3 documents')
    const doc = double.documents('logs-zoomctl.webhook-default')[0]!.source
    expect(doc).toMatchObject({data_stream: {dataset: 'zoomctl.webhook'}, event: {action: 'meeting.started'}})
    expect(double.requests.find((request) => request.path === '/_bulk')).toBeDefined()
  })
})

describe('serve forwards to an Elastic Agent', () => {
  it('relays bodies byte for byte with the static header, and loses nothing through an outage', async () => {
    const agent = await new AgentDouble({secret: {header: 'Authorization', value: 'agent-secret'}}).start()
    cleanups.push(() => agent.stop())
    const receiver = await serve(['--forward-to', agent.url, '--forward-header', 'Authorization: agent-secret'])
    const bodies = zoomBodies(20)
    for (const body of bodies.slice(0, 10)) expect(await deliver(receiver.url, body)).toBe(200)
    await waitFor(() => agent.received.length >= 10, 20_000, '10 deliveries at the agent')
    agent.failing = true
    for (const body of bodies.slice(10)) expect(await deliver(receiver.url, body)).toBe(200)
    await waitFor(() => receiver.lines.some((line) => line.includes('"kind":"sink-down"')), 20_000, 'sink-down')
    agent.failing = false
    await waitFor(() => agent.received.length >= 20, 30_000, '20 deliveries at the agent')
    // Several in flight at once: the agent gets them all, in whatever order they finish.
    expect(agent.received.map((delivery) => delivery.body.toString('utf8')).sort()).toEqual([...bodies].sort())
    expect(agent.received.every((delivery) => delivery.headers.authorization === 'agent-secret' && delivery.headers['x-zm-signature'])).toBe(true)
    // The agent has the last one before serve has read its answer: sink-up follows that answer.
    await waitFor(() => receiver.lines.some((line) => line.includes('"kind":"sink-up"')), 20_000, 'sink-up')
  })

  it('pauses, loudly, when the agent refuses the header, and delivers once it is right', async () => {
    const agent = await new AgentDouble({secret: {header: 'Authorization', value: 'right'}}).start()
    cleanups.push(() => agent.stop())
    const dataDir = tempDir()
    let receiver = await serve(['--data-dir', dataDir, '--forward-to', agent.url, '--forward-header', 'Authorization: wrong', '--pause-interval', '200ms'])
    expect(await deliver(receiver.url, zoomBodies(1)[0]!)).toBe(200)
    await waitFor(() => receiver.lines.some((line) => line.includes('"kind":"sink-paused"')), 20_000, 'sink-paused')
    expect(receiver.lines.join('\n')).not.toContain('"wrong"')
    expect(agent.received).toHaveLength(0)
    await receiver.stop()
    receiver = await serve(['--data-dir', dataDir, '--forward-to', agent.url, '--forward-header', 'Authorization: right'])
    await waitFor(() => agent.received.length >= 1, 20_000, 'the delivery at the agent')
    expect(agent.received).toHaveLength(1)
  })
})

describe('serve with a sink that cannot be reached or does not answer', () => {
  it('listens first and connects to Elasticsearch in the background: "refused the connection" comes after the listening line', async () => {
    const receiver = await serve(['--es-url', 'http://127.0.0.1:1'])
    await waitFor(() => receiver.lines.some((line) => line.includes('"kind":"sink-down"')), 20_000, 'sink-down')
    const listening = receiver.lines.findIndex((line) => line.includes('"type":"listening"'))
    const refused = receiver.lines.findIndex((line) => line.includes('refused the connection'))
    expect(listening).toBeGreaterThanOrEqual(0)
    expect(refused).toBeGreaterThan(listening)
    expect(JSON.parse(receiver.lines[listening]!)).toMatchObject({forwarding: [expect.stringMatching(/^Elasticsearch \((connecting|not reachable yet)\) → logs-zoom\.webhook-default/)]})
    // It stores meanwhile: deliveries wait for Elasticsearch.
    expect(await deliver(receiver.url, zoomBodies(1)[0]!)).toBe(200)
  })

  it('Ctrl-C with a batch in flight to a sink that does not answer: says what it waits for, and abandons it (kept in the store)', async () => {
    const {createServer} = await import('node:net')
    // Takes the connection and never answers: a sink that hangs.
    const sockets = new Set<import('node:net').Socket>()
    const silent = createServer((socket) => sockets.add(socket))
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => new Promise((resolve) => (sockets.forEach((socket) => socket.destroy()), silent.close(resolve))))
    const dataDir = tempDir()
    const receiver = await serve(['--data-dir', dataDir, '--forward-to', `http://127.0.0.1:${(silent.address() as {port: number}).port}/zoom-webhook`])
    expect(await deliver(receiver.url, zoomBodies(1)[0]!)).toBe(200)
    // In flight once the sink has the connection (lag counts a stored record before it is sent).
    await waitFor(() => sockets.size === 1, 20_000, 'the batch in flight')
    expect(await receiver.stop('SIGINT')).toBe(0)
    const lines = receiver.lines.map((line) => JSON.parse(line) as {type: string; message?: string})
    expect(lines.find((line) => line.type === 'stopping')?.message).toBe('stopping: waiting up to 0.5 s for 1 delivery in flight to agent; what is not confirmed stays in the store and goes at the next start')
    expect(lines.at(-1)?.type).toBe('stopped')
    expect(readStore(dataDir)).toHaveLength(1)
  })
})
