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
  private retryTimer: NodeJS.Timeout | undefined
  private stopping = false
  private attempt = 0
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
    if (!this.stopping) this.open(token, false)
  }

  /**
   * Opens a socket. `renewal`: a second socket opened with a new token while the first still works, shortly
   * before the first's token expires (whether Zoom closes a socket when its token expires is unconfirmed):
   * once it is open it takes over and the first is closed, so no gap opens. Zoom is said to close the older
   * of two sockets itself; should it keep both a moment, an event on both is one event (deduplicated).
   */
  private open(token: IssuedToken, renewal: boolean): void {
    const socket = new WebSocket(socketUrl(this.options.endpoint, this.options.subscriptionId, token.accessToken), {
      handshakeTimeout: this.options.handshakeTimeoutMs ?? 10_000,
      // Zoom's events are small JSON; a hostile or broken server cannot make serve hold more than this a frame.
      maxPayload: 16 * 1024 * 1024,
    })
    const link: Link = {socket, token, retired: false}
    if (renewal) this.renewing = link
    else this.link = link
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
      if (this.stopping) return void socket.close(1000, 'zoomctl serve stopped')
      this.current.connections++
      this.current.grant = token.grant
      if (renewal) {
        this.renewing = undefined
        const previous = this.link
        this.link = link
        if (previous) this.retire(previous, 'token renewed')
      } else {
        this.setState('connected')
        this.options.onConnected({at: new Date(), grant: token.grant, attempts: this.attempt})
        this.settleFirst()
      }
      this.startHeartbeat(link, (why) => (reason = why))
      this.scheduleRenewal(link)
    })
    socket.on('pong', () => this.answered(link))
    socket.on('message', (data: WebSocket.RawData) => {
      const receivedAt = new Date().toISOString()
      const frame = readServerFrame(rawText(data))
      if (frame.kind === 'event') {
        this.current.events++
        this.options.onEvent(frame.body, receivedAt)
      } else if (frame.kind === 'heartbeat') {
        this.answered(link)
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
      this.stopHeartbeat(link)
      if (this.stopping || link.retired) return
      const serverClosed = reason === undefined
      reason ??= `the socket was closed (code ${code}${why.length ? `: ${why.toString('utf8').slice(0, 120)}` : ''})`
      if (refusedBySocket) this.options.tokens.refused(token)
      const at = new Date()
      if (renewal && !opened) return this.renewalFailed(link, reason)
      if (this.renewing && this.link === link) {
        // Closed while its successor is opening (Zoom closes the older of two): the successor decides.
        link.closed = {at, reason}
        return
      }
      if (this.link === link) this.link = undefined
      if (opened) {
        this.options.onDisconnected({at, reason})
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
  /** The socket events come on, and the one opening to take over from it before its token expires. */
  private link: Link | undefined
  private renewing: Link | undefined

  /** Renews ahead of the token's expiry: 5 minutes before for Zoom's hour, a fifth of its life before for short ones. */
  private scheduleRenewal(link: Link): void {
    const left = link.token.expiresAt - Date.now()
    if (!Number.isFinite(left) || left <= 0) return
    link.renewal = setTimeout(() => void this.renew(link), left > 25 * 60_000 ? left - 5 * 60_000 : left * 0.8)
    link.renewal.unref()
  }

  private async renew(link: Link): Promise<void> {
    if (this.stopping || this.link !== link || this.renewing) return
    let token: IssuedToken
    try {
      token = await this.options.tokens.token()
    } catch (error) {
      return this.renewalFailed(undefined, `no token: ${(error as Error).message}`)
    }
    if (!this.stopping && this.link === link) this.open(token, true)
  }

  /** The successor did not open: the socket in use goes on (and is retried later), unless it closed meanwhile. */
  private renewalFailed(successor: Link | undefined, reason: string): void {
    if (successor && this.renewing === successor) this.renewing = undefined
    const current = this.link
    if (!current) return
    if (current.closed) {
      this.link = undefined
      this.options.onDisconnected(current.closed)
      this.retryLater(current.closed.reason)
      return
    }
    this.options.onWarning(`could not renew the WebSocket's token ahead of its expiry (${reason}); the socket goes on, and serve tries again in 30 s`)
    current.renewal = setTimeout(() => void this.renew(current), 30_000)
    current.renewal.unref()
  }

  /** Closes a socket that a successor replaced: nothing is lost, so nothing is reported. */
  private retire(link: Link, why: string): void {
    link.retired = true
    this.stopHeartbeat(link)
    if (link.socket.readyState === WebSocket.OPEN || link.socket.readyState === WebSocket.CONNECTING) link.socket.close(1000, why)
  }

  private startHeartbeat(link: Link, dead: (reason: string) => void): void {
    const {socket} = link
    const beat = () => {
      if (socket.readyState !== WebSocket.OPEN) return
      if (link.awaitingSince !== undefined) {
        dead(`no answer to the heartbeat within ${Math.round((Date.now() - link.awaitingSince) / 100) / 10} s: the socket was dead`)
        socket.terminate()
        return
      }
      link.awaitingSince = Date.now()
      socket.send(HEARTBEAT_FRAME)
      socket.ping()
    }
    beat()
    link.heartbeat = setInterval(beat, this.heartbeatMs)
  }

  private answered(link: Link): void {
    if (link.awaitingSince === undefined) return
    const now = Date.now()
    const roundTrip = now - link.awaitingSince
    link.awaitingSince = undefined
    // A socket that answered is healthy: the next failure starts the backoff from its beginning.
    this.attempt = 0
    this.current.heartbeatMs = roundTrip
    this.current.lastHeartbeatAt = new Date(now).toISOString()
    this.options.onAlive?.(new Date(now), roundTrip)
  }

  private stopHeartbeat(link: Link): void {
    if (link.heartbeat) clearInterval(link.heartbeat)
    if (link.renewal) clearTimeout(link.renewal)
    link.heartbeat = undefined
    link.renewal = undefined
    link.awaitingSince = undefined
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
    this.settleFirst(new UserError('stopped before the WebSocket connected', {category: 'network', code: 'interrupted'}))
    await Promise.all([this.link, this.renewing].filter((link): link is Link => link !== undefined).map((link) => closeLink(link)))
  }
}

/** One socket and its own timers: during a renewal two are open at once. */
interface Link {
  socket: WebSocket
  token: IssuedToken
  heartbeat?: NodeJS.Timeout
  renewal?: NodeJS.Timeout
  /** A heartbeat was sent then and is not answered yet. */
  awaitingSince?: number
  /** Replaced by a successor: its close is not a disconnection. */
  retired: boolean
  /** It closed while a successor was opening: reported if the successor fails. */
  closed?: {at: Date; reason: string}
}

async function closeLink(link: Link): Promise<void> {
  if (link.heartbeat) clearInterval(link.heartbeat)
  if (link.renewal) clearTimeout(link.renewal)
  const {socket} = link
  if (socket.readyState === WebSocket.CLOSED) return
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

const REFUSED_HINT =
  "check the subscription id (Marketplace → your app → Feature → Event subscription: the WebSocket's endpoint URL ends with ?subscriptionId=…) and that the app's credentials (ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET, ZOOM_ACCOUNT_ID) are this app's; zoomctl doctor --websocket tells which step fails"

function rawText(data: WebSocket.RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8')
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8')
}
