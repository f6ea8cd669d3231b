/**
 * The audit streams end to end on the real search engine: records served by simulate-api, polled as the
 * integration's CEL program polls them, mapped by zoomctl's reproduction of the stream's pipeline and
 * indexed into logs-zoom.<stream>-<namespace> with the fingerprint _id (the Elastic Agent's part), then
 * validate --data-stream … --run finds each one.
 */
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'

import {indexedReportDocument} from '../../src/mapping/reports/index.js'
import type {ReportStream} from '../../src/zoom/reports.js'
import {CelClient} from '../helpers/cel-client.js'
import {runCli, tempDir} from '../helpers/cli.js'
import {type SimulateApiProcess, startSimulateApi} from '../helpers/report-api.js'
import {engineApi} from '../helpers/engine.js'

const engine = inject('engineUrl')

const call = engineApi(engine)

const mappings = {dynamic_templates: [{strings: {match_mapping_type: 'string', mapping: {type: 'keyword', ignore_above: 1024}}}], properties: {'@timestamp': {type: 'date'}, source: {properties: {ip: {type: 'ip'}}}}}

/** The Elastic Agent's part: one CEL poll of the stream, each record mapped and created under its _id. */
async function agentPoll(api: SimulateApiProcess, stream: ReportStream, namespace: string): Promise<number> {
  const {accountId, clientId, clientSecret} = api.listening.madeUp
  const poll = await new CelClient({stream, url: api.url, tokenUrl: api.url, accountId: accountId!, clientId: clientId!, clientSecret: clientSecret!, pageSize: 50, initialIntervalHours: 720}).poll()
  expect(poll.error).toBeUndefined()
  const index = `logs-zoom.${stream}-${namespace}`
  const lines = poll.records.flatMap((record) => {
    const {document, id} = indexedReportDocument(stream, record, {polledAt: new Date(), namespace})
    return [JSON.stringify({create: {_index: index, _id: id}}), JSON.stringify(document)]
  })
  const bulk = (await call('POST', '/_bulk?refresh=true', `${lines.join('\n')}\n`)) as {errors: boolean; items: Array<{create: {status: number}}>}
  expect(bulk.items.filter((item) => item.create.status !== 201)).toEqual([])
  return poll.records.length
}

type Report = {checks: Array<{id: string; status: string; value?: string; hint?: string; details?: string[]}>}

describe.skipIf(!engine)('the audit streams against a real search engine', () => {
  const apis: SimulateApiProcess[] = []
  beforeAll(async () => {
    await call('PUT', '/_index_template/logs', {index_patterns: ['logs-*-*'], data_stream: {}, priority: 100, template: {settings: {number_of_replicas: 0}, mappings}})
    for (const stream of ['activity', 'operation']) {
      await call('PUT', `/_index_template/logs-zoom.${stream}`, {index_patterns: [`logs-zoom.${stream}-*`], data_stream: {}, priority: 200, template: {settings: {number_of_replicas: 0}, mappings}, _meta: {managed_by: 'fleet', managed: true, package: {name: 'zoom'}}})
      // The integration's pipeline id, so that its version is read from it (its processors are Elastic's).
      await call('PUT', `/_ingest/pipeline/logs-zoom.${stream}-1.27.2`, {description: `zoom ${stream}`, processors: []})
    }
  })
  afterAll(async () => Promise.all(apis.map((api) => api.stop())))

  it('records served → documents → validate finds every one, identical to the prediction, with the fields of each action', async () => {
    const served = join(tempDir(), 'served.ndjson')
    const api = await startSimulateApi(['--seed', '9', '--days', '6', '--per-day', '6', '--record', served])
    apis.push(api)
    const indexed = await agentPoll(api, 'activity', 'default')
    expect(indexed).toBe(api.listening.records.activity)
    const result = await runCli(['validate', '--json', '--data-stream', 'activity', '--es-url', engine, '--run', served, '--wait', '20s'])
    const report = JSON.parse(result.stdout) as Report
    const row = (id: string) => report.checks.find((check) => check.id === id)
    expect(report.checks.filter((check) => check.status === 'fail')).toEqual([])
    expect(result.code).toBe(0)
    expect(row('zoom.template')).toMatchObject({status: 'pass'})
    expect(row('zoom.pipelines')).toMatchObject({status: 'pass', value: 'version 1.27.2'})
    expect(row('run.arrived')).toMatchObject({status: 'pass', value: `${indexed}/${indexed} found`})
    expect(row('run.documents')).toMatchObject({status: 'pass', value: `${indexed}/${indexed} identical`})
    expect(row('fields.sign-in')).toMatchObject({status: 'pass'})
    expect(row('fields.sign-in')?.details?.join('\n')).toMatch(/user\.email \d+\/\d+ \(required\)[\s\S]*source\.ip/)
  })

  it('fails naming user.email when sign-in records lack the email, and says when the stream is empty', async () => {
    const api = await startSimulateApi(['--seed', '10', '--days', '3', '--per-day', '5', '--without-email', '2'])
    apis.push(api)
    await agentPoll(api, 'activity', 'noemail')
    const result = await runCli(['validate', '--json', '--data-stream', 'activity', '--es-url', engine, '--namespace', 'noemail', '--since', '5d'])
    expect(result.code).toBe(1)
    const report = JSON.parse(result.stdout) as Report
    const failed = report.checks.filter((check) => check.status === 'fail')
    expect(failed.length).toBeGreaterThan(0)
    expect(failed.every((check) => check.id.startsWith('fields.'))).toBe(true)
    expect(failed[0]!.hint).toContain('user.email (from email)')

    const empty = await runCli(['validate', '--json', '--data-stream', 'operation', '--es-url', engine, '--namespace', 'nothing', '--since', '5d'])
    expect(empty.code).toBe(1)
    const rows = (JSON.parse(empty.stdout) as Report).checks
    expect(rows.find((check) => check.id === 'zoom.data-stream')).toMatchObject({status: 'fail'})
    expect(rows.find((check) => check.id === 'documents')?.hint).toContain('24 h')
  })
})
