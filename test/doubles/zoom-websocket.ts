/**
 * A stand-in for Zoom's WebSocket event subscriptions as ../shared/zoom/api.md describes them (C, D), with
 * its own token endpoint:
 * - POST /oauth/token: Basic client_id:client_secret, a form body; grants it accepts are a setting (which
 *   grant Zoom takes for the WebSocket is unconfirmed); a refused grant is answered as Zoom's error table
 *   says ({"reason":"unsupported grant type","error":"unsupported_grant_type"}, 400);
 * - GET /ws?subscriptionId=…&access_token=…: the upgrade is refused 401 for an unknown, expired or wrong
 *   token or subscription; then {"module":"build_connection","success":true};
 * - heartbeats {"module":"heartbeat"} answered {"module":"heartbeat","success":true,"content":"live","header":{}};
 *   a socket that sends none for idleMs is closed (Zoom "will close idle connections");
 * - one socket per subscription: a new one closes the older;
 * - events as {"module":"message","content":"<the body as a JSON string>"}; an event emitted while no socket
 *   is open is lost, as with Zoom (no replay);
 * - tokens expire after tokenTtlMs, and a socket opened with an expired token is closed (one of the
 *   possibilities api.md leaves open).
 * Independent of zoomctl's own simulate --websocket: written from the fact sheet only.
 */
import {randomBytes} from 'node:crypto'
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import type {Duplex} from 'node:stream'

import {WebSocket, WebSocketServer} from 'ws'

export interface ZoomWebSocketDoubleOptions {
  clientId?: string
  clientSecret?: string
  accountId?: string
  subscriptionId?: string
  /** Grants the token endpoint accepts (default both). */
  grants?: Array<'client_credentials' | 'account_credentials'>
  /** Grants whose tokens the socket accepts (default: every grant it issues). */
  socketGrants?: Array<'client_credentials' | 'account_credentials'>
  /** A socket without a heartbeat this long is closed (default 90 s). */
  idleMs?: number
  /** Lifetime of an issued token (default one hour, as Zoom's). */
  tokenTtlMs?: number
}

interface Issued {
  grant: string
  expiresAt: number
}

export interface SocketRecord {
  openedAt: number
  closedAt?: number
  /** Why the double closed it, or 'client' when the consumer did. */
  closedBy?: string
  grant: string
  heartbeats: number
}

export class ZoomWebSocketDouble {
  readonly clientId: string
  readonly clientSecret: string
  readonly accountId: string
  readonly subscriptionId: string
  tokenUrl = ''
  wsUrl = ''
  /** Every socket that was opened, oldest first. */
  readonly sockets: SocketRecord[] = []
  /** Token requests: the grant asked for, and whether it was given. */
  readonly tokenRequests: Array<{grant: string; issued: boolean}> = []
  /** Bodies emitted while no socket was open: lost, as with Zoom. */
  readonly lost: string[] = []
  readonly delivered: string[] = []
  /** Stop answering heartbeats and pings (a dead path the consumer must notice). */
  silent = false
  /** Refuse every upgrade with this status while set (Zoom down, a proxy). */
  refuseUpgrades: number | undefined
  private readonly tokens = new Map<string, Issued>()
  private server?: Server
  private readonly wss = new WebSocketServer({noServer: true, autoPong: false})
  private open: {socket: WebSocket; record: SocketRecord; token: string} | undefined
  private readonly timers = new Set<NodeJS.Timeout>()

  constructor(readonly options: ZoomWebSocketDoubleOptions = {}) {
    this.clientId = options.clientId ?? 'double-client-id'
    this.clientSecret = options.clientSecret ?? 'double-client-secret'
    this.accountId = options.accountId ?? 'double-account'
    this.subscriptionId = options.subscriptionId ?? `sub-${randomBytes(6).toString('hex')}`
  }

  async start(): Promise<this> {
    this.server = createServer((request, response) => void this.http(request, response))
    this.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(request, socket, head))
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve))
    const port = (this.server.address() as AddressInfo).port
    this.tokenUrl = `http://127.0.0.1:${port}/oauth/token`
    this.wsUrl = `ws://127.0.0.1:${port}/ws`
    return this
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer)
    for (const client of this.wss.clients) client.terminate()
    this.server?.closeAllConnections()
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()))
  }

  /** The socket open now, if any. */
  get connected(): boolean {
    return this.open?.socket.readyState === WebSocket.OPEN
  }

  /** Sends an event to the open socket; kept as lost when there is none (Zoom does not replay). */
  emit(body: string): boolean {
    if (!this.connected) {
      this.lost.push(body)
      return false
    }
    this.open!.socket.send(JSON.stringify({module: 'message', content: body}))
    this.delivered.push(body)
    return true
  }

  /** Cuts the open socket as a network failure would (no close frame). */
  drop(): void {
    if (!this.open) return
    this.open.record.closedBy = 'dropped'
    this.open.socket.terminate()
  }

  /** Makes every token issued so far expired. */
  expireTokens(): void {
    for (const issued of this.tokens.values()) issued.expiresAt = 0
    if (this.open) this.closeFor(this.open, 'token expired')
  }

  private closeFor(open: NonNullable<ZoomWebSocketDouble['open']>, why: string): void {
    open.record.closedBy = why
    open.socket.close(1000, why)
  }

  private async http(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    const answer = (status: number, body: unknown): void => void response.writeHead(status, {'content-type': 'application/json'}).end(JSON.stringify(body))
    if (request.method !== 'POST' || new URL(request.url ?? '/', 'http://x').pathname !== '/oauth/token') return answer(404, {error: 'not found'})
    const basic = Buffer.from(`${this.clientId}:${this.clientSecret}`).toString('base64')
    if (request.headers.authorization !== `Basic ${basic}`) return answer(401, {reason: 'Invalid client_id or client_secret', error: 'invalid_client'})
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'))
    const grant = form.get('grant_type') ?? ''
    const accepted = this.options.grants ?? ['client_credentials', 'account_credentials']
    if (!accepted.includes(grant as 'client_credentials')) {
      this.tokenRequests.push({grant, issued: false})
      return answer(400, {reason: 'unsupported grant type', error: 'unsupported_grant_type'})
    }
    if (grant === 'account_credentials' && form.get('account_id') !== this.accountId) {
      this.tokenRequests.push({grant, issued: false})
      return answer(400, {reason: 'Account does not exist', error: 'invalid_request'})
    }
    this.tokenRequests.push({grant, issued: true})
    const token = randomBytes(16).toString('hex')
    const ttl = this.options.tokenTtlMs ?? 3_600_000
    this.tokens.set(token, {grant, expiresAt: Date.now() + ttl})
    answer(200, {access_token: token, token_type: 'bearer', expires_in: Math.max(1, Math.round(ttl / 1000)), scope: 'marketplace:write:websocket_connection'})
  }

  private upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(request.url ?? '/', 'http://x')
    const refuse = (status: number) => {
      socket.end(`HTTP/1.1 ${status} Refused\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`)
    }
    if (this.refuseUpgrades) return refuse(this.refuseUpgrades)
    if (url.pathname !== '/ws') return refuse(404)
    const token = url.searchParams.get('access_token') ?? ''
    const issued = this.tokens.get(token)
    const socketGrants = this.options.socketGrants
    if (url.searchParams.get('subscriptionId') !== this.subscriptionId || !issued || issued.expiresAt <= Date.now() || (socketGrants && !socketGrants.includes(issued.grant as 'client_credentials'))) {
      return refuse(401)
    }
    this.wss.handleUpgrade(request, socket, head, (ws) => this.opened(ws, token, issued))
  }

  private opened(socket: WebSocket, token: string, issued: Issued): void {
    const record: SocketRecord = {openedAt: Date.now(), grant: issued.grant, heartbeats: 0}
    this.sockets.push(record)
    // One connection per subscription: the new one closes the older.
    if (this.open) this.closeFor(this.open, 'replaced by a newer connection')
    const open = {socket, record, token}
    this.open = open
    socket.send(JSON.stringify({module: 'build_connection', success: true}))
    const idleMs = this.options.idleMs ?? 90_000
    let idle = this.timer(() => this.closeFor(open, 'no heartbeat'), idleMs)
    const untilExpiry = this.timer(() => this.closeFor(open, 'token expired'), Math.max(0, issued.expiresAt - Date.now()))
    socket.on('ping', (data) => {
      if (!this.silent) socket.pong(data)
    })
    socket.on('message', (data) => {
      let frame: {module?: string}
      try {
        frame = JSON.parse(String(data)) as {module?: string}
      } catch {
        return
      }
      if (frame.module !== 'heartbeat') return
      record.heartbeats++
      clearTimeout(idle)
      idle = this.timer(() => this.closeFor(open, 'no heartbeat'), idleMs)
      if (!this.silent) socket.send(JSON.stringify({module: 'heartbeat', success: true, content: 'live', header: {}}))
    })
    socket.on('close', () => {
      clearTimeout(idle)
      clearTimeout(untilExpiry)
      record.closedAt = Date.now()
      record.closedBy ??= 'client'
      if (this.open === open) this.open = undefined
    })
  }

  private timer(run: () => void, ms: number): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      run()
    }, ms)
    this.timers.add(timer)
    return timer
  }
}
