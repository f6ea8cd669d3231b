/**
 * The same commands against a real search engine (OpenSearch 2.19 behind the product-header proxy, see
 * test/engine/): real bulk semantics and 409s, data streams from index templates, the query DSL and
 * aggregations. What is Elasticsearch-only (security, Serverless, media-type rules) stays with the double.
 */
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'

import {findEvent} from '../../src/catalog/catalog.js'
import {indexedDocument} from '../../src/mapping/index.js'
import {BodyFactory} from '../../src/sender/index.js'
import {deliver, runCli, startServe, type ServeProcess, tempDir, waitFor} from '../helpers/cli.js'

const engine = inject('engineUrl')

async function call(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${engine}${path}`, {
    method,
    headers: {'content-type': typeof body === 'string' ? 'application/x-ndjson' : 'application/json'},
    ...(body === undefined ? {} : {body: typeof body === 'string' ? body : JSON.stringify(body)}),
  })
  return (await response.json()) as Record<string, unknown>
}

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
