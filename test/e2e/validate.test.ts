import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {generate} from 'selfsigned'

import {findEvent} from '../../src/catalog/catalog.js'
import {BodyFactory} from '../../src/sender/index.js'
import {ElasticsearchDouble, type EsDoubleOptions} from '../doubles/elasticsearch.js'
import {runCli, startServe, tempDir} from '../helpers/cli.js'

const STREAM = 'logs-zoom.webhook-default'
const KEY = {id: 'VuaCfGcBCdbkQm-e5aOx', key: 'ui2lp2axTNmsyakw9tvNnw'}
const ENCODED_KEY = Buffer.from(`${KEY.id}:${KEY.key}`).toString('base64')

interface Report {
  checks: Array<{id: string; status: string; value?: string; hint?: string; details?: string[]}>
  summary: {ok: boolean; fail: number}
}

function bodies(events: string[], seed = 7): Array<Record<string, unknown>> {
  const factory = new BodyFactory(seed)
  return events.map((event) => factory.build(findEvent(event)!))
}

async function cluster(options: EsDoubleOptions = {}, events = ['meeting.started', 'meeting.participant_joined', 'user.signed_in']): Promise<ElasticsearchDouble> {
  const double = await new ElasticsearchDouble({auth: {apiKey: KEY}, ...options}).start()
  double.seed(STREAM, bodies(events).map((body) => double.agentDocument(body)))
  return double
}

async function validate(double: ElasticsearchDouble, args: string[] = [], env: Record<string, string> = {}) {
  const result = await runCli(['validate', '--json', ...args], {ELASTICSEARCH_HOSTS: double.url, ELASTICSEARCH_API_KEY: ENCODED_KEY, ...env})
  return {...result, report: JSON.parse(result.stdout) as Report}
}

const status = (report: Report, id: string) => report.checks.find((check) => check.id === id)?.status

describe('validate against the Elasticsearch double', () => {
  const started: ElasticsearchDouble[] = []
  const track = async (promise: Promise<ElasticsearchDouble>) => {
    const double = await promise
    started.push(double)
    return double
  }
  afterAll(async () => Promise.all(started.map((double) => double.stop())))

  it('passes on a healthy 8.x cluster, with plain JSON headers on every request', async () => {
    const double = await track(cluster())
    const {code, report} = await validate(double, ['--event', 'meeting.started'])
    expect(report.checks.filter((check) => check.status !== 'pass')).toEqual([])
    expect(code).toBe(0)
    expect(status(report, 'fields.meeting.participant_joined')).toBe('pass')
    for (const request of double.requests) {
      expect(request.headers.accept).toBe('application/json')
      expect(request.headers.authorization).toBe(`ApiKey ${ENCODED_KEY}`)
    }
  })

  it.each(['7.14.2', '9.1.0', 'serverless'] as const)('works with Elasticsearch %s', async (version) => {
    const double = await track(cluster({version}))
    const {code, report} = await validate(double)
    expect(code).toBe(0)
    expect(report.checks[0]!.value).toContain(version === 'serverless' ? 'Serverless' : version)
  })

  it('accepts the API key as id:key, the form the Agent takes', async () => {
    const double = await track(cluster())
    const {code} = await validate(double, [], {ELASTICSEARCH_API_KEY: `${KEY.id}:${KEY.key}`})
    expect(code).toBe(0)
  })

  it('says that an --es-url with a path (a copied Kibana URL) is the cause of a 400, and how to write it', async () => {
    const double = await track(cluster())
    const result = await runCli(['validate', '--json'], {ELASTICSEARCH_HOSTS: `${double.url}/app/kibana`, ELASTICSEARCH_API_KEY: ENCODED_KEY})
    expect(result.code).toBe(1)
    const {error} = JSON.parse(result.stdout) as {error: {message: string; hint?: string}}
    expect(error.message).toMatch(/^Elasticsearch answered 400: /)
    expect(error.hint).toContain("give --es-url the cluster's address without a path")
  })

  it('fails the fields row of a type whose documents lack user.email', async () => {
    const double = await track(cluster({}, ['meeting.participant_joined']))
    for (const doc of double.documents(STREAM)) delete (doc.source.user as Record<string, unknown>).email
    const {code, report} = await validate(double)
    expect(code).toBe(1)
    const row = report.checks.find((check) => check.id === 'fields.meeting.participant_joined')!
    expect(row.status).toBe('fail')
    expect(row.details).toContain('user.email 0/1')
    expect(row.hint).toContain('1.23.0')
  })

  it('reports documents with error.message, per message', async () => {
    const double = await track(cluster())
    double.seed(STREAM, [{'@timestamp': new Date().toISOString(), data_stream: {dataset: 'zoom.webhook'}, event: {action: 'meeting.ended', kind: 'pipeline_error'}, error: {message: 'failed to parse date field [x]'}}])
    const {code, report} = await validate(double)
    expect(code).toBe(1)
    const row = report.checks.find((check) => check.id === 'pipeline-errors')!
    expect(row.status).toBe('fail')
    expect(row.details?.[0]).toContain('failed to parse date field')
  })

  it('fails when the Zoom integration is not installed', async () => {
    const double = await track(cluster({integration: false}))
    const {code, report} = await validate(double)
    expect(code).toBe(1)
    expect(status(report, 'zoom.template')).toBe('fail')
    expect(status(report, 'zoom.pipelines')).toBe('fail')
  })

  it('names the missing privilege instead of concluding "no data"', async () => {
    const double = await track(cluster({indexPrivileges: ['view_index_metadata']}))
    const {code, report} = await validate(double)
    expect(code).toBe(1)
    const row = report.checks.find((check) => check.id === 'elastic.privileges')!
    expect(row.value).toContain('missing read')
    expect(report.checks.find((check) => check.id === 'documents')).toBeUndefined()
  })

  it('says which credential was refused, never its value', async () => {
    const double = await track(cluster())
    const {code, stdout} = await validate(double, [], {ELASTICSEARCH_API_KEY: 'wrong-id:wrong-secret-value'})
    expect(code).toBe(1)
    expect(stdout).toContain('API key id wrong-id')
    expect(stdout).not.toContain('wrong-secret-value')
  })

  it('explains an unreachable host and an untrusted certificate', async () => {
    const closed = await runCli(['validate', '--es-url', 'http://127.0.0.1:1', '--json'])
    expect(closed.code).toBe(1)
    expect(JSON.parse(closed.stdout).error.message).toContain('refused the connection')

    const pems = await generate([{name: 'commonName', value: '127.0.0.1'}], {extensions: [{name: 'subjectAltName', altNames: [{type: 7, ip: '127.0.0.1'}]}]})
    const double = await track(cluster({tls: {cert: pems.cert, key: pems.private}}))
    const untrusted = await validate(double)
    expect(untrusted.code).toBe(1)
    expect((untrusted.report as unknown as {error: {message: string; hint: string}}).error.message).toContain('not signed by a CA this machine trusts')
    const caFile = join(tempDir(), 'ca.pem')
    writeFileSync(caFile, pems.cert)
    const trusted = await validate(double, ['--ca-cert', caFile])
    expect(trusted.code).toBe(0)
  })

  it('exits 2 when no Elasticsearch is named', async () => {
    const result = await runCli(['validate', '--json'], {ELASTICSEARCH_HOSTS: '', ELASTICSEARCH_HOST: ''})
    expect(result.code).toBe(2)
    expect(JSON.parse(result.stdout).error.message).toContain('--es-url')
  })
})

describe('validate --run: the end-to-end test of a deployment', () => {
  let double: ElasticsearchDouble
  let agent: Server
  let agentUrl: string
  let received = 0

  beforeAll(async () => {
    double = await new ElasticsearchDouble().start()
    // A stand-in Elastic Agent: indexes what it receives, but loses the 2nd delivery and alters the 3rd.
    agent = createServer((request, response) => {
      const chunks: Buffer[] = []
      request.on('data', (chunk: Buffer) => chunks.push(chunk))
      request.on('end', () => {
        received++
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>
        const doc = double.agentDocument(body)
        if (received === 3) (doc.user as Record<string, unknown>).email = 'someone.else@example.org'
        if (received !== 2) double.seed(STREAM, [doc])
        response.writeHead(200, {'content-type': 'application/json'}).end('{"message": "success"}')
      })
    })
    await new Promise<void>((resolve) => agent.listen(0, '127.0.0.1', resolve))
    agentUrl = `http://127.0.0.1:${(agent.address() as AddressInfo).port}/zoom-webhook`
  })
  afterAll(async () => {
    await double.stop()
    await new Promise((resolve) => agent.close(resolve))
  })

  it('finds a dropped delivery and a changed field', async () => {
    const run = join(tempDir(), 'run.ndjson')
    const sent = await runCli(['simulate', 'meeting.started', 'meeting.ended', 'meeting.participant_joined', 'user.signed_in', '--url', agentUrl, '--record', run])
    expect(sent.code).toBe(0)
    expect(readFileSync(run, 'utf8').trim().split('\n')).toHaveLength(4)
    const {code, report} = await validate(double, ['--run', run], {ELASTICSEARCH_API_KEY: ''})
    expect(code).toBe(1)
    const arrived = report.checks.find((check) => check.id === 'run.arrived')!
    expect(arrived.value).toBe('3/4 found')
    expect(arrived.details).toEqual([expect.stringContaining('missing: meeting.ended')])
    const documents = report.checks.find((check) => check.id === 'run.documents')!
    expect(documents.status).toBe('fail')
    expect(documents.details?.join('\n')).toContain('user.email expected "')
    expect(status(report, 'run.delay')).toBe('pass')
  })
})

describe('validate --local', () => {
  it("passes on serve's store filled by simulate, and fails for an event type that never came", async () => {
    const serve = await startServe()
    try {
      const run = join(tempDir(), 'run.ndjson')
      const sent = await runCli(['simulate', '--category', 'meeting', '--url', serve.url, '--record', run])
      expect(sent.code).toBe(0)
      // --local alone reads the data dir serve uses (here through ZOOMCTL_DATA_DIR), as deliveries and replay do.
      const ok = await runCli(['validate', '--local', '--run', run, '--json'], {ZOOMCTL_DATA_DIR: serve.dataDir, ELASTICSEARCH_HOSTS: 'http://127.0.0.1:9'})
      const report = JSON.parse(ok.stdout) as Report
      expect(report.checks.filter((check) => check.status === 'fail')).toEqual([])
      expect(ok.code).toBe(0)
      expect(report.checks.find((check) => check.id === 'run.arrived')?.status).toBe('pass')
      expect(report.checks.find((check) => check.id === 'kept.refused')).toMatchObject({status: 'pass', value: 'none'})
      // A run sent before --since's window widens it to cover the run, and the report gives the window read.
      const firstSent = Math.min(...readFileSync(run, 'utf8').trim().split('\n').map((line) => Date.parse((JSON.parse(line) as {sentAt: string}).sentAt)))
      const narrow = JSON.parse((await runCli(['validate', '--local', serve.dataDir, '--run', run, '--since', '1ms', '--json'])).stdout) as Report & {window: {since: string}}
      expect(Date.parse(narrow.window.since)).toBeLessThanOrEqual(firstSent - 60_000)
      // A stale delivery serve refused and kept: never forwarded, and Zoom would not send it again.
      expect((await runCli(['simulate', 'meeting.ended', '--url', serve.url, '--timestamp-offset', '-900'])).code).toBe(1)
      const refused = JSON.parse((await runCli(['validate', '--local', serve.dataDir, '--json'])).stdout) as Report
      expect(refused.checks.find((check) => check.id === 'kept.refused')).toMatchObject({status: 'warn', value: '1 (1 stale-timestamp)'})
      expect(refused.checks.find((check) => check.id === 'kept.refused')?.hint).toContain('zoomctl replay --from refused --since')
      const missing = await runCli(['validate', '--local', serve.dataDir, '--event', 'phone.callee_ended'])
      expect(missing.code).toBe(1)
      expect(missing.stdout).toMatch(/✖ +phone\.callee_ended arrived/)
      expect(missing.stdout).toContain('Add Events')

      const early = await runCli(['validate', serve.dataDir, '--until', '2020-01-01', '--json'])
      expect(early.code).toBe(1)
      const none = (JSON.parse(early.stdout) as Report).checks.find((check) => check.id === 'documents')
      expect(none?.hint).toContain('--since')

      const nowhere = await runCli(['validate', '--local', join(tempDir(), 'not-there'), '--json'])
      expect(nowhere.code).toBe(2)
      expect(JSON.parse(nowhere.stdout)).toMatchObject({error: {code: 'no-data-dir'}})
    } finally {
      await serve.stop()
    }
  })
})
