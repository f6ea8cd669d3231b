import {randomBytes, timingSafeEqual} from 'node:crypto'
import {createServer, type IncomingMessage, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import type {Duplex} from 'node:stream'

import {type WebSocket, WebSocketServer} from 'ws'

import {UserError} from '../errors.js'
import {HEARTBEAT_ANSWER, HEARTBEAT_INTERVAL_MS} from './protocol.js'

/**
 * zoomctl as Zoom's side of a WebSocket event subscription, for a local test of a consumer (serve
 * --websocket, or the user's own): one listener with Zoom's token endpoint (POST /oauth/token, Basic
 * client_id:client_secret, either grant: which one Zoom takes is unconfirmed) and the socket (GET /ws?
 * subscriptionId=…&access_token=…, refused 401 for another subscription or an unknown token), which sends
 * build_connection first, answers every {"module":"heartbeat"}, closes a socket that sends none for three
 * intervals (Zoom "will close idle connections"; how soon is unconfirmed), closes the older of two sockets
 * (one connection per subscription), and sends the chosen events as {"module":"message","content":"<body>"}.
 */
export interface ZoomSideOptions {
  host: string
  port: number
  subscriptionId: string
  /** When given, the token endpoint checks them; otherwise it accepts any (said in the banner). */
  clientId?: string
  clientSecret?: string
  /** The event bodies, sent in order while a consumer is connected. */
  bodies: Buffer[]
  /** Wait this long for a consumer (the first, or the next after a drop) before giving up. */
  waitMs: number
  /** Close the socket once, after this many events (1001, going away): the consumer's reconnection is part of the test. */
  dropAfter?: number
  /** Keep the socket open this long after the last event, answering heartbeats, before closing it. */
  lingerMs: number
  /** A socket with no heartbeat for this long is closed (default three of Zoom's 30 s intervals). */
  idleMs?: number
  signal?: AbortSignal
}

export interface ZoomSideListening {
  tokenUrl: string
  wsUrl: string
  subscriptionId: string
  checksCredentials: boolean
}

export type ZoomSideEvent =
  | {type: 'token'; grant: string; issued: boolean; reason?: string}
  | {type: 'refused'; status: number; reason: string}
  | {type: 'connected'; connection: number}
  | {type: 'closed'; connection: number; reason: string}
  | {type: 'sent'; index: number; eventType?: string}

export interface ZoomSideReport {
  subscriptionId: string
  sent: number
  planned: number
  connections: number
  tokens: number
  heartbeats: number
  /** Longest time between two heartbeats of one connection (ms): Zoom asks for one every 30 s. */
  longestHeartbeatGapMs?: number
  refused: number
  /** Why the run ended early (no consumer in time, interrupted). */
  stoppedEarly?: string
  failed: boolean
}

interface Connection {
  number: number
  socket: WebSocket
  lastHeartbeat: number
  idle?: NodeJS.Timeout
}

export async function runZoomSide(options: ZoomSideOptions, on: {listening: (info: ZoomSideListening) => void; event: (event: ZoomSideEvent) => void}): Promise<ZoomSideReport> {
  const tokens = new Set<string>()
  const report: ZoomSideReport = {subscriptionId: options.subscriptionId, sent: 0, planned: options.bodies.length, connections: 0, tokens: 0, heartbeats: 0, refused: 0, failed: false}
  const wss = new WebSocketServer({noServer: true, maxPayload: 1024 * 1024})
  let current: Connection | undefined
  let connectionChanged: () => void = () => undefined
  const idleMs = options.idleMs ?? 3 * HEARTBEAT_INTERVAL_MS

  const server = createServer((request, response) => void tokenEndpoint(request, response))
  async function tokenEndpoint(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    const answer = (status: number, body: unknown): void => void response.writeHead(status, {'content-type': 'application/json'}).end(JSON.stringify(body))
    if (request.method !== 'POST' || new URL(request.url ?? '/', 'http://local').pathname !== '/oauth/token') return answer(404, {reason: 'not found', error: 'invalid_request'})
    const params = new URLSearchParams(Buffer.concat(chunks).toString('utf8'))
    // Zoom documents the parameters in the query or the body: both are read.
    for (const [key, value] of new URL(request.url ?? '/', 'http://local').searchParams) if (!params.has(key)) params.set(key, value)
    const grant = params.get('grant_type') ?? ''
    const refuse = (status: number, error: string, reason: string) => {
      on.event({type: 'token', grant, issued: false, reason})
      answer(status, {reason, error})
    }
    if (!basicMatches(request.headers.authorization, options.clientId, options.clientSecret)) return refuse(401, 'invalid_client', 'Invalid client_id or client_secret')
    if (grant !== 'client_credentials' && grant !== 'account_credentials') return refuse(400, 'unsupported_grant_type', 'unsupported grant type')
    if (grant === 'account_credentials' && !params.get('account_id')) return refuse(400, 'invalid_request', 'Bad Request')
    const token = randomBytes(24).toString('base64url')
    tokens.add(token)
    report.tokens++
    on.event({type: 'token', grant, issued: true})
    answer(200, {access_token: token, token_type: 'bearer', expires_in: 3600, scope: 'marketplace:write:websocket_connection'})
  }

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(request.url ?? '/', 'http://local')
    const refuse = (status: number, reason: string) => {
      report.refused++
      on.event({type: 'refused', status, reason})
      socket.end(`HTTP/1.1 ${status} ${status === 404 ? 'Not Found' : 'Unauthorized'}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${JSON.stringify({reason})}`)
    }
    if (url.pathname !== '/ws') return refuse(404, `no WebSocket at ${url.pathname}: it is /ws`)
    if (url.searchParams.get('subscriptionId') !== options.subscriptionId) return refuse(401, `subscriptionId is not ${options.subscriptionId}`)
    if (!tokens.has(url.searchParams.get('access_token') ?? '')) return refuse(401, 'access_token is not one this token endpoint issued')
    wss.handleUpgrade(request, socket, head, (ws) => opened(ws))
  })

  function opened(socket: WebSocket): void {
    report.connections++
    const connection: Connection = {number: report.connections, socket, lastHeartbeat: Date.now()}
    // One connection per subscription: the newer closes the older.
    if (current) current.socket.close(1000, 'replaced by a newer connection')
    current = connection
    on.event({type: 'connected', connection: connection.number})
    socket.send(JSON.stringify({module: 'build_connection', success: true}))
    const resetIdle = () => {
      clearTimeout(connection.idle)
      connection.idle = setTimeout(() => socket.close(1000, 'no heartbeat'), idleMs)
    }
    resetIdle()
    socket.on('message', (data) => {
      let frame: {module?: unknown}
      try {
        frame = JSON.parse(String(data)) as {module?: unknown}
      } catch {
        return
      }
      if (frame.module !== 'heartbeat') return
      const now = Date.now()
      report.heartbeats++
      report.longestHeartbeatGapMs = Math.max(report.longestHeartbeatGapMs ?? 0, now - connection.lastHeartbeat)
      connection.lastHeartbeat = now
      resetIdle()
      socket.send(HEARTBEAT_ANSWER)
    })
    socket.on('close', (code, reason) => {
      clearTimeout(connection.idle)
      if (current === connection) current = undefined
      on.event({type: 'closed', connection: connection.number, reason: reason.length ? reason.toString('utf8') : `code ${code}`})
      connectionChanged()
    })
    connectionChanged()
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new UserError(`port ${options.port} on ${options.host} is taken`, {category: 'input', code: 'port-taken', hint: 'choose another with --ws-port (0 picks a free one)'}) : error),
    )
    server.listen(options.port, options.host, resolve)
  })
  const address = server.address() as AddressInfo
  const base = `${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`
  on.listening({tokenUrl: `http://${base}/oauth/token`, wsUrl: `ws://${base}/ws`, subscriptionId: options.subscriptionId, checksCredentials: Boolean(options.clientId)})

  const aborted = new Promise<'aborted'>((resolve) => options.signal?.addEventListener('abort', () => resolve('aborted'), {once: true}))
  /** The open socket, waiting up to waitMs for one; undefined when none came or the run was interrupted. */
  const connected = async (): Promise<Connection | undefined> => {
    const deadline = Date.now() + options.waitMs
    while (!current || current.socket.readyState !== current.socket.OPEN) {
      if (options.signal?.aborted || Date.now() >= deadline) return undefined
      const changed = new Promise<void>((resolve) => (connectionChanged = resolve))
      await Promise.race([changed, aborted, new Promise((resolve) => setTimeout(resolve, Math.min(1000, deadline - Date.now())))])
    }
    return current
  }

  try {
    let dropped = false
    let index = 0
    while (index < options.bodies.length) {
      const connection = await connected()
      if (!connection) {
        report.stoppedEarly = options.signal?.aborted ? 'interrupted' : `no consumer connected within ${Math.round(options.waitMs / 1000)} s`
        break
      }
      const body = options.bodies[index]!
      // Sent once written to the connection: a socket cut right after (--drop-after) must not lose what was counted.
      const written = await new Promise<boolean>((resolve) => connection.socket.send(JSON.stringify({module: 'message', content: body.toString('utf8')}), (error) => resolve(!error)))
      // The socket went meanwhile: the event goes on the next one.
      if (!written) continue
      report.sent++
      on.event({type: 'sent', index, eventType: /"event"\s*:\s*"([^"\\]{1,100})"/.exec(body.toString('utf8'))?.[1]})
      index++
      if (!dropped && options.dropAfter !== undefined && report.sent === options.dropAfter) {
        dropped = true
        // A close frame after the events, not a cut: a cut (RST) may take the last events with it, which Zoom's own drops would not count as sent either.
        connection.socket.close(1001, 'going away (simulate --drop-after)')
      }
    }
    if (!report.stoppedEarly && options.lingerMs > 0) await Promise.race([new Promise((resolve) => setTimeout(resolve, options.lingerMs)), aborted])
  } finally {
    for (const client of wss.clients) client.close(1000, 'simulation over')
    await new Promise((resolve) => setTimeout(resolve, 100))
    for (const client of wss.clients) client.terminate()
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
  report.failed = report.sent < report.planned
  return report
}

function basicMatches(header: string | undefined, clientId: string | undefined, clientSecret: string | undefined): boolean {
  if (!header?.startsWith('Basic ')) return false
  if (clientId === undefined) return true
  const given = Buffer.from(header.slice(6))
  const expected = Buffer.from(Buffer.from(`${clientId}:${clientSecret ?? ''}`).toString('base64'))
  return given.length === expected.length && timingSafeEqual(given, expected)
}
