import type {ConsumerStatus} from '../../websocket/consumer.js'
import type {ConnectionGap} from '../../websocket/connection-log.js'
import type {SocketProbe} from '../../websocket/probe.js'
import {type Check, fail, pass, skip, warn} from '../model.js'

/** Above this, a heartbeat's round trip is worth a word (Zoom's interval is 30 s: far from harm). */
export const SLOW_HEARTBEAT_MS = 3000

const ms = (value: number) => `${Math.round(value)} ms`

/** The checks of doctor --websocket from one probe of the socket's steps. Pure. */
export function judgeSocketProbe(probe: SocketProbe): Check[] {
  const checks: Check[] = []
  const issued = probe.tokens.find((token) => !token.error)
  const refusedGrants = probe.tokens.filter((token) => token.error)
  const grantDetails = refusedGrants.map((token) => `${token.grant}: ${token.error!.message}`)
  if (!issued) {
    const last = refusedGrants.at(-1)
    checks.push(fail('websocket.token', "a token from Zoom's token endpoint", last ? last.error!.code : 'none asked', last?.error?.hint ?? 'give the credentials', {details: grantDetails}))
  } else {
    const why = refusedGrants.length ? ` (${refusedGrants.map((token) => token.grant).join(', ')} refused)` : ''
    checks.push(pass('websocket.token', "a token from Zoom's token endpoint", `${issued.grant}${why}, ${ms(issued.ms)}`, {details: grantDetails, data: {grant: issued.grant, scopes: issued.scopes ?? []}}))
  }

  const opened = probe.sockets.find((socket) => !socket.error)
  const refusedSockets = probe.sockets.filter((socket) => socket.error)
  if (!issued) {
    checks.push(skip('websocket.connect', 'the socket takes the token', 'no token'))
  } else if (!opened) {
    const last = refusedSockets.at(-1)
    const refused = last?.status === 401 || last?.status === 403
    checks.push(
      fail('websocket.connect', 'the socket takes the token', last?.error ?? 'not tried', refused ? SUBSCRIPTION_HINT : 'check --zoom-ws-url (ZOOMCTL_ZOOM_WS_URL; default wss://ws.zoom.us/ws) and that this machine may open wss:// connections out (a proxy?)', {
        details: refusedSockets.map((socket) => `${socket.grant} token: ${socket.error}`),
      }),
    )
  } else {
    const earlier = refusedSockets.length ? ` (the ${refusedSockets.map((socket) => socket.grant).join(', ')} token refused first)` : ''
    checks.push(pass('websocket.connect', 'the socket takes the token', `${opened.grant} token, ${ms(opened.ms)}${earlier}`, {data: {grant: opened.grant}}))
  }

  const build = probe.buildConnection
  if (build === undefined) {
    checks.push(skip('websocket.build_connection', 'Zoom confirms the connection (build_connection)', 'not connected'))
  } else if (build === 'none') {
    // The envelope is community knowledge, not Zoom's docs: its absence is not a failure.
    checks.push(warn('websocket.build_connection', 'Zoom confirms the connection (build_connection)', 'none within 5 s', "Zoom's docs do not promise it (community code shows it first): if events never come, check the subscription's events in the Marketplace"))
  } else if (!build.success) {
    checks.push(fail('websocket.build_connection', 'Zoom confirms the connection (build_connection)', `refused: ${build.detail ?? 'no reason'}`, SUBSCRIPTION_HINT))
  } else {
    checks.push(pass('websocket.build_connection', 'Zoom confirms the connection (build_connection)', ms(build.ms)))
  }

  const beat = probe.heartbeat
  if (!beat) {
    checks.push(skip('websocket.heartbeat', 'a heartbeat answered', 'not connected'))
  } else if (beat.ms !== undefined) {
    const title = 'a heartbeat answered'
    checks.push(beat.ms > SLOW_HEARTBEAT_MS ? warn('websocket.heartbeat', title, ms(beat.ms), 'a slow path to Zoom: serve still keeps the socket (it waits a whole interval, 30 s, for the answer)') : pass('websocket.heartbeat', title, ms(beat.ms)))
  } else if (beat.pongMs !== undefined) {
    checks.push(warn('websocket.heartbeat', 'a heartbeat answered', `no answer to {"module":"heartbeat"} in ${ms(beat.waitedMs)}; ping answered in ${ms(beat.pongMs)}`, "serve takes the ping's answer as a sign of life too, so it keeps the socket; Zoom's heartbeat answer is seen in a user's report only"))
  } else {
    checks.push(fail('websocket.heartbeat', 'a heartbeat answered', `nothing in ${ms(beat.waitedMs)}`, 'the socket opened but nothing answers on it: a proxy that holds WebSocket frames? serve would take it for dead and reconnect every 30 s'))
  }
  return checks
}

/** When a serve consumes the subscription on this machine, doctor reads its state instead of taking its socket. */
export function judgeRunningConsumer(holder: {pid: number; dataDir?: string}, status: ConsumerStatus | undefined, error?: string): Check[] {
  const title = 'the serve that consumes this subscription'
  if (!status) return [warn('websocket.serve', title, `pid ${holder.pid}${holder.dataDir ? `, ${holder.dataDir}` : ''}: its /healthz did not answer${error ? ` (${error})` : ''}`, 'doctor did not connect itself: a second socket would take the subscription from that serve')]
  const value = `pid ${holder.pid}: ${status.state} since ${status.since}${status.grant ? `, ${status.grant} token` : ''}${status.heartbeatMs === undefined ? '' : `, heartbeat ${ms(status.heartbeatMs)}`}`
  if (status.state === 'connected') return [pass('websocket.serve', title, value, {data: {...status}})]
  return [fail('websocket.serve', title, value, `the socket is down: ${status.lastError ?? 'see serve\'s output'}; Zoom drops the events of this gap`, {data: {...status}})]
}

/** The gaps that touch a window (doctor: the last day; validate --local: its own): each is a window of events Zoom did not deliver. Pure. */
export function judgeGaps(gaps: ConnectionGap[], window: {since: number; until: number}, title = 'intervals without the socket (last 24 h)'): Check {
  const recent = gaps.filter((gap) => (!gap.end || Date.parse(gap.end) >= window.since) && Date.parse(gap.start) <= window.until)
  if (!recent.length) return pass('websocket.gaps', title, gaps.length ? 'none' : 'none recorded')
  const seconds = recent.reduce((total, gap) => total + (gap.end ? (gap.seconds ?? 0) : Math.round((window.until - Date.parse(gap.start)) / 1000)), 0)
  const open = recent.find((gap) => !gap.end)
  return warn(
    'websocket.gaps',
    title,
    `${recent.length}, ${seconds} s in all${open ? ' (one still open)' : ''}`,
    "Zoom never delivers the events of a gap: compare with Zoom's own records for these windows (zoomctl deliveries --verdict gap lists them)",
    {details: recent.map((gap) => `${gap.start} → ${gap.end ?? 'now'}: ${gap.reason}`), data: {gaps: recent}},
  )
}

const SUBSCRIPTION_HINT =
  "check the subscription id (the endpoint URL Zoom shows under Feature → Event subscription ends with ?subscriptionId=…) and that the credentials are this app's: ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET (and ZOOM_ACCOUNT_ID for account_credentials)"
