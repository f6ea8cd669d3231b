/**
 * The same commands against a real search engine (OpenSearch 2.19 behind the product-header proxy, see
 * test/engine/): real bulk semantics and 409s, data streams from index templates, the query DSL and
 * aggregations. What is Elasticsearch-only (security, Serverless, media-type rules) stays with the double.
 */
import {randomUUID} from 'node:crypto'
import {mkdirSync, writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'

import {findEvent} from '../../src/catalog/catalog.js'
import {indexedDocument} from '../../src/mapping/index.js'
import {BodyFactory} from '../../src/sender/index.js'
import {recordLine} from '../../src/store/records.js'
import {startInspector} from '../../src/ui/server.js'
import {deliver, readStore, runCli, startServe, type ServeProcess, tempDir, waitFor} from '../helpers/cli.js'
import {engineApi} from '../helpers/engine.js'

const engine = inject('engineUrl')

const call = engineApi(engine)

async function count(stream: string): Promise<number> {
  await call('POST', `/${stream}/_refresh`)
  return ((await call('GET', `/${stream}/_count`)) as {count?: number}).count ?? 0
}



/** Keyword strings, like the ECS mappings of Elasticsearch's logs template and of the Zoom integration. */
const mappings = {dynamic_templates: [{strings: {match_mapping_type: 'string', mapping: {type: 'keyword', ignore_above: 1024}}}], properties: {'@timestamp': {type: 'date'}}}

describe.skipIf(!engine)('against a real search engine', () => {
  beforeAll(async () => {
    await call('PUT', '/_index_template/logs', {index_patterns: ['logs-*-*'], data_stream: {}, priority: 100, template: {settings: {number_of_replicas: 0}, mappings}})
    await call('PUT', '/_index_template/logs-zoom.webhook', {
      index_patterns: ['logs-zoom.webhook-*'],
      data_stream: {},
      priority: 200,
      template: {settings: {number_of_replicas: 0}, mappings},
      _meta: {managed_by: 'fleet', managed: true, package: {name: 'zoom'}},
    })
    // The integration's pipeline id, so that its version is read from it (its processors are Elastic's).
    await call('PUT', '/_ingest/pipeline/logs-zoom.webhook-1.27.2', {description: 'zoom webhook', processors: []})
  })

  describe('serve --pre-map forwards', () => {
    const instances: ServeProcess[] = []
    afterAll(async () => Promise.all(instances.map((instance) => instance.stop())))

    it('each delivery once, whichever instance got it, with real 409s for the copies', async () => {
      const a = await startServe(['--es-url', engine, '--pre-map'])
      const b = await startServe(['--es-url', engine, '--pre-map'])
      instances.push(a, b)
      const factory = new BodyFactory(5)
      const types = ['meeting.started', 'meeting.participant_joined', 'webinar.started', 'user.signed_in']
      const bodies = Array.from({length: 200}, (_, i) => factory.body(findEvent(types[i % types.length]!)!))
      for (const [i, body] of bodies.entries()) {
        if (i < 150) expect(await deliver(a.url, body)).toBe(200)
        if (i >= 100) expect(await deliver(b.url, body)).toBe(200)
      }
      // Zoom's retry of one that was already acknowledged.
      expect(await deliver(a.url, bodies[0]!)).toBe(200)
      await waitFor(async () => (await count('logs-zoomctl.webhook-default')) >= 200, 60_000, '200 documents')
      await new Promise((resolve) => setTimeout(resolve, 1500))
      expect(await count('logs-zoomctl.webhook-default')).toBe(200)
      const actions = (await call('POST', '/logs-zoomctl.webhook-default/_search', {size: 0, aggs: {a: {terms: {field: 'event.action', size: 10}}}})) as {
        aggregations: {a: {buckets: Array<{key: string; doc_count: number}>}}
      }
      expect(Object.fromEntries(actions.aggregations.a.buckets.map((bucket) => [bucket.key, bucket.doc_count]))).toEqual({
        'meeting.started': 50,
        'meeting.participant_joined': 50,
        'webinar.started': 50,
        'user.signed_in': 50,
      })
    })
  })

  describe('one record that cannot be mapped', () => {
    it('is dead-lettered (or, arriving now, refused) and forwarding goes on: the normal ones reach the engine, lag returns to 0', async () => {
      // 10,000 arrays deep (20 KB), written as text: JSON.stringify itself cannot.
      const deep = (id: string) => `{"event":"meeting.started","event_ts":${Date.now()},"payload":{"account_id":"acct","object":{"id":"${id}","nested":${'['.repeat(10_000)}${']'.repeat(10_000)}}}}`
      // One already in the store (an older serve accepted it), ahead of everything that comes next.
      const dataDir = tempDir()
      mkdirSync(join(dataDir, 'events'), {recursive: true})
      const stuck = {id: randomUUID(), receivedAt: new Date().toISOString(), source: {address: '127.0.0.1'}, method: 'POST', path: '/zoom-webhook', headers: {}, eventType: 'meeting.started', dedupeKey: 'deep-one'}
      writeFileSync(join(dataDir, 'events', `${stuck.receivedAt.slice(0, 10)}.ndjson`), recordLine(stuck, Buffer.from(deep('stored')), true))
      const serve = await startServe(['--es-url', engine, '--pre-map', '--namespace', 'poison', '--data-dir', dataDir])
      try {
        // One signed now: refused with a 4xx (Zoom would not retry it) and kept under refused/.
        expect(await deliver(serve.url, deep('signed'))).toBe(422)
        const factory = new BodyFactory(11)
        for (let i = 0; i < 4; i++) expect(await deliver(serve.url, factory.body(findEvent('meeting.ended')!))).toBe(200)
        await waitFor(async () => (await count('logs-zoomctl.webhook-poison')) >= 4, 60_000, 'the 4 normal deliveries indexed')
        const health = serve.url.replace('/zoom-webhook', '/healthz')
        await waitFor(async () => ((await (await fetch(health)).json()) as {forwarding: Array<{lag: {records: number; bytes: number}}>}).forwarding[0]!.lag.bytes === 0, 10_000, 'lag 0')
        const status = ((await (await fetch(health)).json()) as {forwarding: Array<{lag: {records: number}; deadLetters: number; state: string}>}).forwarding[0]!
        expect(status).toMatchObject({lag: {records: 0}, deadLetters: 1, state: 'ok'})
        expect(await count('logs-zoomctl.webhook-poison')).toBe(4)
        const refused = readStore(dataDir, 'refused')
        expect(refused.map((record) => record.refusal?.reason)).toEqual(['too-deep'])
        // Both shown with what went wrong, not as an internal error.
        for (const id of [stuck.id, refused[0]!.id]) {
          const shown = await runCli(['deliveries', 'show', id, '--data-dir', dataDir, '--json'])
          expect(shown.code).toBe(0)
          expect((JSON.parse(shown.stdout) as {problem: string}).problem).toContain('nests 10003 levels')
        }
        const inspector = await startInspector({host: '127.0.0.1', port: 0, dataDir, auth: {mode: 'signature'}, token: 'token'})
        try {
          const answer = await fetch(`${inspector.url}api/deliveries/${stuck.id}`, {headers: {'x-zoomctl-token': 'token'}})
          expect(answer.status).toBe(200)
          expect(((await answer.json()) as {problem: string}).problem).toContain('not mapped, shown as received')
        } finally {
          await inspector.close()
        }
        const dead = await runCli(['deliveries', 'show', stuck.id, '--data-dir', dataDir, '--json'])
        expect(JSON.parse(dead.stdout)).toMatchObject({sinks: [{sink: 'elasticsearch', state: 'dead-letter', error: expect.stringContaining('cannot map or serialise this record: Maximum call stack size exceeded') as unknown}]})
      } finally {
        await serve.stop()
      }
    })
  })

  describe('validate', () => {
    let agent: Server
    let agentUrl: string
    beforeAll(async () => {
      // A stand-in for the Elastic Agent and the integration's pipeline: indexes what zoomctl predicts.
      agent = createServer((request, response) => {
        const chunks: Buffer[] = []
        request.on('data', (chunk: Buffer) => chunks.push(chunk))
        request.on('end', async () => {
          const doc = indexedDocument(JSON.parse(Buffer.concat(chunks).toString('utf8')), {receivedAt: new Date()})
          await call('POST', '/_bulk', `${JSON.stringify({create: {_index: 'logs-zoom.webhook-default'}})}\n${JSON.stringify(doc)}\n`)
          response.writeHead(200, {'content-type': 'application/json'}).end('{"message": "success"}')
        })
      })
      await new Promise<void>((resolve) => agent.listen(0, '127.0.0.1', resolve))
      agentUrl = `http://127.0.0.1:${(agent.address() as AddressInfo).port}/zoom-webhook`
    })
    afterAll(async () => new Promise((resolve) => agent.close(resolve)))

    it('finds every delivery of a run, identical to the prediction, with the fields of each type', async () => {
      const run = join(tempDir(), 'run.ndjson')
      const sent = await runCli(['simulate', '--category', 'meeting', '--url', agentUrl, '--record', run])
      expect(sent.code).toBe(0)
      const result = await runCli(['validate', '--json', '--es-url', engine, '--run', run, '--wait', '30s'])
      const report = JSON.parse(result.stdout) as {checks: Array<{id: string; status: string; value?: string}>}
      const row = (id: string) => report.checks.find((check) => check.id === id)
      expect(report.checks.filter((check) => check.status === 'fail')).toEqual([])
      expect(result.code).toBe(0)
      expect(row('elastic.cluster')).toMatchObject({status: 'warn', value: expect.stringContaining('opensearch 2.19')})
      expect(row('elastic.privileges')?.status).toBe('skip')
      expect(row('zoom.pipelines')).toMatchObject({status: 'pass', value: 'version 1.27.2'})
      expect(row('run.arrived')?.status).toBe('pass')
      expect(row('run.documents')?.status).toBe('pass')
      expect(row('fields.meeting.participant_joined')?.status).toBe('pass')
    })
  })
})
