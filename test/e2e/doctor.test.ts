import {writeFileSync} from 'node:fs'
import {createServer as createHttpServer, type Server} from 'node:http'
import {createServer as createHttpsServer} from 'node:https'
import type {AddressInfo} from 'node:net'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {AgentDouble} from '../doubles/agent.js'
import {ElasticsearchDouble} from '../doubles/elasticsearch.js'
import {makeCa, makeLeaf, type Pem} from '../helpers/certs.js'
import {runCli, SECRET, startServe, tempDir} from '../helpers/cli.js'

interface Report {
  endpoint: {kind: string}
  checks: Array<{id: string; status: string; value?: string; hint?: string; data?: Record<string, unknown>}>
  summary: {ok: boolean}
}

async function doctor(url: string, args: string[] = [], env: Record<string, string> = {}) {
  const result = await runCli(['doctor', url, '--json', ...(args.includes('--samples') ? [] : ['--samples', '2']), ...args], env)
  const report = JSON.parse(result.stdout) as Report
  const row = (id: string) => report.checks.find((check) => check.id === id)
  return {...result, report, row}
}

function file(text: string): string {
  const path = join(tempDir(), 'file.pem')
  writeFileSync(path, text)
  return path
}

const servers: Server[] = []
afterAll(async () => Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve)))))

/** An https server answering like a webhook receiver, with the certificate chain given as served. */
async function tlsServer(chain: string, key: string, handler: Parameters<typeof createHttpServer>[1] = (_, res) => res.writeHead(200).end('{}')): Promise<string> {
  const server = createHttpsServer({cert: chain, key}, handler)
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}/zoom-webhook`
}

async function httpServer(handler: Parameters<typeof createHttpServer>[1]): Promise<string> {
  const server = createHttpServer(handler)
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/zoom-webhook`
}

describe('doctor against zoomctl serve over HTTPS', () => {
  let root: Pem
  let leaf: Pem
  beforeAll(async () => {
    root = await makeCa()
    leaf = await makeLeaf({signer: root})
  })

  it('passes everything but what loopback cannot (a test CA given with --ca)', async () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'cert.pem'), leaf.cert)
    writeFileSync(join(dir, 'key.pem'), leaf.key)
    const serve = await startServe(['--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'key.pem')])
    try {
      const {code, report, row} = await doctor(serve.url, ['--ca', file(root.cert)])
      expect(report.checks.filter((check) => check.status === 'fail')).toEqual([])
      expect(code).toBe(0)
      expect(report.endpoint.kind).toBe('zoomctl')
      expect(row('tls.trust')?.value).toBe('trusted through --ca only')
      // --ca-cert is Elasticsearch's: given for the webhook's certificate, doctor says so instead of ignoring it.
      const mistaken = await runCli(['doctor', serve.url, '--ca-cert', file(root.cert), '--json'], {ELASTICSEARCH_HOSTS: ''})
      expect(mistaken.code).toBe(2)
      expect(JSON.parse(mistaken.stdout).error).toMatchObject({message: "--ca-cert is the CA of Elasticsearch's certificate, and no Elasticsearch is named (--es-url, --cloud-id)", hint: expect.stringContaining('give --ca')})
      expect(row('zoom.challenge')?.status).toBe('pass')
      expect(row('auth.signature')?.value).toBe('unsigned → 401, bad signature → 401')
      expect(row('zoom.event')).toMatchObject({status: 'pass', value: expect.stringContaining("verified as doctor's probe, neither stored nor forwarded")})
      // Its forged requests are marked as doctor's: serve does not count them among unauthenticated deliveries.
      expect(row('serve.rejected')).toMatchObject({status: 'pass', value: expect.stringMatching(/^none/)})
      // The test event is no event: nothing stored (so nothing to forward), recorded as a probe.
      expect(JSON.parse((await runCli(['deliveries', serve.dataDir, '--json'])).stdout)).toEqual([])
      const probes = JSON.parse((await runCli(['deliveries', serve.dataDir, '--verdict', 'probe', '--json'])).stdout) as Array<{reason: string; eventType?: string}>
      expect(probes).toContainEqual(expect.objectContaining({reason: 'test-event', eventType: 'meeting.started'}))
      // serve's /healthz, read over the same TLS: it stores, it forwards nowhere.
      expect(row('serve.forwarding')).toMatchObject({status: 'warn', value: 'no: it keeps them in its store only'})
      // Milliseconds to the microsecond in --json, as everywhere: more digits are timer noise.
      const latency = row('http.latency')?.data as {p50Ms: number; samples: number[]}
      for (const ms of [latency.p50Ms, ...latency.samples]) expect(Math.round(ms * 1000) / 1000).toBe(ms)

      const untrusted = await doctor(serve.url)
      expect(untrusted.code).toBe(1)
      // The server sends the leaf alone, signed by a CA nobody here trusts.
      expect(untrusted.row('tls.trust')).toMatchObject({status: 'fail', value: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'})
      expect(untrusted.row('tls.trust')?.hint).toContain('a private CA would not be trusted by Zoom')

      const otherSecret = await doctor(serve.url, ['--ca', file(root.cert)], {ZOOM_WEBHOOK_SECRET_TOKEN: 'not-the-same'})
      expect(otherSecret.row('zoom.challenge')?.status).toBe('fail')
      expect(otherSecret.row('zoom.challenge')?.hint).toContain('another secret token')
    } finally {
      await serve.stop()
    }
  })

  it('names a self-signed, an expired, a misnamed certificate and a missing intermediate', async () => {
    const selfSigned = await makeLeaf()
    const self = await doctor(await tlsServer(selfSigned.cert, selfSigned.key))
    expect(self.row('tls.trust')).toMatchObject({status: 'fail', value: 'DEPTH_ZERO_SELF_SIGNED_CERT'})

    const expired = await makeLeaf({signer: root, notBefore: new Date(Date.now() - 90 * 86_400_000), notAfter: new Date(Date.now() - 2 * 86_400_000)})
    const old = await doctor(await tlsServer(expired.cert, expired.key), ['--ca', file(root.cert)])
    expect(old.row('tls.expiry')).toMatchObject({status: 'fail'})
    expect(old.row('tls.expiry')?.value).toMatch(/^expired 2 day/)

    const misnamed = await makeLeaf({signer: root, names: 'other'})
    const named = await doctor(await tlsServer(misnamed.cert, misnamed.key), ['--ca', file(root.cert)])
    expect(named.row('tls.hostname')?.status).toBe('fail')

    const intermediate = await makeCa('zoomctl test intermediate', root)
    const issued = await makeLeaf({signer: intermediate})
    const leafOnly = await doctor(await tlsServer(issued.cert, issued.key), ['--ca', file(root.cert)])
    expect(leafOnly.row('tls.trust')?.hint).toContain('its issuer (zoomctl test intermediate) is not a CA trusted here: serve the full chain')
    const fullChain = await doctor(await tlsServer(`${issued.cert.trim()}\n${intermediate.cert}`, issued.key), ['--ca', file(root.cert)])
    expect(fullChain.row('tls.trust')?.status).toBe('warn')
  })
})

describe('doctor against plain receivers', () => {
  it("says when serve accepts but cannot pass deliveries on (its Elasticsearch refuses the connection)", async () => {
    const serve = await startServe(['--es-url', 'http://127.0.0.1:9', '--es-timeout', '2s'])
    try {
      const {code, row} = await doctor(serve.url, ['--allow-http'])
      expect(code).toBe(1)
      expect(row('zoom.event')?.status).toBe('pass')
      expect(row('serve.forwarding.elasticsearch')?.status).toBe('fail')
      expect(row('serve.forwarding.elasticsearch')?.hint).toContain('refused the connection')
    } finally {
      await serve.stop()
    }
  })

  it('a closed port', async () => {
    const {code, row} = await doctor('http://127.0.0.1:1/zoom-webhook', ['--allow-http'])
    expect(code).toBe(1)
    expect(row('tcp')).toMatchObject({status: 'fail', value: '127.0.0.1: ECONNREFUSED'})
    expect(row('http')?.status).toBe('skip')
  })

  it('an http URL without --allow-http fails the scheme row', async () => {
    const url = await httpServer((_, res) => res.writeHead(200).end('ok'))
    const {row} = await doctor(url, ['--samples', '1'])
    expect(row('url.scheme')?.status).toBe('fail')
  })

  it('a receiver that stalls past 3 s, and one that accepts anything', async () => {
    const slow = await httpServer((_, res) => setTimeout(() => res.writeHead(200).end('{}'), 3200))
    const stalled = await doctor(slow, ['--allow-http', '--samples', '1', '--no-test-event'])
    expect(stalled.row('http.latency')?.status).toBe('fail')
    expect(stalled.row('http.latency')?.hint).toContain('3 s')

    const open = await httpServer((request, res) => request.resume().on('end', () => res.writeHead(200, {'content-type': 'application/json'}).end('{"ok":true}')))
    const lax = await doctor(open, ['--allow-http'])
    expect(lax.row('auth.signature')).toMatchObject({status: 'fail', value: 'unsigned → 200, bad signature → 200'})
    expect(lax.report.endpoint.kind).toBe('other')
  })

  it('recognises the Elastic Agent: CRC off fails the challenge with the fix, CRC on passes', async () => {
    const secret = {header: 'Authorization', value: 'agent-static-secret'}
    const off = await new AgentDouble({secret}).start()
    const on = await new AgentDouble({secret, crcSecret: SECRET}).start()
    try {
      const auth = ['--allow-http', '--auth', 'header', '--auth-value', secret.value]
      const crcOff = await doctor(off.url, auth)
      expect(crcOff.report.endpoint.kind).toBe('elastic-agent')
      expect(crcOff.row('zoom.challenge')?.hint).toContain('crc_enabled')
      const crcOn = await doctor(on.url, auth)
      expect(crcOn.row('zoom.challenge')?.status).toBe('pass')
      expect(crcOn.row('auth.signature')?.status).toBe('warn')
      expect(crcOn.row('auth.signature')?.hint).toContain('never checks')
      expect(crcOn.row('auth.header')).toMatchObject({status: 'pass', value: '401 without it'})
      expect(crcOn.stdout).not.toContain(secret.value)
      // Without its header, the agent refuses everything: doctor names the header, not another secret token.
      // An agent would index doctor's test event as a real meeting: sent only when asked for.
      expect(crcOn.row('zoom.event')).toMatchObject({status: 'skip', value: expect.stringContaining('would store it and pass it on as a real meeting.started; --test-event sends it anyway')})
      expect(on.received.filter((request) => request.body.includes('zoomctl_probe'))).toEqual([])
      const bare = await doctor(on.url, ['--allow-http', '--test-event'])
      expect(bare.report.endpoint.kind).toBe('elastic-agent')
      expect(bare.row('zoom.event')?.hint).toContain('for want of its static header')
      expect(bare.row('auth.header')).toMatchObject({status: 'skip', value: 'checked when the header is given: --auth header --auth-value …'})
    } finally {
      await off.stop()
      await on.stop()
    }
  })

  it('checks the Elastic side with the connection flags', async () => {
    const serve = await startServe()
    const withZoom = await new ElasticsearchDouble().start()
    const withoutZoom = await new ElasticsearchDouble({integration: false}).start()
    try {
      withZoom.seed('logs-zoom.webhook-default', [withZoom.agentDocument({event: 'meeting.started', event_ts: Date.now(), payload: {account_id: 'a', object: {id: '1', uuid: 'u'}}})])
      const good = await doctor(serve.url, ['--allow-http', '--es-url', withZoom.url])
      expect(good.row('zoom.pipelines')?.status).toBe('pass')
      expect(good.row('documents')).toMatchObject({status: 'pass', title: 'Zoom documents in the last hour', value: '1 in logs-zoom.webhook-default, 1 event type(s)'})
      // An overview: no row per event type (validate has those).
      expect(good.row('fields.meeting.started')).toBeUndefined()
      const missing = await doctor(serve.url, ['--allow-http', '--es-url', withoutZoom.url])
      expect(missing.code).toBe(1)
      expect(missing.row('zoom.template')?.status).toBe('fail')
    } finally {
      await serve.stop()
      await withZoom.stop()
      await withoutZoom.stop()
    }
  })

  it('says whether the credentials let serve --es-url index, and find and delete a copy after a rollover', async () => {
    const serve = await startServe()
    const all = await new ElasticsearchDouble().start()
    const noClaims = await new ElasticsearchDouble({indexPrivileges: ['create_doc', 'read', 'view_index_metadata']}).start()
    const readOnly = await new ElasticsearchDouble({indexPrivileges: ['read', 'view_index_metadata']}).start()
    try {
      const granted = await doctor(serve.url, ['--allow-http', '--es-url', all.url])
      expect(granted.row('elastic.forward-privileges')).toMatchObject({status: 'pass', value: expect.stringContaining('create_doc, view_index_metadata, read and delete on logs-zoom.webhook-default')})
      const withoutClaims = await doctor(serve.url, ['--allow-http', '--es-url', noClaims.url])
      expect(withoutClaims.row('elastic.forward-privileges')).toMatchObject({
        status: 'warn',
        value: expect.stringContaining('missing delete on logs-zoom.webhook-default'),
        hint: expect.stringMatching(/grant delete on logs-zoom\.webhook-\*, or run serve with --no-dedupe-index.*at the first copy that lands in a newer backing index/),
      })
      const cannotIndex = await doctor(serve.url, ['--allow-http', '--es-url', readOnly.url])
      expect(cannotIndex.code).toBe(1)
      expect(cannotIndex.row('elastic.forward-privileges')).toMatchObject({status: 'fail', hint: expect.stringContaining('grant create_doc on logs-zoom.webhook-*')})
    } finally {
      await serve.stop()
      await all.stop()
      await noClaims.stop()
      await readOnly.stop()
    }
  })
})

describe('doctor and Kibana Fleet', () => {
  it("compares the Zoom integration's webhook settings with the URL: another path or CRC off is the usual cause", async () => {
    const {KibanaDouble} = await import('../doubles/kibana.js')
    const kibana = await new KibanaDouble({apiKey: 'kbn', user: {username: 'elastic', password: 'kbn-password'}, zoomInstalled: '1.27.2'}).start()
    const serve = await startServe()
    try {
      const stream = (vars: Record<string, unknown>) => ({'zoom-http_endpoint': {enabled: true, streams: {'zoom.webhook': {enabled: true, vars}}}, 'zoom-cel': {enabled: false}})
      const port = Number(new URL(serve.url).port)
      kibana.policies.push(
        {id: 'good', name: 'zoom-1', policy_ids: ['policy-1'], package: {name: 'zoom', version: '1.27.2'}, inputs: stream({listen_port: port, url: '/zoom-webhook', crc_enabled: true, secret_value: {isSecretRef: true, id: 'x'}}), secrets: {}},
        {id: 'bad', name: 'zoom-2', policy_ids: ['policy-1'], package: {name: 'zoom', version: '1.27.2'}, inputs: stream({listen_port: 9999, url: '/webhook', crc_enabled: false}), secrets: {}},
      )
      const {row, code} = await doctor(serve.url, ['--allow-http', '--kibana-url', kibana.url, '--kibana-api-key', 'kbn'])
      expect(code).toBe(1)
      expect(row('fleet.package')).toMatchObject({status: 'pass', value: '1.27.2'})
      expect(row('fleet.policy.good')?.status).toBe('pass')
      expect(row('fleet.policy.bad')).toMatchObject({status: 'fail', value: 'port 9999, path /webhook, CRC off'})
      expect(row('fleet.policy.bad')?.hint).toContain('path /webhook, the URL has /zoom-webhook')
      expect(row('fleet.policy.bad')?.hint).toContain('CRC is off')
      // A user and password instead of the key reach the same settings.
      const asUser = await doctor(serve.url, ['--allow-http', '--kibana-url', kibana.url, '--kibana-username', 'elastic', '--kibana-password', 'kbn-password'])
      expect(asUser.row('fleet.policy.good')?.status).toBe('pass')
      // Behind serve (its forward-to, from the config file or the flag), the agent is judged where serve forwards:
      // there CRC is not needed (serve answers the challenge), and another port is a failure, not a proxy's doing.
      const behind = await doctor(serve.url, ['--allow-http', '--kibana-url', kibana.url, '--kibana-api-key', 'kbn', '--forward-to', 'http://127.0.0.1:9999/webhook'])
      expect(behind.row('fleet.policy.bad')).toMatchObject({status: 'warn', value: 'port 9999, path /webhook, CRC off, behind zoomctl serve'})
      expect(behind.row('fleet.policy.bad')?.hint).toContain("no secret header set: anything on the agent's host can post events")
      expect(behind.row('fleet.policy.good')?.hint).toBe(`path /zoom-webhook, serve's forward-to has /webhook; listens on ${port}, serve forwards to 9999`)
    } finally {
      await serve.stop()
      await kibana.stop()
    }
  })
})
