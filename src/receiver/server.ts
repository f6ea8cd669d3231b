import {createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import {createServer as createHttpsServer} from 'node:https'
import type {AddressInfo} from 'node:net'

import {UserError} from '../errors.js'
import type {FileStore} from '../store/index.js'
import type {AuthSettings} from '../zoom/auth.js'
import {DeliveryHandler, type DeliveryOutcome} from './delivery-handler.js'

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
  maxBodyBytes: number
  /** Oversized bodies up to this size are read to be kept if authentic (default 32 MiB). */
  keepOversizedBytes?: number
  store: FileStore
  tls?: {cert: string | Buffer; key: string | Buffer}
  integrationVersion?: string
  onOutcome?: (outcome: DeliveryOutcome) => void
  /** More to report on /healthz: each forwarding sink's state and lag. */
  health?: () => Record<string, unknown>
}

export interface RunningReceiver {
  url: string
  port: number
  /** Stops accepting, lets in-flight requests finish (up to graceMs), then closes the store. */
  close(graceMs?: number): Promise<void>
}

export async function startReceiver(options: ReceiverOptions): Promise<RunningReceiver> {
  const handler = new DeliveryHandler(options)
  const started = Date.now()
  let accepted = 0
  const notify = (outcome: DeliveryOutcome) => {
    if (outcome.result === 'accepted') accepted++
    options.onOutcome?.(outcome)
  }

  const listener = (request: IncomingMessage, response: ServerResponse) => {
    const receivedAt = new Date()
    void serveRequest(request, response, receivedAt).catch((error: unknown) => {
      const detail = (error as Error).message
      if (!response.headersSent && !response.destroyed) send(response, 500, {error: `internal error: ${detail}`})
      notify({result: 'error', status: 500, reason: 'request-failed', detail, receivedAt, remoteAddress: request.socket.remoteAddress ?? 'unknown', durationMs: Date.now() - receivedAt.getTime()})
    })
  }

  async function serveRequest(request: IncomingMessage, response: ServerResponse, receivedAt: Date): Promise<void> {
    const startedAt = performance.now()
    const remoteAddress = request.socket.remoteAddress ?? 'unknown'
    let path: string
    try {
      path = new URL(request.url ?? '/', 'http://receiver').pathname
    } catch {
      send(response, 400, {error: 'the request target is not a valid path', reason: 'bad-target'})
      notify({result: 'rejected', status: 400, reason: 'bad-target', detail: 'malformed request target', receivedAt, remoteAddress, durationMs: performance.now() - startedAt})
      return
    }
    const early = (status: number, reason: string, detail: string, headers: Record<string, string> = {}) => {
      send(response, status, {error: detail, reason}, headers)
      notify({result: 'rejected', status, reason, detail, receivedAt, remoteAddress, durationMs: performance.now() - startedAt})
    }

    if (path === '/healthz' && (request.method === 'GET' || request.method === 'HEAD')) {
      send(response, 200, {status: 'ok', uptimeSeconds: Math.round((Date.now() - started) / 1000), accepted, ...options.health?.()})
      return
    }
    if (path !== options.path) return early(404, 'wrong-path', `no webhook here: POST to ${options.path}`)
    if (request.method !== 'POST') return early(405, 'wrong-method', `${request.method} is not allowed: Zoom POSTs`, {allow: 'POST'})

    const readLimit = Math.max(options.maxBodyBytes, options.keepOversizedBytes ?? DEFAULT_KEEP_OVERSIZED_BYTES)
    const tooLarge = `body is over the ${options.maxBodyBytes}-byte limit (--max-body) and too large to keep`
    const declared = Number(request.headers['content-length'])
    if (Number.isFinite(declared) && declared > readLimit) return early(413, 'too-large', tooLarge, {connection: 'close'})
    const rawBody = await readBody(request, readLimit)
    if (rawBody === undefined) return early(413, 'too-large', tooLarge, {connection: 'close'})
    const reply = await handler.handle({
      method: request.method,
      path,
      headers: request.headers,
      rawBody,
      remoteAddress,
      remotePort: request.socket.remotePort,
      receivedAt,
      maxBodyBytes: options.maxBodyBytes,
    })
    send(response, reply.status, reply.body, reply.headers)
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

function listenError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  switch (error.code) {
    case 'EADDRINUSE':
      return new UserError(`port ${port} on ${host} is already in use`, {code: 'port-in-use', hint: 'stop the other process or pick another --port'})
    case 'EACCES':
      return new UserError(`not allowed to listen on port ${port}`, {code: 'port-denied', hint: 'pick a port above 1023 or run with the right privileges'})
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return new UserError(`${host} is not an address of this machine`, {code: 'bad-host', hint: 'use 127.0.0.1, or 0.0.0.0 for every interface'})
    default:
      return error
  }
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  response.writeHead(status, {'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers})
  response.end(text)
}

/** The whole body, or undefined as soon as it passes the limit (the rest is not read). */
function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let over = false
    request.on('data', (chunk: Buffer) => {
      if (over) return
      size += chunk.length
      if (size > limit) {
        over = true
        chunks.length = 0
        resolve(undefined)
        request.resume()
        return
      }
      chunks.push(chunk)
    })
    request.on('end', () => {
      if (!over) resolve(Buffer.concat(chunks, size))
    })
    // A client that hangs up mid-body never sends 'end': settle, so nothing waits on it forever.
    const aborted = () => new Error('client closed the connection before the body was complete')
    request.on('error', (error) => reject(request.complete ? error : aborted()))
    request.on('close', () => {
      if (!request.complete && !over) reject(aborted())
    })
  })
}
