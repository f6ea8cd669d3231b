import {createHmac, type Hmac} from 'node:crypto'
import {createWriteStream, type WriteStream} from 'node:fs'
import {unlink} from 'node:fs/promises'
import {createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import {createServer as createHttpsServer, type Server as HttpsServer} from 'node:https'
import type {AddressInfo} from 'node:net'

import {UserError} from '../errors.js'
import {elapsedMs, isoNow} from '../timing.js'
import type {FileStore} from '../store/index.js'
import type {AuthSettings} from '../zoom/auth.js'
import {SIGNATURE_HEADER, TIMESTAMP_HEADER} from '../zoom/headers.js'
import {verifyingTokens} from '../zoom/apps.js'
import {DeliveryHandler, type DeliveryOutcome, type HandlerSettings} from './delivery-handler.js'

/** Defaults of Elastic's Zoom integration (listen_port 8181, url /zoom-webhook). */
export const DEFAULT_PORT = 8181
export const DEFAULT_PATH = '/zoom-webhook'
export const DEFAULT_HOST = '127.0.0.1'
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024
/**
 * An authentic body over the limit is still read, up to this size, so that it can be kept under refused/
 * (a 413 makes Zoom drop it for good). Past it the request is not read further.
 */
export const DEFAULT_KEEP_OVERSIZED_BYTES = 32 * 1024 * 1024

export interface ReceiverOptions {
  host: string
  port: number
  path: string
  auth: AuthSettings
  toleranceSeconds: number
  /** Answer a signature that matches no Secret Token with 503, so that Zoom retries it (see HandlerSettings). */
  retryMismatched?: boolean
  maxBodyBytes: number
  /** Oversized bodies up to this size are read to be kept if authentic (default 32 MiB). */
  keepOversizedBytes?: number
  store: FileStore
  tls?: {cert: string | Buffer; key: string | Buffer}
  integrationVersion?: string
  onOutcome?: (outcome: DeliveryOutcome) => void
  /** Before doctor's probe is answered (see HandlerSettings). */
  onProbe?: () => Promise<void>
  /** serve --ack-after-index: what each accepted delivery's answer waits on (see HandlerSettings). */
  acknowledge?: HandlerSettings['acknowledge']
  /** More to report on /healthz: each forwarding sink's state and lag. */
  health?: () => Record<string, unknown>
  /** GET /metrics: the Prometheus text exposition. */
  metrics?: () => Promise<{contentType: string; text: string}>
}

export interface RunningReceiver {
  url: string
  port: number
  /** Stops accepting, lets in-flight requests finish (up to graceMs), then closes the store. */
  close(graceMs?: number): Promise<void>
  /** HTTPS: a new certificate for new connections; open ones keep theirs. */
  setCertificate(pair: {cert: Buffer; key: Buffer}): void
}

export async function startReceiver(options: ReceiverOptions): Promise<RunningReceiver> {
  const handler = new DeliveryHandler(options)
  const secrets = verifyingTokens(options.auth).map((token) => token.secret)
  const started = Date.now()
  let accepted = 0
  const notify = (outcome: DeliveryOutcome) => {
    if (outcome.result === 'accepted') accepted++
    options.onOutcome?.(outcome)
  }

  const listener = (request: IncomingMessage, response: ServerResponse) => {
    const receivedAt = isoNow()
    void serveRequest(request, response, receivedAt).catch((error: unknown) => {
      const detail = (error as Error).message
      if (!response.headersSent && !response.destroyed) send(response, 500, {error: `internal error: ${detail}`})
      notify({result: 'error', status: 500, reason: 'request-failed', detail, receivedAt, remoteAddress: request.socket.remoteAddress ?? 'unknown', durationMs: Date.now() - Date.parse(receivedAt)})
    })
  }

  async function serveRequest(request: IncomingMessage, response: ServerResponse, receivedAt: string): Promise<void> {
    const startedAt = performance.now()
    const remoteAddress = request.socket.remoteAddress ?? 'unknown'
    let path: string
    try {
      path = pathOf(request.url ?? '/', options.path)
    } catch {
      send(response, 400, {error: 'the request target is not a valid path', reason: 'bad-target'})
      notify({result: 'rejected', status: 400, reason: 'bad-target', detail: 'malformed request target', receivedAt, remoteAddress, durationMs: elapsedMs(startedAt)})
      return
    }
    const early = (status: number, reason: string, detail: string, headers: Record<string, string> = {}) => {
      send(response, status, {error: detail, reason}, headers)
      notify({result: 'rejected', status, reason, detail, receivedAt, remoteAddress, durationMs: elapsedMs(startedAt)})
    }

    if (path === '/healthz' && (request.method === 'GET' || request.method === 'HEAD')) {
      send(response, 200, {status: 'ok', uptimeSeconds: Math.round((Date.now() - started) / 1000), accepted, ...options.health?.()})
      return
    }
    if (path === '/metrics' && options.metrics && (request.method === 'GET' || request.method === 'HEAD')) {
      const {contentType, text} = await options.metrics()
      response.writeHead(200, {'content-type': contentType, 'content-length': Buffer.byteLength(text)}).end(text)
      return
    }
    if (path !== options.path) return early(404, 'wrong-path', `no webhook here: POST to ${options.path}`)
    if (request.method !== 'POST') return early(405, 'wrong-method', `${request.method} is not allowed: Zoom POSTs`, {allow: 'POST'})

    const keepLimit = Math.max(options.maxBodyBytes, options.keepOversizedBytes ?? DEFAULT_KEEP_OVERSIZED_BYTES)
    const tooLarge = `body is over the ${options.maxBodyBytes}-byte limit (--max-body) and too large to keep`
    const declared = Number(request.headers['content-length'])
    if (Number.isFinite(declared) && declared > keepLimit) return early(413, 'too-large', tooLarge, {connection: 'close'})
    const body = await readBody(request, {
      maxBodyBytes: options.maxBodyBytes,
      keepLimit,
      // Only a request that claims to be signed, to a receiver that can check it, may send more than --max-body.
      spillTo: secrets.length && request.headers[SIGNATURE_HEADER] && request.headers[TIMESTAMP_HEADER] ? () => options.store.spillPath() : undefined,
      signaturePrefix: `v0:${String(request.headers[TIMESTAMP_HEADER])}:`,
      secrets,
    })
    if (body.kind === 'too-large') return early(413, 'too-large', tooLarge, {connection: 'close'})
    const incoming = {method: request.method, path, headers: request.headers, rawBody: body.kind === 'buffered' ? body.bytes : EMPTY, remoteAddress, remotePort: request.socket.remotePort, receivedAt, maxBodyBytes: options.maxBodyBytes}
    const reply = body.kind === 'spilled' ? await handler.handleSpilled(incoming, body) : await handler.handle(incoming)
    send(response, reply.status, reply.body, reply.headers)
    reply.outcome.bodyBytes = body.kind === 'buffered' ? body.bytes.length : body.size
    notify(reply.outcome)
  }

  // Node checks request and header timeouts only this often (30 s by default): make them hold to the second.
  const serverOptions = {connectionsCheckingInterval: 1000}
  const server: Server = options.tls ? createHttpsServer({...serverOptions, cert: options.tls.cert, key: options.tls.key}, listener) : createHttpServer(serverOptions, listener)
  // Zoom gives up after 3 s; a client that trickles its request for longer is not Zoom.
  server.requestTimeout = 30_000
  server.headersTimeout = 10_000
  server.keepAliveTimeout = 5_000

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(listenError(error, options.host, options.port)))
    server.listen(options.port, options.host, () => {
      server.removeAllListeners('error')
      resolve()
    })
  })
  const address = server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  const url = `${options.tls ? 'https' : 'http'}://${host}:${address.port}${options.path}`

  return {
    url,
    port: address.port,
    setCertificate(pair) {
      if ('setSecureContext' in server) (server as HttpsServer).setSecureContext(pair)
    },
    async close(graceMs = 10_000) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeIdleConnections()
      const timer = setTimeout(() => server.closeAllConnections(), graceMs)
      await closed
      clearTimeout(timer)
      await options.store.close()
    },
  }
}

const EMPTY = Buffer.alloc(0)

/** The path of a request target: the webhook's own path is recognised without building a URL for every request. */
function pathOf(target: string, webhookPath: string): string {
  if (target === webhookPath || (target.startsWith(webhookPath) && target[webhookPath.length] === '?')) return webhookPath
  return new URL(target, 'http://receiver').pathname
}

/** A listen that failed, as the user's error: `flag` is the one that chose the port (--port, --ui-port). */
export function listenError(error: NodeJS.ErrnoException, host: string, port: number, flag = '--port'): Error {
  switch (error.code) {
    case 'EADDRINUSE':
      return new UserError(`port ${port} on ${host} is already in use`, {code: 'port-in-use', hint: `stop the other process or pick another ${flag}`})
    case 'EACCES':
      return new UserError(`not allowed to listen on port ${port}`, {code: 'port-denied', hint: 'pick a port above 1023 or run with the right privileges'})
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return new UserError(`${host} is not an address of this machine`, {code: 'bad-host', hint: 'use 127.0.0.1, or 0.0.0.0 for every interface'})
    default:
      return error
  }
}

function send(response: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void {
  const text = JSON.stringify(body)
  // A flat list of names and values: node:http takes it as is, without walking an object per response.
  const list = ['content-type', 'application/json', 'content-length', String(Buffer.byteLength(text))]
  if (headers) for (const name in headers) list.push(name, headers[name]!)
  response.writeHead(status, list)
  response.end(text)
}

export interface SpilledBody {
  kind: 'spilled'
  /** Where the bytes were written while they were hashed. */
  path: string
  size: number
  /** v0=hex(HMAC-SHA256(secret, "v0:{ts}:{body}")) for each token tried (verifyingTokens' order), computed as the bytes came. */
  signatures: string[]
  /** The first bytes, to tell the event type without reading the file. */
  head: Buffer
}

type ReadBody = {kind: 'buffered'; bytes: Buffer} | SpilledBody | {kind: 'too-large'}

interface ReadOptions {
  maxBodyBytes: number
  keepLimit: number
  /** Where a body over maxBodyBytes goes; absent: such a body is not read further. */
  spillTo?: () => string
  signaturePrefix: string
  secrets: string[]
}

/**
 * The body, in memory up to --max-body. Past it, a request that claims to be signed is hashed as it
 * comes and written to a file (so that an authentic one can be kept without holding it in memory); any
 * other is not read further. Memory stays flat whatever is sent, signed or not.
 */
function readBody(request: IncomingMessage, options: ReadOptions): Promise<ReadBody> {
  return new Promise((resolve, reject) => {
    let chunks: Buffer[] = []
    let size = 0
    let settled = false
    let spill: {path: string; file: WriteStream; hmacs: Hmac[]; head: Buffer} | undefined
    const finish = (result: ReadBody) => {
      if (settled) return
      settled = true
      resolve(result)
    }
    const giveUp = () => {
      chunks = []
      if (spill) {
        spill.file.destroy()
        void unlink(spill.path).catch(() => undefined)
      }
      request.resume()
      finish({kind: 'too-large'})
    }
    request.on('data', (chunk: Buffer) => {
      if (settled) return
      size += chunk.length
      if (size > options.keepLimit) return giveUp()
      if (spill) {
        for (const hmac of spill.hmacs) hmac.update(chunk)
        if (!spill.file.write(chunk)) {
          request.pause()
          spill.file.once('drain', () => request.resume())
        }
        return
      }
      chunks.push(chunk)
      if (size <= options.maxBodyBytes) return
      if (!options.spillTo || !options.secrets.length) return giveUp()
      const buffered = Buffer.concat(chunks)
      chunks = []
      const path = options.spillTo()
      const hmacs = options.secrets.map((secret) => createHmac('sha256', secret).update(options.signaturePrefix).update(buffered))
      spill = {path, file: createWriteStream(path, {mode: 0o600}), hmacs, head: buffered.subarray(0, 1024)}
      spill.file.write(buffered)
      spill.file.on('error', (error) => {
        if (!settled) {
          settled = true
          reject(error)
        }
      })
    })
    request.on('end', () => {
      if (settled) return
      if (!spill) return finish({kind: 'buffered', bytes: Buffer.concat(chunks, size)})
      const {path, file, hmacs, head} = spill
      file.end(() => finish({kind: 'spilled', path, size, signatures: hmacs.map((hmac) => `v0=${hmac.digest('hex')}`), head}))
    })
    // A client that hangs up mid-body never sends 'end': settle, so nothing waits on it forever.
    const aborted = () => new Error('client closed the connection before the body was complete')
    const fail = (error: Error) => {
      if (settled) return
      settled = true
      if (spill) {
        spill.file.destroy()
        void unlink(spill.path).catch(() => undefined)
      }
      reject(error)
    }
    request.on('error', (error) => fail(request.complete ? error : aborted()))
    request.on('close', () => {
      if (!request.complete) fail(aborted())
    })
  })
}
