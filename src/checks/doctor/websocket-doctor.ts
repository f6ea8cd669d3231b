import {readGaps} from '../../websocket/connection-log.js'
import type {ConsumerStatus} from '../../websocket/consumer.js'
import {probeSocket} from '../../websocket/probe.js'
import {printableEndpoint} from '../../websocket/protocol.js'
import {subscriptionHolder} from '../../websocket/subscription-lock.js'
import type {GrantClient} from '../../websocket/tokens.js'
import {type Check, type CheckSummary, fail, pass, skip, summarize} from '../model.js'
import {judgeGaps, judgeRunningConsumer, judgeSocketProbe} from './websocket-judge.js'

export interface WebSocketDoctorOptions {
  endpoint: string
  subscriptionId: string
  /** The grants' clients in the order serve tries them; throws when the credentials are incomplete. */
  clients: () => GrantClient[]
  /** What was given, for the credentials row (never the values). */
  credentials: {accountId: boolean; clientId: boolean; clientSecret: boolean}
  dataDir: string
  timeoutMs: number
  onProgress?: (text: string) => void
}

export interface WebSocketDoctorReport {
  url: string
  endpoint: {kind: 'zoom-websocket'; description: string}
  checks: Check[]
  summary: CheckSummary
}

/**
 * doctor --websocket: the steps of serve --websocket, each measured (credentials, the token and its grant,
 * the socket, build_connection, a heartbeat's round trip), and the gaps recorded in the data dir. When a
 * serve on this machine holds the subscription, its /healthz is read instead: a second socket would take
 * the subscription from it (Zoom keeps one connection per subscription, unconfirmed).
 */
export async function runWebSocketDoctor(options: WebSocketDoctorOptions): Promise<WebSocketDoctorReport> {
  const checks: Check[] = []
  const given = options.credentials
  const names = [given.clientId && 'client ID', given.clientSecret && 'client secret', given.accountId && 'account ID'].filter(Boolean).join(', ')
  let clients: GrantClient[] | undefined
  try {
    clients = options.clients()
    checks.push(pass('websocket.credentials', "the app's credentials", `${names} given`))
  } catch (error) {
    checks.push(fail('websocket.credentials', "the app's credentials", names ? `only ${names}` : 'none given', (error as Error).message))
  }

  const holder = await subscriptionHolder(options.subscriptionId)
  if (!clients) {
    for (const [id, title] of SOCKET_STEPS) checks.push(skip(id, title, 'no credentials'))
  } else if (holder) {
    options.onProgress?.(`reading the state of serve (pid ${holder.pid})`)
    let status: ConsumerStatus | undefined
    let problem: string | undefined
    try {
      const response = await fetch(holder.url ?? 'http://invalid.invalid', {signal: AbortSignal.timeout(options.timeoutMs)})
      status = ((await response.json()) as {websocket?: ConsumerStatus}).websocket
    } catch (error) {
      problem = (error as Error).message
    }
    checks.push(...judgeRunningConsumer(holder, status, problem))
  } else {
    checks.push(...judgeSocketProbe(await probeSocket({endpoint: options.endpoint, subscriptionId: options.subscriptionId, clients, timeoutMs: options.timeoutMs, onProgress: options.onProgress})))
  }
  const gaps = (await readGaps(options.dataDir)).filter((gap) => gap.subscriptionId === options.subscriptionId)
  const now = Date.now()
  checks.push(judgeGaps(gaps, {since: now - 24 * 3_600_000, until: now}))
  return {
    url: printableEndpoint(options.endpoint),
    endpoint: {kind: 'zoom-websocket', description: `Zoom's WebSocket, subscription ${options.subscriptionId}${holder ? ` (consumed by serve pid ${holder.pid})` : ''}`},
    checks,
    summary: summarize(checks),
  }
}

const SOCKET_STEPS = [
  ['websocket.token', "a token from Zoom's token endpoint"],
  ['websocket.connect', 'the socket takes the token'],
  ['websocket.build_connection', 'Zoom confirms the connection (build_connection)'],
  ['websocket.heartbeat', 'a heartbeat answered'],
] as const
