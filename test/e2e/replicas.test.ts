/**
 * Two serve replicas behind one port, on the real search engine (OpenSearch 2.19, see test/engine/): Zoom's
 * deliveries with copies and retries spread over both, a rollover of the data stream between a delivery and
 * its retry, a SIGKILL of one replica in the middle. Every acknowledged event must be in the data stream
 * exactly once, counted by the dedupe key each document carries; and the control run without the dedupe
 * index shows the duplicate that a rollover makes, which validate --duplicates finds.
 */
import {request} from 'node:http'
import {connect, createServer, type Server, type Socket} from 'node:net'

import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'

import {findEvent} from '../../src/catalog/catalog.js'
import {BodyFactory} from '../../src/sender/index.js'
import {dedupeKey} from '../../src/store/dedupe.js'
import {signatureHeaders} from '../../src/zoom/signature.js'
import {readStore, runCli, SECRET, startServe, type ServeProcess} from '../helpers/cli.js'
import {engineApi} from '../helpers/engine.js'

const engine = inject('engineUrl')

const call = engineApi(engine)

/** Documents per dedupe key in a data stream, every backing index included. */
async function copiesByKey(stream: string): Promise<Map<string, number>> {
  await call('POST', `/${stream}/_refresh`)
  const answer = (await call('POST', `/${stream}/_search`, {size: 0, aggs: {keys: {terms: {field: 'labels.zoomctl_dedupe_key', size: 10_000}}}})) as {
    aggregations?: {keys: {buckets: Array<{key: string; doc_count: number}>}}
  }
  return new Map((answer.aggregations?.keys.buckets ?? []).map((bucket) => [bucket.key, bucket.doc_count]))
}

async function backingIndices(stream: string): Promise<number> {
  const answer = (await call('GET', `/_data_stream/${stream}`)) as {data_streams?: Array<{indices: unknown[]}>}
  return answer.data_streams?.[0]?.indices.length ?? 0
}

/**
 * A TCP round-robin in front of the replicas, as a load balancer would be: each connection goes to the
 * next replica; one that refuses the connection is skipped (a health check would take it out).
 */
async function roundRobin(backends: () => number[]): Promise<{port: number; server: Server}> {
  let next = 0
  const server = createServer((client: Socket) => {
    client.pause()
    const ports = backends()
    const attempt = (tries: number) => {
      const port = ports[next++ % ports.length]!
      const upstream = connect(port, '127.0.0.1')
      upstream.once('connect', () => {
        client.pipe(upstream).pipe(client)
        client.resume()
      })
      upstream.once('error', () => (tries > 1 ? attempt(tries - 1) : client.destroy()))
      client.once('error', () => upstream.destroy())
      upstream.once('close', () => client.destroy())
    }
    attempt(ports.length)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {port: (server.address() as {port: number}).port, server}
}

/** One delivery as Zoom makes it, on a connection of its own (so that the balancer spreads them). */
function post(port: number, body: string): Promise<{status: number; id?: string}> {
  return new Promise((resolve) => {
    const req = request({host: '127.0.0.1', port, path: '/zoom-webhook', method: 'POST', agent: false, headers: {'content-type': 'application/json; charset=utf-8', ...signatureHeaders(SECRET, body)}}, (response) => {
      let text = ''
      response.on('data', (chunk: Buffer) => (text += chunk.toString()))
      response.on('end', () => {
        let id: string | undefined
        try {
          id = (JSON.parse(text) as {id?: string}).id
        } catch {
          // Not JSON: no id.
        }
        resolve({status: response.statusCode ?? 0, id})
      })
      response.on('error', () => resolve({status: 0}))
    })
    // A replica killed mid-request: no answer, as Zoom would see it (then it retries).
    req.on('error', () => resolve({status: 0}))
    req.setTimeout(3000, () => req.destroy())
    req.end(body)
  })
}

/** Zoom's retries, compressed: a delivery not answered 200 is sent again until it is. */
async function deliverUntilAcknowledged(port: number, body: string, attempts = 30): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if ((await post(port, body)).status === 200) return
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
  throw new Error('never acknowledged')
}

function zoomBodies(count: number, seed: number): string[] {
  const factory = new BodyFactory(seed)
  const types = ['meeting.started', 'meeting.participant_joined', 'webinar.started', 'user.signed_in']
  return Array.from({length: count}, (_, i) => factory.body(findEvent(types[i % types.length]!)!))
}

const keyOf = (body: string) => dedupeKey(JSON.parse(body), Buffer.from(body))

describe.skipIf(!engine)('serve replicas on a real search engine', () => {
  const replicas: ServeProcess[] = []
  const balancers: Server[] = []
  beforeAll(async () => {
    const mappings = {dynamic_templates: [{strings: {match_mapping_type: 'string', mapping: {type: 'keyword', ignore_above: 1024}}}], properties: {'@timestamp': {type: 'date'}}}
    await call('PUT', '/_index_template/logs', {index_patterns: ['logs-*-*'], data_stream: {}, priority: 100, template: {settings: {number_of_replicas: 0}, mappings}})
  })
  afterAll(async () => {
    await Promise.all(replicas.map((replica) => replica.stop('SIGKILL')))
    await Promise.all(balancers.map((server) => new Promise((resolve) => server.close(resolve))))
  })

  it('index every acknowledged event exactly once through copies, retries, a rollover and a SIGKILL (--ack-after-index)', async () => {
    const stream = 'logs-zoomctl.webhook-replicas'
    const args = ['--es-url', engine, '--pre-map', '--namespace', 'replicas', '--ack-after-index', '--rollover-settle', '2s', '--clock-margin', '0s', '--flush-interval', '50ms']
    const a = await startServe(args)
    const b = await startServe(args)
    replicas.push(a, b)
    const portOf = (replica: ServeProcess) => Number(new URL(replica.url).port)
    let alive = [a, b]
    const balancer = await roundRobin(() => alive.map(portOf))
    balancers.push(balancer.server)
    const bodies = zoomBodies(60, 36)

    // The first write creates the data stream: on a busy machine, longer than an answer waits.
    await deliverUntilAcknowledged(balancer.port, bodies[0]!)
    // First deliveries, each of the first ten copied at once (to the other replica: round robin).
    // A copy is answered once its first is found indexed; past the budget (a busy machine) it is a 503,
    // which Zoom retries: so each is delivered until it is acknowledged, as Zoom would.
    for (const [i, body] of bodies.slice(0, 30).entries()) {
      await deliverUntilAcknowledged(balancer.port, body)
      if (i < 10) await deliverUntilAcknowledged(balancer.port, body)
    }
    expect([...(await copiesByKey(stream)).values()].every((n) => n === 1)).toBe(true)

    // The data stream rolls over; then Zoom's retries of acknowledged events come, to either replica.
    const rolled = await call('POST', `/${stream}/_rollover`)
    expect(rolled.rolled_over).toBe(true)
    expect(await backingIndices(stream)).toBe(2)
    for (const body of bodies.slice(0, 15)) await deliverUntilAcknowledged(balancer.port, body)

    // More deliveries, then a burst in the middle of which replica a is killed.
    const answers = new Map<number, Promise<{status: number; id?: string}>>()
    for (let i = 30; i < 42; i++) answers.set(i, Promise.resolve(await post(balancer.port, bodies[i]!)))
    // (What these were not answered 200 is retried below, with what the kill cuts off.)
    for (let i = 42; i < 60; i++) {
      answers.set(i, post(balancer.port, bodies[i]!))
      if (i === 50) {
        a.process.kill('SIGKILL')
        await a.exited
        alive = [b]
      }
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    const settled = new Map<number, {status: number; id?: string}>()
    for (const [i, answer] of answers) settled.set(i, await answer)

    // What the killed replica acknowledged is in Elasticsearch already, though it never comes back.
    const onKilledDisk = new Map(readStore(a.dataDir).map((record) => [record.id, record.dedupeKey!]))
    const acknowledgedByA = [...settled.values()].filter((answer) => answer.status === 200 && answer.id && onKilledDisk.has(answer.id)).map((answer) => onKilledDisk.get(answer.id!)!)
    expect(acknowledgedByA.length).toBeGreaterThan(0)
    const indexedNow = await copiesByKey(stream)
    for (const key of acknowledgedByA) expect(indexedNow.get(key)).toBe(1)

    // Zoom retries whatever was not answered 200 (the requests the kill cut off), now all to b.
    for (const [i, answer] of settled) if (answer.status !== 200) await deliverUntilAcknowledged(balancer.port, bodies[i]!)

    const copies = await copiesByKey(stream)
    expect(copies.size).toBe(60)
    for (const body of bodies) expect(copies.get(keyOf(body))).toBe(1)
    expect(await backingIndices(stream)).toBe(2)

    const validate = await runCli(['validate', '--json', '--es-url', engine, '--namespace', 'replicas', '--since', '1h', '--duplicates'])
    const check = (JSON.parse(validate.stdout) as {checks: Array<{id: string; status: string; value?: string}>}).checks.find((row) => row.id === 'elastic.duplicates')
    expect(check).toMatchObject({status: 'pass', value: expect.stringContaining('0 duplicates among 60 document(s)')})
  }, 240_000)

  it('control: without the dedupe index a retry after a rollover is indexed again, and validate --duplicates finds it', async () => {
    const stream = 'logs-zoomctl.webhook-control'
    const replica = await startServe(['--es-url', engine, '--pre-map', '--namespace', 'control', '--ack-after-index', '--no-dedupe-index'])
    replicas.push(replica)
    const port = Number(new URL(replica.url).port)
    const [first, second] = zoomBodies(2, 37)
    // The first write creates the data stream, which may take longer than the answer's budget on a busy machine.
    await deliverUntilAcknowledged(port, first!)
    expect((await post(port, second!)).status).toBe(200)
    // A retry before the rollover is refused by _id (409) as before.
    expect((await post(port, first!)).status).toBe(200)
    expect((await call('POST', `/${stream}/_rollover`)).rolled_over).toBe(true)
    expect((await post(port, first!)).status).toBe(200)
    const copies = await copiesByKey(stream)
    expect(copies.get(keyOf(first!))).toBe(2)
    expect(copies.get(keyOf(second!))).toBe(1)

    const validate = await runCli(['validate', '--json', '--es-url', engine, '--namespace', 'control', '--since', '1h', '--duplicates'])
    const check = (JSON.parse(validate.stdout) as {checks: Array<{id: string; status: string; value?: string; details?: string[]}>}).checks.find((row) => row.id === 'elastic.duplicates')
    expect(check).toMatchObject({status: 'fail', value: expect.stringContaining('1 event(s) indexed more than once: 1 extra document(s)')})
    // Each copy named by its _id and backing index (the same _id in both), the one of the first index kept.
    expect(check?.details?.[0]).toMatch(new RegExp(`^${keyOf(first!)}: 2 documents; keep (\\S+) in \\S+-000001; extra: \\1 in \\S+-000002$`))
    expect(validate.code).toBe(1)
  }, 120_000)
})
