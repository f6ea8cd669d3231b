import {writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {join} from 'node:path'

import selfsigned from 'selfsigned'
import {describe, expect, it} from 'vitest'

import {findEvent} from '../../src/catalog/catalog.js'
import {BodyFactory, createDispatcher, prepareDelivery, sendDelivery} from '../../src/sender/index.js'
import {readStore, runCli, SECRET, startServe, tempDir} from '../helpers/cli.js'

async function certificate(): Promise<{cert: string; key: string; dir: string}> {
  const pems = await selfsigned.generate([{name: 'commonName', value: 'localhost'}], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [
      {name: 'basicConstraints', cA: true},
      {name: 'subjectAltName', altNames: [{type: 7, ip: '127.0.0.1'}, {type: 2, value: 'localhost'}]},
    ],
  })
  const dir = tempDir()
  writeFileSync(join(dir, 'cert.pem'), pems.cert)
  writeFileSync(join(dir, 'key.pem'), pems.private)
  return {cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem'), dir}
}

describe('serve over HTTPS with a generated certificate', () => {
  it('accepts simulate with --ca or --insecure, and says why an untrusted certificate fails', async () => {
    const tls = await certificate()
    const serve = await startServe(['--tls-cert', tls.cert, '--tls-key', tls.key])
    try {
      expect(serve.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/zoom-webhook$/)
      const trusted = await runCli(['simulate', 'meeting.started', 'webinar.started', '--url', serve.url, '--ca', tls.cert])
      expect(trusted.code, trusted.stdout + trusted.stderr).toBe(0)
      const insecure = await runCli(['simulate', 'endpoint.url_validation', '--url', serve.url, '--insecure'])
      expect(insecure.code).toBe(0)
      const untrusted = await runCli(['simulate', 'meeting.ended', '--url', serve.url])
      expect(untrusted.code).toBe(1)
      expect(untrusted.stdout).toMatch(/TLS certificate of https:\/\/127\.0\.0\.1:\d+\/zoom-webhook is not trusted/)
      expect(readStore(serve.dataDir).map((record) => record.eventType)).toEqual(['meeting.started', 'webinar.started'])
    } finally {
      await serve.stop()
    }
  })
})

describe('a killed receiver', () => {
  it('has on disk every delivery it answered 200, and a restart on the same data dir dedupes against them', async () => {
    const serve = await startServe()
    const result = await runCli(['simulate', '--category', 'meeting', '--url', serve.url, '--json'])
    expect(result.code).toBe(0)
    const answered = (JSON.parse(result.stdout) as {deliveries: Array<{status: number; answer: {id: string}}>}).deliveries
    expect(await serve.stop('SIGKILL')).toBeNull()
    const stored = new Set(readStore(serve.dataDir).map((record) => record.id))
    for (const delivery of answered) expect(stored.has(delivery.answer.id)).toBe(true)

    const again = await startServe(['--data-dir', serve.dataDir])
    try {
      const [first] = readStore(serve.dataDir)
      const {'content-length': _length, ...headers} = first!.headers
      const replayed = await fetch(again.url, {method: 'POST', headers, body: first!.rawBody})
      // The same delivery again (Zoom retrying a 200 it did not see): acknowledged, and marked as a copy.
      expect(replayed.status).toBe(200)
      expect(await replayed.json()).toMatchObject({status: 'duplicate', duplicateOf: first!.id})
    } finally {
      expect(await again.stop('SIGINT')).toBe(0)
    }
  })
})

describe('a receiver killed in the middle of a burst', () => {
  it('has on disk every delivery it acknowledged before it died', async () => {
    const serve = await startServe()
    const factory = new BodyFactory(11)
    const spec = findEvent('meeting.participant_joined')!
    const dispatcher = createDispatcher({connections: 50})
    const acknowledged: string[] = []
    let next = 0
    const worker = async () => {
      while (next < 5000) {
        next++
        const result = await sendDelivery(serve.url, prepareDelivery(factory.body(spec), {mode: 'signature', secretToken: SECRET}), dispatcher)
        if (result.status === 200) acknowledged.push((JSON.parse(result.responseBody) as {id: string}).id)
        if (result.error) return
      }
    }
    const running = Promise.all(Array.from({length: 50}, worker))
    while (acknowledged.length < 300) await new Promise((resolve) => setTimeout(resolve, 5))
    await serve.stop('SIGKILL')
    await running
    await dispatcher.close()
    const stored = new Set(readStore(serve.dataDir).map((record) => record.id))
    expect(acknowledged.length).toBeGreaterThanOrEqual(300)
    expect(acknowledged.filter((id) => !stored.has(id))).toEqual([])
  })
})

describe('errors a user can act on', () => {
  it('a wrong --tls-key or --tls-cert: which file, and what is wrong with it, before listening', async () => {
    const {cert, key, dir} = await certificate()
    const other = await certificate()
    const cases: Array<[string, string, string]> = [
      [cert, cert, `--tls-key ${cert}: it holds a certificate, not a private key`],
      [cert, join(dir, 'nothing.pem'), 'cannot read'],
      [key, key, `--tls-cert ${key}: it is not a PEM certificate`],
      [cert, other.key, `--tls-key ${other.key} is not the private key of the certificate in ${cert}`],
    ]
    writeFileSync(join(dir, 'nothing.pem'), 'not a key\n')
    cases[1]![2] = `--tls-key ${join(dir, 'nothing.pem')}: it is not a PEM private key`
    for (const [certFile, keyFile, message] of cases) {
      const result = await runCli(['serve', '--port', '0', '--tls-cert', certFile, '--tls-key', keyFile, '--data-dir', tempDir(), '--json'])
      expect(result.code, message).toBe(2)
      expect(JSON.parse(result.stdout).error.message).toContain(message)
      expect(result.stdout).not.toContain('DECODER')
    }
  })

  it('a busy port', async () => {
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    const port = (blocker.address() as {port: number}).port
    try {
      const result = await runCli(['serve', '--port', String(port), '--data-dir', tempDir()])
      expect(result.code).toBe(2)
      expect(result.stderr).toContain(`port ${port} on 127.0.0.1 is already in use`)
      // The inspector's port as friendly as the webhook's (it was a raw EADDRINUSE, exit 1, "internal").
      const ui = await runCli(['serve', '--port', '0', '--ui', '--ui-port', String(port), '--data-dir', tempDir(), '--json'])
      expect(ui.code).toBe(2)
      expect(JSON.parse(ui.stdout).error).toEqual({code: 'port-in-use', message: `port ${port} on 127.0.0.1 is already in use`, hint: 'stop the other process or pick another --ui-port'})
    } finally {
      blocker.close()
    }
  })

  it('no secret token, an unknown event type, an unreadable file, a closed port', async () => {
    // A public receiver never invents its token (a local one does: see first-run.test.ts).
    const noSecret = await runCli(['serve', '--host', '0.0.0.0', '--port', '0'], {ZOOM_WEBHOOK_SECRET_TOKEN: ''})
    expect(noSecret.code).toBe(2)
    expect(noSecret.stderr).toContain("needs the Secret Token of your Zoom app's event subscription")
    const typo = await runCli(['simulate', 'meeting.strated'])
    expect(typo.stderr).toContain('did you mean meeting.started')
    const missing = await runCli(['simulate', '--file', '/nonexistent/payload.json'])
    expect(missing.stderr).toContain('cannot read /nonexistent/payload.json: no such file or directory (ENOENT)')
    const closed = await runCli(['simulate', 'meeting.started', '--url', 'http://127.0.0.1:9/zoom-webhook'])
    expect(closed.code).toBe(1)
    expect(closed.stdout).toContain('connection refused by http://127.0.0.1:9/zoom-webhook')
    // A serve of the data dir listens elsewhere: the hint says where (its serve.lock knows).
    const serve = await startServe()
    try {
      const elsewhere = await runCli(['simulate', 'meeting.started', '--url', 'http://127.0.0.1:9/zoom-webhook', '--json'], {ZOOMCTL_DATA_DIR: serve.dataDir})
      expect(elsewhere.code).toBe(1)
      expect(JSON.parse(elsewhere.stdout).hint).toBe(`the zoomctl serve of ${serve.dataDir} listens on ${serve.url}: --url ${serve.url}`)
    } finally {
      await serve.stop()
    }
  })
})
