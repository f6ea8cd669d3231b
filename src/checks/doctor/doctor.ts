import {findEvent} from '../../catalog/catalog.js'
import {buildEventBody} from '../../catalog/payload.js'
import {createScenario} from '../../catalog/scenario.js'
import type {ElasticSettings} from '../../elastic/connection.js'
import {zoomDataStream} from '../../elastic/names.js'
import {UserError} from '../../errors.js'
import {prepareDelivery} from '../../sender/prepare.js'
import {type AuthSettings, modeHeader} from '../../zoom/auth.js'
import {newPlainToken, URL_VALIDATION_EVENT} from '../../zoom/challenge.js'
import {PROBE_FIELD, PROBE_FIELD_VALUE, PROBE_HEADER, probeMark} from '../../zoom/probe.js'
import {FleetClient, type KibanaSettings} from '../../setup/fleet.js'
import {judgeArrivals} from '../arrivals.js'
import {judgeAssets, judgeCluster, judgeForwardPrivileges} from '../cluster.js'
import {type Check, type CheckSummary, fail, pass, skip, summarize} from '../model.js'
import {
  describeKind,
  type EndpointKind,
  identifyEndpoint,
  isProbeAnswer,
  judgeChallenge,
  judgeDns,
  judgeFleetPolicies,
  judgeForgery,
  judgeLatency,
  judgeRevalidation,
  judgeServeForwarding,
  judgeServeRejections,
  judgeStaticHeader,
  judgeTcp,
  judgeTestEvent,
  judgeTls,
  judgeUrl,
  type ServeHealth,
} from './judge.js'
import {connectTcp, handshakeTls, type HttpSample, resolveHost, timedRequest} from './probes.js'
import {checkZoom, type ZoomDoctorOptions} from './zoom.js'
import {checkAuditStreamsInFleet, checkZoomReports} from './reports.js'
import type {ZoomApiClient} from '../../zoom/api/client.js'

export interface DoctorOptions {
  /** The webhook URL; none checks only the other sides (Zoom's report APIs, Elastic, Fleet). */
  url?: string
  auth: AuthSettings
  /** What a refused secret token means when it was not given but found (a local serve's): said on the checks it fails. */
  refusedTokenHint?: string
  allowHttp: boolean
  /** A private CA to trust on purpose (the trust row then says so). */
  ca?: Buffer
  insecure?: boolean
  samples: number
  timeoutMs: number
  /**
   * Send a signed meeting.started marked as doctor's (see zoom/probe.ts): undefined sends it to a zoomctl
   * serve only, which answers it and neither stores nor forwards it; true to any endpoint (which may index
   * it as a real meeting), false to none.
   */
  testEvent?: boolean
  elastic?: ElasticSettings
  /** Kibana, to compare the Zoom integration's webhook settings in Fleet with the URL. */
  kibana?: KibanaSettings
  /** The agent's endpoint behind zoomctl serve (serve's forward-to): Fleet's settings are compared with it instead. */
  agentBehind?: string
  integrationVersion?: string
  /** Zoom's API, to check Zoom's side of the URL (credentials, subscription, events, webhook logs). */
  zoom?: ZoomDoctorOptions
  onProgress?: (text: string) => void
  /** Zoom's API with the app's credentials: the audit streams' token, scopes and report APIs. */
  reports?: ZoomApiClient
}

export interface DoctorReport {
  url?: string
  endpoint?: {kind: EndpointKind; description: string}
  checks: Check[]
  summary: CheckSummary
}

export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  // The audit streams' side: Zoom's report APIs with the app's credentials, and the streams Fleet runs.
  const audit = Promise.all([
    options.reports ? checkZoomReports(options.reports) : Promise.resolve([]),
    options.reports && options.kibana ? checkAuditStreamsInFleet(options.kibana) : Promise.resolve([]),
  ]).then((parts) => parts.flat())
  if (options.url === undefined) {
    const [elastic, checks] = await Promise.all([options.elastic ? checkElastic(options.elastic, options.integrationVersion) : Promise.resolve([]), audit])
    return {checks: [...checks, ...elastic], summary: summarize([...checks, ...elastic])}
  }
  let url: URL
  try {
    url = new URL(options.url)
  } catch {
    throw new UserError(`"${options.url}" is not a URL`, {hint: 'give the full webhook URL, e.g. https://hooks.example.com/zoom-webhook'})
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UserError(`${url.protocol} is not http or https`, {hint: 'Zoom posts to https:// URLs'})
  if (options.agentBehind !== undefined && !URL.canParse(options.agentBehind)) throw new UserError('--forward-to is not a URL', {hint: "the agent's endpoint, e.g. http://127.0.0.1:8182/zoom-webhook"})
  // The endpoint and the Elastic side are independent: checked at the same time.
  const [endpoint, elastic, fleet, zoom, reports] = await Promise.all([
    checkEndpoint(url, options),
    options.elastic ? checkElastic(options.elastic, options.integrationVersion) : Promise.resolve([]),
    options.kibana ? checkFleet(options.kibana, url, options.agentBehind) : Promise.resolve([]),
    options.zoom ? checkZoom(options.url, options.zoom) : Promise.resolve([]),
    audit,
  ])
  const checks = [...endpoint.checks, ...elastic, ...fleet, ...zoom, ...reports]
  return {url: `${url.origin}${url.pathname}`, endpoint: {kind: endpoint.kind, description: describeKind(endpoint.kind)}, checks, summary: summarize(checks)}
}

async function checkEndpoint(url: URL, options: DoctorOptions): Promise<{checks: Check[]; kind: EndpointKind}> {
  const progress = options.onProgress ?? (() => {})
  const checks: Check[] = judgeUrl(url, options.allowHttp)
  const host = url.hostname.replace(/^\[|\]$/g, '')
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80))
  progress(`resolving ${host}`)
  const dns = await resolveHost(host)
  checks.push(judgeDns(dns, host))
  if (!dns.addresses.length) return {checks: [...checks, skip('http', 'HTTP checks', 'the host does not resolve')], kind: 'unknown'}
  progress(`connecting to port ${port}`)
  const tcp = await Promise.all(dns.addresses.map((entry) => connectTcp(entry.address, port, options.timeoutMs)))
  checks.push(judgeTcp(tcp, port))
  const reachable = tcp.find((result) => !result.error)
  if (!reachable) return {checks: [...checks, skip('http', 'HTTP checks', 'nothing to connect to')], kind: 'unknown'}
  if (url.protocol === 'https:') {
    progress('TLS handshake')
    const tls = await handshakeTls(reachable.address, port, host, {ca: options.ca, timeoutMs: options.timeoutMs})
    checks.push(...judgeTls(tls, host, {customCa: options.ca ? '--ca' : undefined}))
    if (tls.error) return {checks, kind: 'unknown'}
  }

  const target = url.toString()
  const http: HttpOptions = {ca: options.ca, insecure: options.insecure || Boolean(options.ca), timeoutMs: options.timeoutMs}
  // Before doctor's own forged requests, which a zoomctl serve counts too: what it refused until now.
  const untouched = await serveHealth(url, http)
  const secret = options.auth.secretToken
  const challengeBody = (token: string) => Buffer.from(JSON.stringify({payload: {plainToken: token}, event_ts: Date.now(), event: URL_VALIDATION_EVENT}))
  const signed = (body: Buffer) => prepareDelivery(body, options.auth)

  progress(`sending ${options.samples} URL-validation challenge(s)`)
  const challenges: Array<{token: string; sample: HttpSample}> = []
  for (let i = 0; i < Math.max(1, options.samples); i++) {
    const token = newPlainToken()
    // Marked as doctor's: a zoomctl serve does not take it for Zoom's re-validation.
    challenges.push({token, sample: await timedRequest(target, {...http, ...prepareDelivery(challengeBody(token), options.auth, {extraHeaders: {[PROBE_HEADER]: 'doctor'}})})})
  }
  progress('checking that forged requests are refused')
  const modeOnly = modeHeader(options.auth)
  const plainHeaders = {'content-type': 'application/json; charset=utf-8', ...(modeOnly ? {[modeOnly[0]]: modeOnly[1]} : {})}
  // Marked as doctor's, so that a zoomctl serve does not count them among the refusals of unauthenticated deliveries.
  const marked = (body: Buffer): Record<string, string> => (secret ? {[PROBE_HEADER]: probeMark(secret, body)} : {})
  const unsignedBody = challengeBody(newPlainToken())
  const unsigned = await timedRequest(target, {...http, headers: {...plainHeaders, ...marked(unsignedBody)}, body: unsignedBody})
  const forgedBody = challengeBody(newPlainToken())
  const badSignature = await timedRequest(target, {...http, headers: {...plainHeaders, ...marked(forgedBody), 'x-zm-request-timestamp': String(Math.floor(Date.now() / 1000)), 'x-zm-signature': `v0=${'0'.repeat(64)}`}, body: forgedBody})
  const withoutHeader = modeOnly ? await timedRequest(target, {...http, headers: {'content-type': 'application/json'}, body: challengeBody(newPlainToken())}) : undefined
  const wrongMethod = await timedRequest(target, {...http, method: 'GET', headers: modeOnly ? {[modeOnly[0]]: modeOnly[1]} : {}})
  const kind = identifyEndpoint([...challenges.map((entry) => entry.sample), unsigned, badSignature, wrongMethod, ...(withoutHeader ? [withoutHeader] : [])])

  // serve's forwarding before the test event: what it passed on by then, to see the test event go after it.
  const before = kind === 'zoomctl' ? await serveHealth(url, http) : undefined
  checks.push(judgeChallenge(challenges[0]!.sample, challenges[0]!.token, secret, kind, options.refusedTokenHint))
  checks.push(judgeLatency(challenges.map((entry) => entry.sample)))
  // Whether serve took the test event: only then is there something of doctor's for it to pass on.
  let testEventAccepted = false
  // Anything but a zoomctl serve would store and pass it on as a real meeting: sent there only when asked.
  const sendTestEvent = options.testEvent ?? kind === 'zoomctl'
  if (sendTestEvent) {
    progress('sending a signed test event')
    const now = Date.now()
    const body: Record<string, unknown> & ReturnType<typeof buildEventBody> = buildEventBody(findEvent('meeting.started')!, createScenario(now % 100_000, now), now)
    ;((body.payload.object as Record<string, unknown>) ?? {}).topic = 'zoomctl doctor test event'
    body[PROBE_FIELD] = PROBE_FIELD_VALUE
    const answer = await timedRequest(target, {...http, ...signed(Buffer.from(JSON.stringify(body)))})
    // A serve that took it for a probe stores nothing: only an older one, or another endpoint, has something to pass on.
    testEventAccepted = answer.status !== undefined && answer.status >= 200 && answer.status < 300 && !isProbeAnswer(answer.body)
    checks.push(judgeTestEvent(answer, options.refusedTokenHint, kind))
  } else {
    checks.push(skip('zoom.event', 'accepts a signed test event', options.testEvent === false ? '--no-test-event' : `not sent: ${describeKind(kind)} would store it and pass it on as a real meeting.started; --test-event sends it anyway`))
  }
  checks.push(judgeForgery(unsigned, badSignature, kind))
  if (kind === 'elastic-agent') checks.push(judgeStaticHeader(withoutHeader, kind))
  if (kind === 'zoomctl') {
    progress("reading serve's /healthz")
    // The test event has just been accepted: give serve a moment to pass it on (or to fail to) before judging.
    const {health, stalled} = await settledHealth(url, http, before, testEventAccepted ? FORWARD_WAIT_MS : 0)
    checks.push(...judgeServeForwarding(health, {stalled, waitedMs: FORWARD_WAIT_MS}))
    checks.push(judgeRevalidation(health))
    checks.push(judgeServeRejections(untouched))
  }
  return {checks, kind}
}

/** How doctor's requests reach the endpoint: the CA to trust, any certificate, the time-out. */
type HttpOptions = {ca?: Buffer; insecure: boolean; timeoutMs: number}

/** How long doctor waits for serve to pass its test event on. */
const FORWARD_WAIT_MS = 3000

/**
 * serve's /healthz once every sink has handled something more than `before` (the test event, or traffic
 * with it) or has failed, or after `waitMs`; `stalled`: the sinks still ok that handled nothing more.
 */
async function settledHealth(url: URL, http: HttpOptions, before: ServeHealth | undefined, waitMs: number): Promise<{health?: ServeHealth; stalled: string[]}> {
  const handled = (sink: NonNullable<ServeHealth['forwarding']>[number]) => (sink.forwarded ?? 0) + (sink.deadLetters ?? 0) + (sink.skippedDuplicates ?? 0)
  const baseline = new Map(before?.forwarding?.map((sink) => [sink.sink, handled(sink)]))
  const stalledIn = (health: ServeHealth | undefined) => (health?.forwarding ?? []).filter((sink) => sink.state === 'ok' && handled(sink) <= (baseline.get(sink.sink) ?? 0)).map((sink) => sink.sink)
  const until = Date.now() + waitMs
  let health = await serveHealth(url, http)
  while (waitMs > 0 && stalledIn(health).length && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 200))
    health = await serveHealth(url, http)
  }
  return {health, stalled: waitMs > 0 ? stalledIn(health) : []}
}

/** A zoomctl serve's own account of its forwarding, from /healthz on its origin; undefined when none answers there. */
async function serveHealth(url: URL, http: HttpOptions): Promise<ServeHealth | undefined> {
  const sample = await timedRequest(`${url.origin}/healthz`, {...http, method: 'GET'})
  if (sample.status !== 200) return undefined
  try {
    const health = JSON.parse(sample.body) as ServeHealth & {status?: unknown}
    return health.status === 'ok' ? health : undefined
  } catch {
    return undefined
  }
}

async function checkElastic(settings: ElasticSettings, integrationVersion?: string): Promise<Check[]> {
  // The client is loaded only for --es-url: a doctor of the endpoint alone starts without it.
  const {connectElastic} = await import('../../elastic/connection.js')
  const {countArrivals, readForwardPrivileges, readZoomAssets} = await import('../../elastic/queries.js')
  let connection
  try {
    connection = await connectElastic(settings)
  } catch (error) {
    const problem = error instanceof UserError ? error : new UserError((error as Error).message)
    return [fail('elastic.cluster', 'Elasticsearch reachable', problem.message, problem.hint ?? 'check --es-url and the credentials')]
  }
  try {
    const checks = [judgeCluster(connection.info, connection.credential)]
    const dataStream = zoomDataStream(settings.namespace)
    checks.push(judgeForwardPrivileges(await readForwardPrivileges(connection, dataStream), dataStream))
    const assets = judgeAssets(await readZoomAssets(connection), dataStream, integrationVersion)
    checks.push(...assets.checks)
    if (assets.checks.some((check) => check.id === 'zoom.data-stream' && check.status === 'pass')) {
      const window = {since: new Date(Date.now() - 3_600_000), until: new Date()}
      const stats = await countArrivals(connection, dataStream, window, () => [])
      const rows = judgeArrivals(stats, {events: [], require: [], integrationVersion: assets.integrationVersion, fieldsPerType: false})
      checks.push(...rows.map((row) => (row.id === 'documents' ? {...row, title: 'Zoom documents in the last hour'} : row)))
    }
    return checks
  } catch (error) {
    return [fail('elastic.queries', 'Elasticsearch queries', (error as Error).message, (error as UserError).hint ?? 'check the privileges of the credentials')]
  } finally {
    await connection.client.close().catch(() => undefined)
  }
}

async function checkFleet(settings: KibanaSettings, url: URL, agentBehind: string | undefined): Promise<Check[]> {
  const fleet = new FleetClient(settings)
  try {
    const version = await fleet.connect()
    const zoom = await fleet.zoomPackage()
    const policies = await fleet.zoomWebhookSettings()
    return [pass('kibana', 'Kibana reachable', version), ...judgeFleetPolicies(policies, url, zoom.installed, agentBehind ? new URL(agentBehind) : undefined)]
  } catch (error) {
    const problem = error instanceof UserError ? error : new UserError((error as Error).message)
    return [fail('kibana', 'Kibana reachable', problem.message, problem.hint ?? 'check --kibana-url and the API key')]
  } finally {
    await fleet.close()
  }
}
