import {X509Certificate} from 'node:crypto'
import {writeFileSync} from 'node:fs'
import {Agent, request} from 'node:https'
import {join} from 'node:path'
import {connect, type TLSSocket} from 'node:tls'

import {afterEach, describe, expect, it} from 'vitest'

import {makeCa, makeLeaf, type Pem} from '../helpers/certs.js'
import {startServe, type ServeProcess, tempDir, waitFor} from '../helpers/cli.js'

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

/** The certificate a new connection to the port is shown: its fingerprint. */
function certificateOfNewConnection(port: number, ca: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({host: '127.0.0.1', port, ca, servername: 'localhost'}, () => {
      resolve(socket.getPeerCertificate().fingerprint256)
      socket.end()
    })
    socket.on('error', reject)
  })
}

/** A GET /healthz through a keep-alive agent: the status and the socket it went over. */
function get(url: string, agent: Agent): Promise<{status: number; socket: TLSSocket}> {
  return new Promise((resolve, reject) => {
    const req = request(url.replace('/zoom-webhook', '/healthz'), {agent, servername: 'localhost'}, (response) => {
      response.resume()
      response.on('end', () => resolve({status: response.statusCode!, socket: req.socket as TLSSocket}))
    })
    req.on('error', reject)
    req.end()
  })
}

function fingerprint(pem: Pem): string {
  return new X509Certificate(pem.cert).fingerprint256
}

describe('serve reloads its certificate', () => {
  it('serves a renewed certificate to new connections while an open keep-alive connection keeps working; refuses a broken pair and keeps the old', async () => {
    const ca = await makeCa()
    const [first, renewed, other] = await Promise.all([makeLeaf({signer: ca}), makeLeaf({signer: ca}), makeLeaf({signer: ca})])
    const dir = tempDir()
    const certFile = join(dir, 'cert.pem')
    const keyFile = join(dir, 'key.pem')
    writeFileSync(certFile, first.cert)
    writeFileSync(keyFile, first.key)
    const receiver: ServeProcess = await startServe(['--tls-cert', certFile, '--tls-key', keyFile])
    cleanups.push(() => receiver.stop())
    const port = Number(new URL(receiver.url).port)
    const trust = [ca.cert]
    expect(await certificateOfNewConnection(port, trust)).toBe(fingerprint(first))

    const agent = new Agent({keepAlive: true, maxSockets: 1, ca: trust})
    cleanups.push(async () => agent.destroy())
    const before = await get(receiver.url, agent)
    expect(before.status).toBe(200)
    // Traffic on it every half second, as Zoom's would be: serve closes a connection idle for 5 s.
    const sockets = new Set<TLSSocket>()
    const keeper = setInterval(() => void get(receiver.url, agent).then((answer) => sockets.add(answer.socket)), 500)
    cleanups.push(async () => clearInterval(keeper))

    // Renewed: both files replaced, as certbot does.
    writeFileSync(certFile, renewed.cert)
    writeFileSync(keyFile, renewed.key)
    await waitFor(() => receiver.lines.some((line) => line.includes('"type":"certificate-reloaded"')), 10_000, 'the reload line')
    expect(await certificateOfNewConnection(port, trust)).toBe(fingerprint(renewed))
    const after = await get(receiver.url, agent)
    expect(after.status).toBe(200)
    clearInterval(keeper)
    expect(after.socket).toBe(before.socket) // the same connection, still open
    expect([...sockets]).toEqual([before.socket])
    expect(after.socket.getPeerCertificate().fingerprint256).toBe(fingerprint(first))

    // A broken pair (another certificate's key): refused with a warning, the renewed one kept.
    writeFileSync(keyFile, other.key)
    await waitFor(() => receiver.lines.some((line) => line.includes('new certificate refused')), 10_000, 'the refusal line')
    expect(receiver.lines.find((line) => line.includes('new certificate refused'))).toContain('the new key does not match the new certificate; the certificate in use is kept')
    expect(await certificateOfNewConnection(port, trust)).toBe(fingerprint(renewed))

    // Put right, then SIGHUP (systemd's ExecReload): reloaded, serve still running.
    writeFileSync(certFile, other.cert)
    receiver.process.kill('SIGHUP')
    await waitFor(() => receiver.lines.some((line) => line.includes('"trigger":"SIGHUP"') && line.includes('certificate-reloaded')), 10_000, 'the SIGHUP reload line')
    expect(await certificateOfNewConnection(port, trust)).toBe(fingerprint(other))
    expect(receiver.process.exitCode).toBe(null)
  })
})
