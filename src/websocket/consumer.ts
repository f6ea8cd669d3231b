import WebSocket from 'ws'

import {UserError} from '../errors.js'
import {backoffMs, HEARTBEAT_FRAME, HEARTBEAT_INTERVAL_MS, printableEndpoint, readServerFrame, socketUrl} from './protocol.js'

/** A token to open the socket with, and the grant that got it (told in doctor, /healthz and the log). */
export interface IssuedToken {
  accessToken: string
  expiresAt: number
  grant: string
}

/** Where tokens come from: a fresh one for every connection; told when the socket refused one. */
export interface TokenSource {
  token(): Promise<IssuedToken>
  /** The socket refused this token (at the handshake, or build_connection said no): the next token must differ. */
  refused(token: IssuedToken): void
}

export interface ConsumerCallbacks {
  /** An event's body, as a webhook would carry it; `receivedAt` is when its frame came. */
  onEvent: (body: Buffer, receivedAt: string) => void
  onConnected: (info: {at: Date; grant: string; attempts: number}) => void
  onDisconnected: (info: {at: Date; reason: string}) => void
  /** A heartbeat was answered, in this many ms. */
  onAlive?: (at: Date, roundTripMs: number) => void
  /** A connection attempt failed (while disconnected): why, and when the next one comes. */
  onRetry?: (reason: string, retryInMs: number) => void
  onWarning: (message: string) => void
}

export interface ConsumerOptions extends ConsumerCallbacks {
  /** The WebSocket endpoint without token (wss://ws.zoom.us/ws). */
  endpoint: string
  subscriptionId: string
  tokens: TokenSource
  /** Zoom asks for 30 s; tests make it shorter. A heartbeat unanswered by the next one means a dead socket. */
  heartbeatMs?: number
  maxBackoffMs?: number
  /** Give up on an opening handshake after this long. */
  handshakeTimeoutMs?: number
}

export interface ConsumerStatus {
  state: 'connecting' | 'connected' | 'reconnecting' | 'stopped'
  /** Since when it is in this state (ISO 8601). */
  since: string
  endpoint: string
  subscriptionId: string
  grant?: string
  /** The last heartbeat's round trip. */
  heartbeatMs?: number
  lastHeartbeatAt?: string
  /** Connections opened since start, the first included. */
  connections: number
  events: number
  /** Why the last attempt failed or the last socket closed. */
  lastError?: string
}

/** The socket was refused for good reasons of the user's (credentials, subscription id): said at start-up. */
export class SocketRefusedError extends UserError {}

/**
 * The consumer of one Zoom WebSocket subscription: opens the socket with a fresh token, sends Zoom's JSON
 * heartbeat every 30 s (and a WebSocket ping with it: any server answers a ping, so a socket is known alive
 * even if Zoom's heartbeat answer is not what its one user report shows), takes a socket with neither
 * answered by the next heartbeat for dead, and reconnects with backoff and a new token.
 *
 * Built on `ws` rather than undici's WebSocket (already in the stack): undici's browser-shaped client
 * reports every failed handshake as a bare 1006, while ws gives the HTTP status (a refused token, 401/403,
 * must be told apart from a network failure) and sends pings.
 */
export class ZoomWebSocketConsumer {
  private socket: WebSocket | undefined
  private heartbeatTimer: NodeJS.Timeout | undefined
  private retryTimer: NodeJS.Timeout | undefined
  private stopping = false
  private attempt = 0
  /** Sent and not yet answered (neither heartbeat answer nor pong): when. */
  private awaitingSince: number | undefined
  private readonly heartbeatMs: number
  /** Closes by the server of sockets that were healthy: two consumers taking the subscription from each other look like this. */
  private readonly serverCloses: number[] = []
  private readonly current: ConsumerStatus

  constructor(private readonly options: ConsumerOptions) {
    this.heartbeatMs = options.heartbeatMs ?? HEARTBEAT_INTERVAL_MS
    this.current = {state: 'connecting', since: new Date().toISOString(), endpoint: printableEndpoint(options.endpoint), subscriptionId: options.subscriptionId, connections: 0, events: 0}
  }

  status(): ConsumerStatus {
    return {...this.current}
  }

  /**
   * Starts consuming; resolves once the first attempt is over: the socket is open, or it failed for a
   * reason that may pass (the network, Zoom's 5xx) and is retried with backoff from then on. Rejects when
   * the first attempts show the settings are wrong (credentials refused by the token endpoint, tokens of
   * both grants refused by the socket): retrying would not mend them.
   */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.firstOutcome = {resolve, reject}
      void this.connect()
    })
  }

  private firstOutcome: {resolve: () => void; reject: (error: Error) => void} | undefined

  private settleFirst(error?: Error): void {
    const first = this.firstOutcome
    if (!first) return
    this.firstOutcome = undefined
    if (error) first.reject(error)
    else first.resolve()
  }

  private async connect(): Promise<void> {
    if (this.stopping) return
    this.attempt++
    let token: IssuedToken
    try {
      token = await this.options.tokens.token()
    } catch (error) {
      const reason = `no token: ${(error as Error).message}`
      if (this.attempt === 1 && error instanceof UserError && error.category === 'auth') {
        this.stopped()
        this.settleFirst(error)
        return
      }
      this.retryLater(reason)
      return
    }
    if (this.stopping) return
    const socket = new WebSocket(socketUrl(this.options.endpoint, this.options.subscriptionId, token.accessToken), {
      handshakeTimeout: this.options.handshakeTimeoutMs ?? 10_000,
      // Zoom's events are small JSON; a hostile or broken server cannot make serve hold more than this a frame.
      maxPayload: 16 * 1024 * 1024,
    })
    this.socket = socket
    let opened = false
    let reason: string | undefined
    let refusedBySocket = false
    socket.on('unexpected-response', (_request, response) => {
      const status = response.statusCode ?? 0
      refusedBySocket = status === 401 || status === 403
      reason = refusedBySocket ? `the socket refused the ${token.grant} token (HTTP ${status})` : `the socket's handshake was answered HTTP ${status}`
      response.resume()
      socket.terminate()
    })
    socket.on('error', (error) => {
      reason ??= `${(error as NodeJS.ErrnoException).code ?? 'error'}: ${error.message}`.replace(/access_token=[^&\s]+/g, 'access_token=…')
    })
    socket.on('open', () => {
      opened = true
      this.current.connections++
      this.current.grant = token.grant
      this.setState('connected')
      this.options.onConnected({at: new Date(), grant: token.grant, attempts: this.attempt})
      this.startHeartbeat(socket, (why) => (reason = why))
      this.settleFirst()
    })
    socket.on('pong', () => this.answered())
    socket.on('message', (data: WebSocket.RawData) => {
      const receivedAt = new Date().toISOString()
      const frame = readServerFrame(rawText(data))
      if (frame.kind === 'event') {
        this.current.events++
        this.options.onEvent(frame.body, receivedAt)
      } else if (frame.kind === 'heartbeat') {
        this.answered()
      } else if (frame.kind === 'build_connection') {
        if (!frame.success) {
          refusedBySocket = true
          reason = `Zoom refused the connection (build_connection: ${frame.detail})`
          socket.close(1000)
        }
      } else {
        this.options.onWarning(`ignored ${frame.detail} from the Zoom WebSocket`)
      }
    })
    socket.on('close', (code, why) => {
      this.stopHeartbeat()
      if (this.socket === socket) this.socket = undefined
      if (this.stopping) return
      const serverClosed = reason === undefined
      reason ??= `the socket was closed (code ${code}${why.length ? `: ${why.toString('utf8').slice(0, 120)}` : ''})`
      if (refusedBySocket) this.options.tokens.refused(token)
      if (opened) {
        this.options.onDisconnected({at: new Date(), reason})
        if (serverClosed) this.noticeServerClose()
      }
      if (!opened && refusedBySocket && this.attempt === 1) {
        // The other grant may be accepted: one more try before giving up at start-up (see TokenSource.refused).
        this.attempt = 0
        this.firstRefusal ??= reason
        if (this.refusalsAtStart++ >= 1) {
          this.stopped()
          this.settleFirst(new SocketRefusedError(`Zoom's WebSocket refused to connect: ${this.firstRefusal}; then ${reason}`, {category: 'auth', code: 'websocket-refused', hint: REFUSED_HINT}))
          return
        }
        this.retryLater(reason, false)
        return
      }
      this.retryLater(reason)
    })
  }

  private firstRefusal: string | undefined
  private refusalsAtStart = 0

  private startHeartbeat(socket: WebSocket, dead: (reason: string) => void): void {
    const beat = () => {
      if (socket.readyState !== WebSocket.OPEN) return
      if (this.awaitingSince !== undefined) {
        dead(`no answer to the heartbeat within ${Math.round((Date.now() - this.awaitingSince) / 100) / 10} s: the socket was dead`)
        socket.terminate()
        return
      }
      this.awaitingSince = Date.now()
      socket.send(HEARTBEAT_FRAME)
      socket.ping()
    }
    this.awaitingSince = undefined
    beat()
    this.heartbeatTimer = setInterval(beat, this.heartbeatMs)
  }

  private answered(): void {
    if (this.awaitingSince === undefined) return
    const now = Date.now()
    const roundTrip = now - this.awaitingSince
    this.awaitingSince = undefined
    // A socket that answered is healthy: the next failure starts the backoff from its beginning.
    this.attempt = 0
    this.current.heartbeatMs = roundTrip
    this.current.lastHeartbeatAt = new Date(now).toISOString()
    this.options.onAlive?.(new Date(now), roundTrip)
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer)
    this.heartbeatTimer = undefined
    this.awaitingSince = undefined
  }

  private noticeServerClose(): void {
    const now = Date.now()
    this.serverCloses.push(now)
    while (this.serverCloses.length && this.serverCloses[0]! < now - 10 * 60_000) this.serverCloses.shift()
    if (this.serverCloses.length === 3) {
      this.options.onWarning(
        `Zoom closed the socket ${this.serverCloses.length} times in 10 minutes: if another consumer (on another machine) uses subscription ${this.options.subscriptionId}, the two take it from each other and each gets part of the events; run one only`,
      )
    }
  }

  /** `settle`: serve's start-up waits no longer (it runs, reconnecting); false while the other grant is tried. */
  private retryLater(reason: string, settle = true): void {
    if (this.stopping) return
    if (settle) this.settleFirst()
    const wait = backoffMs(Math.max(1, this.attempt), this.options.maxBackoffMs ?? 60_000)
    this.current.lastError = reason
    this.setState('reconnecting')
    this.options.onRetry?.(reason, wait)
    this.retryTimer = setTimeout(() => void this.connect(), wait)
  }

  private setState(state: ConsumerStatus['state']): void {
    if (this.current.state === state) return
    this.current.state = state
    this.current.since = new Date().toISOString()
  }

  private stopped(): void {
    this.stopping = true
    this.setState('stopped')
  }

  /** Closes the socket (a normal close) and stops reconnecting. */
  async stop(): Promise<void> {
    this.stopped()
    if (this.retryTimer) clearTimeout(this.retryTimer)
    this.stopHeartbeat()
    this.settleFirst(new UserError('stopped before the WebSocket connected', {category: 'network', code: 'interrupted'}))
    const socket = this.socket
    if (!socket || socket.readyState === WebSocket.CLOSED) return
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        socket.terminate()
        resolve()
      }, 2000)
      socket.once('close', () => {
        clearTimeout(timer)
        resolve()
      })
      if (socket.readyState === WebSocket.CONNECTING) socket.terminate()
      else socket.close(1000, 'zoomctl serve stopped')
    })
  }
}

const REFUSED_HINT =
  "check the subscription id (Marketplace → your app → Feature → Event subscription: the WebSocket's endpoint URL ends with ?subscriptionId=…) and that the app's credentials (ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET, ZOOM_ACCOUNT_ID) are this app's; zoomctl doctor --websocket tells which step fails"

function rawText(data: WebSocket.RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8')
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8')
}
