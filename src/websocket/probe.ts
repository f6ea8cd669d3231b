import WebSocket from 'ws'

import {UserError} from '../errors.js'
import {HEARTBEAT_FRAME, readServerFrame, socketUrl} from './protocol.js'
import type {GrantClient} from './tokens.js'

/** What one trip through the WebSocket's steps measured, for doctor's judgements (checks/doctor/websocket-judge.ts). */
export interface SocketProbe {
  /** Each grant asked for, in order, and what the token endpoint said. */
  tokens: Array<{grant: string; ms: number; scopes?: string[]; error?: {message: string; code: string; hint?: string}}>
  /** Each socket opened, by the grant of its token. */
  sockets: Array<{grant: string; ms: number; status?: number; error?: string}>
  /** The first frame, when it was build_connection; `none` when another frame, or nothing, came first within the wait. */
  buildConnection?: {success: boolean; detail?: string; ms: number} | 'none'
  /** The heartbeat's round trip; `pongMs` when only the ping was answered. */
  heartbeat?: {ms?: number; pongMs?: number; waitedMs: number}
}

export interface ProbeOptions {
  endpoint: string
  subscriptionId: string
  /** The grants' clients in the order to try them. */
  clients: GrantClient[]
  timeoutMs: number
  onProgress?: (text: string) => void
}

/**
 * doctor's trip through serve --websocket's steps, once and measured: a token by each grant in turn until one
 * is issued and the socket takes it, the opening handshake, build_connection, one heartbeat's round trip.
 * The socket is closed at once (a normal close).
 */
export async function probeSocket(options: ProbeOptions): Promise<SocketProbe> {
  const probe: SocketProbe = {tokens: [], sockets: []}
  for (const client of options.clients) {
    options.onProgress?.(`asking Zoom for a ${client.grant} token`)
    const asked = performance.now()
    let accessToken: string
    try {
      const token = await client.token()
      accessToken = token.accessToken
      probe.tokens.push({grant: client.grant, ms: performance.now() - asked, scopes: (token as {scopes?: string[]}).scopes})
    } catch (error) {
      const user = error instanceof UserError ? error : undefined
      probe.tokens.push({grant: client.grant, ms: performance.now() - asked, error: {message: (error as Error).message, code: user?.code ?? 'error', ...(user?.hint ? {hint: user.hint} : {})}})
      // Only a refused grant is worth another: refused credentials are refused for every grant.
      if (user?.code === 'zoom-grant') continue
      return probe
    }
    options.onProgress?.(`connecting to the WebSocket with the ${client.grant} token`)
    const opened = await openSocket(options, accessToken, client.grant, probe)
    if (!opened) {
      if (probe.sockets.at(-1)?.status === 401 || probe.sockets.at(-1)?.status === 403) continue
      return probe
    }
    try {
      await exchange(opened, options, probe)
    } finally {
      opened.close(1000, 'zoomctl doctor')
      setTimeout(() => opened.terminate(), 1000).unref()
    }
    return probe
  }
  return probe
}

function openSocket(options: ProbeOptions, accessToken: string, grant: string, probe: SocketProbe): Promise<WebSocket | undefined> {
  const started = performance.now()
  return new Promise((resolve) => {
    const socket = new WebSocket(socketUrl(options.endpoint, options.subscriptionId, accessToken), {handshakeTimeout: options.timeoutMs})
    // Frames that come before exchange() listens are kept for it.
    const early: WebSocket.RawData[] = []
    socket.on('message', (data: WebSocket.RawData) => early.push(data))
    ;(socket as WebSocket & {early?: WebSocket.RawData[]}).early = early
    socket.once('unexpected-response', (_request, response) => {
      probe.sockets.push({grant, ms: performance.now() - started, status: response.statusCode, error: `the handshake was answered HTTP ${response.statusCode}`})
      response.resume()
      socket.terminate()
      resolve(undefined)
    })
    socket.once('error', (error) => {
      if (probe.sockets.length && probe.sockets.at(-1)!.grant === grant && probe.sockets.at(-1)!.status) return
      probe.sockets.push({grant, ms: performance.now() - started, error: `${(error as NodeJS.ErrnoException).code ?? 'error'}: ${error.message}`.replace(/access_token=[^&\s]+/g, 'access_token=…')})
      resolve(undefined)
    })
    socket.once('open', () => {
      probe.sockets.push({grant, ms: performance.now() - started})
      resolve(socket)
    })
  })
}

async function exchange(socket: WebSocket, options: ProbeOptions, probe: SocketProbe): Promise<void> {
  const opened = performance.now()
  const early = (socket as WebSocket & {early?: WebSocket.RawData[]}).early ?? []
  const frames: Array<ReturnType<typeof readServerFrame> & {at: number}> = early.map((data) => ({...readServerFrame(String(data)), at: performance.now()}))
  let wake: () => void = () => undefined
  socket.removeAllListeners('message')
  socket.on('message', (data: WebSocket.RawData) => {
    frames.push({...readServerFrame(String(data)), at: performance.now()})
    wake()
  })
  let pongAt: number | undefined
  socket.on('pong', () => {
    pongAt ??= performance.now()
    wake()
  })
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  const until = async (done: () => boolean, ms: number) => {
    const deadline = performance.now() + ms
    while (!done() && performance.now() < deadline && socket.readyState === WebSocket.OPEN) {
      await Promise.race([new Promise<void>((resolve) => (wake = resolve)), closed, new Promise((resolve) => setTimeout(resolve, Math.max(1, deadline - performance.now())))])
    }
  }
  // build_connection comes first, in community code; how soon is not documented: a few seconds at most here.
  options.onProgress?.('waiting for build_connection')
  await until(() => frames.length > 0, Math.min(5000, options.timeoutMs))
  const first = frames[0]
  probe.buildConnection = first?.kind === 'build_connection' ? {success: first.success, ...(first.detail ? {detail: first.detail} : {}), ms: first.at - opened} : 'none'
  if (first?.kind === 'build_connection' && !first.success) return
  if (socket.readyState !== WebSocket.OPEN) return
  options.onProgress?.('timing a heartbeat')
  const sent = performance.now()
  const answered = () => frames.some((frame) => frame.kind === 'heartbeat' && frame.at >= sent)
  socket.send(HEARTBEAT_FRAME)
  socket.ping()
  await until(answered, options.timeoutMs)
  const answer = frames.find((frame) => frame.kind === 'heartbeat' && frame.at >= sent)
  probe.heartbeat = {waitedMs: performance.now() - sent, ...(answer ? {ms: answer.at - sent} : {}), ...(pongAt === undefined ? {} : {pongMs: pongAt - sent})}
}
