import {isIP} from 'node:net'

import {checkChallengeAnswer} from '../../zoom/challenge.js'
import {ZOOM_BUDGET_MS} from '../../zoom/limits.js'
import {percentile} from '../../timing.js'
import {type Check, fail, pass, skip, warn} from '../model.js'
import type {DnsResult, HttpSample, TcpResult, TlsResult} from './probes.js'

/** Every threshold doctor judges by, in one place. */
export const THRESHOLDS = {
  /** Zoom counts an answer after 3 s as failed, and retries. */
  latencyFailMs: ZOOM_BUDGET_MS,
  latencyWarnMs: 1000,
  certificateWarnDays: 21,
  minimumTls: ['TLSv1.2', 'TLSv1.3'],
} as const

/** Who answers at the URL: it decides which hints apply. */
export type EndpointKind = 'zoomctl' | 'elastic-agent' | 'other' | 'unknown'

const ms = (value: number) => (value < 10 ? `${value.toFixed(1)} ms` : `${Math.round(value)} ms`)

export function judgeUrl(url: URL, allowHttp: boolean): Check[] {
  const checks: Check[] = []
  if (url.protocol === 'https:') checks.push(pass('url.scheme', 'https', url.origin))
  else if (allowHttp) checks.push(warn('url.scheme', 'https', 'http (allowed by --allow-http)', 'Zoom delivers only to https URLs: fine for a local test, not for a Zoom app'))
  else checks.push(fail('url.scheme', 'https', url.protocol.replace(':', ''), 'Zoom delivers only to https:// URLs: serve TLS (zoomctl serve --tls-cert/--tls-key) or put a TLS proxy in front; --allow-http for a local test'))
  const host = url.hostname.replace(/^\[|\]$/g, '')
  if (isIP(host)) checks.push(warn('url.host', 'a host name, not an IP address', host, 'Zoom expects a fully qualified domain name with a certificate issued for it'))
  else if (!host.includes('.')) checks.push(warn('url.host', 'a host name, not an IP address', host, 'a name without a dot is not resolvable from the internet: use the public FQDN'))
  else checks.push(pass('url.host', 'a host name, not an IP address', host))
  if (url.search) {
    checks.push(warn('url.query', 'no query string', url.search, 'newer Elastic Agents answer 400 to unknown query keys, and Zoom never retries a 4xx: remove the query string'))
  }
  return checks
}

/** Addresses Zoom's servers on the internet cannot reach. */
export function unreachableFromInternet(address: string): string | undefined {
  if (address === '::1' || address.startsWith('127.')) return 'loopback'
  if (/^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/.test(address)) return 'private'
  if (/^100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\./.test(address)) return 'carrier-grade NAT'
  if (address.startsWith('169.254.') || /^fe[89ab]/i.test(address)) return 'link-local'
  if (/^f[cd]/i.test(address)) return 'private (unique local)'
  return undefined
}

export function judgeDns(dns: DnsResult, host: string): Check {
  if (dns.error || !dns.addresses.length) return fail('dns', `${host} resolves`, dns.error ?? 'no address', 'check the DNS record of the host name (an A or AAAA record pointing at your endpoint)')
  const value = `${dns.addresses.map((entry) => entry.address).join(', ')}${dns.ms ? ` in ${ms(dns.ms)}` : ''}`
  const hidden = dns.addresses.map((entry) => [entry.address, unreachableFromInternet(entry.address)] as const).filter(([, kind]) => kind)
  if (hidden.length) {
    return warn('dns', `${host} resolves`, value, `${hidden.map(([address, kind]) => `${address} is ${kind}`).join('; ')}: Zoom cannot reach it from the internet (fine for a local test); give it a public address or a load balancer`)
  }
  return pass('dns', `${host} resolves`, value)
}

const TCP_REASONS: Record<string, string> = {
  ECONNREFUSED: 'nothing listens on that port: start the receiver (or the Elastic Agent) or fix the port',
  ETIMEDOUT: 'no answer: a firewall drops the traffic (open the port on the host and in front of it)',
  EHOSTUNREACH: 'the host is unreachable: check routing and firewalls',
  ENETUNREACH: 'the network is unreachable from here',
}

export function judgeTcp(results: TcpResult[], port: number): Check {
  const failed = results.filter((result) => result.error)
  const value = results.map((result) => `${result.address}: ${result.error ?? ms(result.ms)}`).join(', ')
  if (failed.length === results.length) return fail('tcp', `port ${port} accepts connections`, value, TCP_REASONS[failed[0]!.error!] ?? 'check the host, the port and the firewalls in between')
  if (failed.length) return warn('tcp', `port ${port} accepts connections`, value, `some addresses do not answer: Zoom may pick one of them (${failed.map((result) => result.address).join(', ')})`)
  return pass('tcp', `port ${port} accepts connections`, value)
}

const TRUST_HINTS: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the certificate is self-signed: Zoom rejects it. Use a certificate from a public CA (e.g. Let\'s Encrypt) or a TLS proxy that has one',
  SELF_SIGNED_CERT_IN_CHAIN: 'the chain ends at a private CA: Zoom trusts only public CAs. Use a public certificate or a TLS proxy that has one',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the issuing CA is not a public one Zoom trusts: use a certificate from a public CA',
  CERT_HAS_EXPIRED: 'the certificate has expired: renew it',
  CERT_NOT_YET_VALID: 'the certificate is not valid yet: check the server clock and the certificate dates',
}

/** `customCa`: the flag that gave the CA trusted on purpose (doctor's --ca), named in the verdict. */
export function judgeTls(tls: TlsResult, hostname: string, options: {customCa?: string; now?: number}): Check[] {
  if (tls.error) return [fail('tls', 'TLS handshake', tls.error, tls.error === 'ETIMEDOUT' ? 'the handshake did not finish: is this port serving TLS?' : 'the server does not complete a TLS handshake: is it serving https on this port?')]
  const checks: Check[] = []
  const protocol = tls.protocol ?? 'unknown'
  checks.push(
    (THRESHOLDS.minimumTls as readonly string[]).includes(protocol)
      ? pass('tls.protocol', 'TLS 1.2 or later', protocol)
      : fail('tls.protocol', 'TLS 1.2 or later', protocol, 'Zoom needs TLS 1.2+: enable it on the server or proxy'),
  )
  const chain = tls.chain.map((cert) => `${cert.subject} ← ${cert.issuer}`)
  const onlyLeaf = tls.chain.length === 1 && !tls.chain[0]!.selfSigned
  if (tls.authorized) {
    checks.push(
      options.customCa
        ? warn('tls.trust', 'certificate chain trusted', `trusted through ${options.customCa} only`, 'a private CA is fine for testing; Zoom itself trusts only public CAs', {details: chain})
        : pass('tls.trust', 'certificate chain trusted', 'by the public roots Node ships', {details: chain}),
    )
  } else {
    const code = tls.authorizationError ?? 'untrusted'
    let hint = TRUST_HINTS[code] ?? `the chain is not trusted (${code}): use a certificate from a public CA`
    if (code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' && onlyLeaf) {
      hint = `the server sends only its own certificate, and its issuer (${tls.chain[0]!.issuer}) is not a CA trusted here: serve the full chain with the intermediate (fullchain.pem, not cert.pem); a private CA would not be trusted by Zoom either`
    }
    else if (code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE') hint = 'the chain does not lead to a trusted CA: serve the full chain from a public CA'
    if (code !== 'CERT_HAS_EXPIRED') checks.push(fail('tls.trust', 'certificate chain trusted', code, hint, {details: chain}))
  }
  checks.push(tls.hostnameError ? fail('tls.hostname', `certificate names ${hostname}`, tls.hostnameError, `get a certificate for ${hostname} (or use the name the certificate has in the URL)`) : pass('tls.hostname', `certificate names ${hostname}`, 'matches'))
  const leaf = tls.chain[0]
  if (leaf) {
    const days = Math.trunc((Date.parse(leaf.validTo) - (options.now ?? Date.now())) / 86_400_000)
    if (days < 0) checks.push(fail('tls.expiry', 'certificate valid', `expired ${-days} day(s) ago (${leaf.validTo})`, 'renew the certificate'))
    else if (days < THRESHOLDS.certificateWarnDays) checks.push(warn('tls.expiry', 'certificate valid', `${days} day(s) left`, 'renew it soon: Zoom stops delivering the day it expires'))
    else checks.push(pass('tls.expiry', 'certificate valid', `${days} days left`))
  }
  return checks
}

export function judgeLatency(samples: HttpSample[]): Check {
  const answered = samples.filter((sample) => sample.status !== undefined)
  if (!answered.length) return fail('http.latency', `answers within Zoom's 3 s`, samples[0]?.error ?? 'no answer', 'the endpoint does not answer HTTP: check the receiver and anything in front of it')
  const totals = answered.map((sample) => sample.timings.total).sort((a, b) => a - b)
  const p50 = percentile(totals, 0.5)!
  const max = totals[totals.length - 1]!
  const first = answered[0]!.timings
  const phases = [first.dns !== undefined ? `dns ${ms(first.dns)}` : '', first.connect !== undefined ? `connect ${ms(first.connect)}` : '', first.tls !== undefined ? `tls ${ms(first.tls)}` : '', first.firstByte !== undefined ? `first byte ${ms(first.firstByte)}` : '']
  const value = `p50 ${ms(p50)}, max ${ms(max)} over ${answered.length}`
  const data = {p50Ms: p50, maxMs: max, samples: totals}
  const details = [`first request: ${phases.filter(Boolean).join(', ')}`]
  if (max > THRESHOLDS.latencyFailMs) return fail('http.latency', `answers within Zoom's 3 s`, value, 'Zoom counts an answer after 3 s as failed and retries: answer first, then process (zoomctl serve stores and answers in milliseconds)', {data, details})
  if (max > THRESHOLDS.latencyWarnMs) return warn('http.latency', `answers within Zoom's 3 s`, value, 'over 1 s leaves little margin against Zoom\'s 3 s budget', {data, details})
  return pass('http.latency', `answers within Zoom's 3 s`, value, {data, details})
}

/** The Elastic Agent's http_endpoint answers with these exact bodies (elastic-api §F). */
export function identifyEndpoint(samples: HttpSample[]): EndpointKind {
  const bodies = samples.map((sample) => sample.body)
  const agentBody = /^\{"message": ?"(success|incorrect header or header secret|only POST requests are allowed|body cannot be empty)"\}$/
  // Go's encoder sorts the keys of the agent's CRC answer; zoomctl and Zoom's samples put plainToken first.
  const goChallenge = /^\{"encryptedToken":"[0-9a-f]{64}","plainToken":"[^"]*"\}$/
  if (bodies.some((body) => agentBody.test(body.trim()) || goChallenge.test(body.trim()))) return 'elastic-agent'
  if (bodies.some((body) => /"reason":"(bad-signature|missing-signature|stale|wrong-path|auth-header)"|"status":"(accepted|duplicate)"/.test(body))) return 'zoomctl'
  return samples.some((sample) => sample.status !== undefined) ? 'other' : 'unknown'
}

/** The agent's own refusal of a request without its static header (secret_header/secret_value). */
function agentWantsHeader(sample: HttpSample, kind: EndpointKind | undefined): boolean {
  return kind === 'elastic-agent' && sample.status === 401 && /"message": ?"incorrect header or header secret"/.test(sample.body)
}
const AGENT_HEADER_HINT = "the Elastic Agent refused it for want of its static header (the integration's secret_header and secret_value): give the header as Zoom sends it (--auth header --auth-value …, or --auth basic / bearer as the Zoom app's authentication) to check the rest; behind zoomctl serve, it is serve's forward-header"

export function describeKind(kind: EndpointKind): string {
  return {zoomctl: 'zoomctl serve', 'elastic-agent': "an Elastic Agent's http_endpoint (Zoom integration)", other: 'another webhook receiver', unknown: 'nothing that answers HTTP'}[kind]
}

export function judgeChallenge(sample: HttpSample, plainToken: string, secret: string | undefined, kind: EndpointKind, refusedTokenHint?: string): Check {
  const title = "answers Zoom's URL validation"
  if (sample.status === undefined) return fail('zoom.challenge', title, sample.error ?? 'no answer', 'the endpoint must answer the challenge within 3 s, or Zoom will not save the URL')
  if (kind === 'elastic-agent' && /"message": ?"success"/.test(sample.body)) {
    return fail('zoom.challenge', title, 'answered "success", not the token', 'CRC is off: Zoom\'s validation will fail. Enable crc_enabled and set crc_secret (the Secret Token) in the Zoom integration\'s settings in Fleet')
  }
  if (!secret) {
    return sample.status === 200 && /encryptedToken/.test(sample.body)
      ? warn('zoom.challenge', title, `${sample.status}, with an encryptedToken`, 'cannot check the answer without the secret token: give --secret-token (ZOOM_WEBHOOK_SECRET_TOKEN)')
      : fail('zoom.challenge', title, `${sample.status} ${sample.body.slice(0, 80)}`, 'the answer has no encryptedToken: the endpoint does not handle endpoint.url_validation')
  }
  const verdict = checkChallengeAnswer(secret, plainToken, sample.status, sample.contentType, sample.body)
  if (verdict.ok) return pass('zoom.challenge', title, `correct encryptedToken in ${ms(sample.timings.total)}`)
  const wrongToken = /encryptedToken/.test(sample.body) && sample.status === 200
  const hint = agentWantsHeader(sample, kind)
    ? AGENT_HEADER_HINT
    : refusedTokenHint && (wrongToken || refusedSignature(sample))
    ? refusedTokenHint
    : wrongToken
    ? 'the endpoint answers with another secret token: set the same Secret Token as the Zoom app (for the agent: crc_secret in the integration)'
    : refusedSignature(sample)
      ? 'the endpoint refused the challenge as unauthenticated: it holds another secret token, or expects a header Zoom will not send'
      : 'the endpoint does not answer the challenge as Zoom expects ({plainToken, encryptedToken}, 200, JSON)'
  return fail('zoom.challenge', title, verdict.reason, hint)
}

/**
 * A refusal of the signature: a 401, or a zoomctl serve's 503 to a signature that matches none of its
 * tokens (--retry-mismatched answers so, for Zoom to retry during a token's regeneration).
 */
function refusedSignature(sample: HttpSample): boolean {
  return sample.status === 401 || (sample.status === 503 && /"reason":"signature-mismatch"/.test(sample.body))
}

/** Whether a receiver answered doctor's test event as a zoomctl serve does a probe: {"status":"probe"}. */
export function isProbeAnswer(body: string): boolean {
  try {
    return (JSON.parse(body) as {status?: unknown}).status === 'probe'
  } catch {
    return false
  }
}

/** `refusedTokenHint`: what a 401 means when the secret token was not given but found (a local serve's). */
export function judgeTestEvent(sample: HttpSample, refusedTokenHint?: string, kind?: EndpointKind): Check {
  const title = 'accepts a signed test event'
  if (sample.status !== undefined && sample.status >= 200 && sample.status < 300) {
    if (isProbeAnswer(sample.body)) return pass('zoom.event', title, `${sample.status} in ${ms(sample.timings.total)}: verified as doctor's probe, neither stored nor forwarded`)
    const stored = kind === 'zoomctl' ? 'stored and forwarded as a real meeting.started (an older zoomctl serve)' : 'it may be indexed as a real meeting.started (topic "zoomctl doctor test event", zoomctl_probe: doctor)'
    return kind === 'zoomctl' ? warn('zoom.event', title, `${sample.status} in ${ms(sample.timings.total)}`, `${stored}: upgrade serve`) : pass('zoom.event', title, `${sample.status} in ${ms(sample.timings.total)}; ${stored}`)
  }
  const value = sample.status === undefined ? (sample.error ?? 'no answer') : `${sample.status} ${sample.body.slice(0, 80)}`
  const hint =
    agentWantsHeader(sample, kind)
      ? AGENT_HEADER_HINT
      : refusedSignature(sample) && refusedTokenHint
      ? refusedTokenHint
      : refusedSignature(sample)
      ? 'refused although signed: the endpoint holds another secret token (Zoom → your app → Feature → Secret Token) or wants an auth header (--auth header --auth-value …)'
      : sample.status !== undefined && sample.status < 500
        ? 'a 4xx makes Zoom drop the event for good: fix the endpoint before Zoom sends real events'
        : 'Zoom will retry a 5xx after 5, 25 and 85 minutes, then drop it: check the receiver\'s logs'
  return fail('zoom.event', title, value, hint)
}

export function judgeForgery(unsigned: HttpSample, badSignature: HttpSample, kind: EndpointKind): Check {
  const title = 'refuses unsigned and mis-signed requests'
  const accepted = (sample: HttpSample) => sample.status !== undefined && sample.status >= 200 && sample.status < 300
  const value = `unsigned → ${unsigned.status ?? unsigned.error}, bad signature → ${badSignature.status ?? badSignature.error}`
  if (!accepted(unsigned) && !accepted(badSignature)) return pass('auth.signature', title, value)
  if (kind === 'elastic-agent') {
    return warn('auth.signature', title, value, "the Elastic Agent never checks Zoom's signature, only a static header: anyone who learns it can post events. zoomctl serve --forward-to in front of the agent verifies every delivery")
  }
  return fail('auth.signature', title, value, 'anyone can post events to this endpoint: verify x-zm-signature (HMAC-SHA256 of "v0:{timestamp}:{body}" with the Secret Token)')
}

export function judgeStaticHeader(withoutHeader: HttpSample | undefined, kind: EndpointKind): Check {
  const title = 'requires the static secret header'
  if (kind !== 'elastic-agent') return skip('auth.header', title, 'only the Elastic Agent relies on it')
  if (!withoutHeader) return skip('auth.header', title, 'checked when the header is given: --auth header --auth-value …')
  if (withoutHeader.status === 401) return pass('auth.header', title, '401 without it')
  return fail('auth.header', title, `${withoutHeader.status ?? withoutHeader.error} without it`, 'set secret_header and secret_value in the Zoom integration: today the agent accepts any request')
}

/**
 * The Zoom integration's webhook settings in Fleet against the URL being diagnosed: a different port or
 * path, or CRC off, is the usual reason the agent never sees Zoom's events. A proxy in front may change
 * the port legitimately: that is a warning, the path and CRC are failures. Behind zoomctl serve
 * (`behind`: serve's forward-to) the agent must listen where serve forwards, and CRC is not needed:
 * serve answers Zoom's challenge itself.
 */
export function judgeFleetPolicies(policies: Array<{id: string; name: string; vars: Record<string, unknown>}>, url: URL, installed: string | undefined, behind?: URL): Check[] {
  const checks: Check[] = []
  checks.push(installed ? pass('fleet.package', 'Zoom integration installed in Fleet', installed) : fail('fleet.package', 'Zoom integration installed in Fleet', 'not installed', 'zoomctl setup --kibana-url … installs it and adds the webhook input'))
  if (!policies.length) {
    checks.push(fail('fleet.policy', 'a Zoom webhook input in an agent policy', 'none', 'add the Zoom integration to the agent policy of the agent that receives the webhooks (zoomctl setup does it)'))
    return checks
  }
  const target = behind ?? url
  const port = Number(target.port || (target.protocol === 'https:' ? 443 : 80))
  const where = behind ? "serve's forward-to" : 'the URL'
  for (const policy of policies) {
    const title = `Fleet policy ${policy.name}`
    const problems: string[] = []
    const warnings: string[] = []
    if (policy.vars.url !== undefined && policy.vars.url !== target.pathname) problems.push(`path ${String(policy.vars.url)}, ${where} has ${target.pathname}`)
    if (!behind && policy.vars.crc_enabled !== true) problems.push("CRC is off: Zoom's URL validation will fail (enable crc_enabled, crc_secret = the Secret Token)")
    const listens = policy.vars.listen_port !== undefined && Number(policy.vars.listen_port) !== port
    if (listens && behind) problems.push(`listens on ${String(policy.vars.listen_port)}, serve forwards to ${port}`)
    else if (listens) warnings.push(`listens on ${String(policy.vars.listen_port)}, the URL uses ${port} (fine only behind a proxy that maps it)`)
    if (!policy.vars.secret_value) warnings.push(behind ? "no secret header set: anything on the agent's host can post events past serve's checks" : 'no secret header set: anyone who finds the URL can post events')
    const value = `port ${String(policy.vars.listen_port ?? '?')}, path ${String(policy.vars.url ?? '?')}, CRC ${policy.vars.crc_enabled === true ? 'on' : 'off'}${behind ? ', behind zoomctl serve' : ''}`
    if (problems.length) checks.push(fail(`fleet.policy.${policy.id}`, title, value, problems.join('; '), {details: warnings}))
    else if (warnings.length) checks.push(warn(`fleet.policy.${policy.id}`, title, value, warnings.join('; ')))
    else checks.push(pass(`fleet.policy.${policy.id}`, title, value))
  }
  return checks
}

/** What a zoomctl serve says of its forwarding on /healthz (see ForwardStatus), as far as doctor reads it. */
export interface ServeHealth {
  /** Requests serve refused as unauthenticated (see RejectionLog): counts, reasons, the last one's time. */
  rejected?: {total: number; since?: string; byReason?: Record<string, number>; last?: {at: string; reason: string; status: number}; probes?: number}
  forwarding?: Array<{sink: string; state: string; forwarded?: number; deadLetters?: number; skippedDuplicates?: number; lag?: {records?: number; oldestPendingAgeSeconds?: number}; lastError?: string}>
  /** Zoom's re-validation as serve recorded it (see RevalidationStatus). */
  urlValidation?: {state?: string; lastAnsweredAt?: string; hint?: string}
}

/** Whether Zoom still re-validates the endpoint every 72 h, as the zoomctl serve behind it recorded. */
export function judgeRevalidation(health: ServeHealth | undefined): Check {
  const id = 'serve.revalidation'
  const title = "Zoom re-validates the endpoint (every 72 h)"
  const validation = health?.urlValidation
  if (!validation?.state) return skip(id, title, health ? 'this serve does not say (an older zoomctl)' : '/healthz does not answer through this URL')
  if (validation.state === 'never') return skip(id, title, 'serve has answered no challenge from Zoom yet (none since its data dir was made)')
  const value = `last answered ${validation.lastAnsweredAt ?? '?'}`
  if (validation.state === 'overdue') return warn(id, title, value, validation.hint ?? 'none came for more than 72 h: check the event subscription in the Zoom App Marketplace')
  return pass(id, title, value)
}

/**
 * Whether a zoomctl serve passes what it accepts on to Elastic: the cause doctor cannot see from the
 * endpoint's answers, which are 200 whether or not anything goes further. `health` undefined: /healthz
 * did not answer through this URL (a proxy in front, say). `test.stalled`: sinks that handled nothing
 * in the time doctor waited after its test event.
 */
export function judgeServeForwarding(health: ServeHealth | undefined, test: {stalled: string[]; waitedMs: number} = {stalled: [], waitedMs: 0}): Check[] {
  const title = 'serve passes deliveries on to Elastic'
  if (!health) return [skip('serve.forwarding', title, '/healthz does not answer through this URL')]
  if (!health.forwarding?.length) {
    return [warn('serve.forwarding', title, 'no: it keeps them in its store only', 'events reach Elastic only if serve forwards them: give it --es-url or --forward-to (zoomctl setup writes them); zoomctl replay sends what it stored meanwhile')]
  }
  return health.forwarding.map((sink) => {
    const id = `serve.forwarding.${sink.sink}`
    const sinkTitle = `serve forwards to ${sink.sink}`
    const waiting = sink.lag?.records ?? 0
    const age = sink.lag?.oldestPendingAgeSeconds ?? 0
    const value = `${sink.state}: ${sink.forwarded ?? 0} forwarded, ${waiting} waiting${age ? ` (oldest ${age} s)` : ''}`
    const dead = sink.deadLetters ? [`${sink.deadLetters} refused for good, in dead-letter/: zoomctl deliveries --verdict dead-letter shows why`] : []
    if (sink.state !== 'ok') {
      const error = (sink.lastError ?? 'no error given').slice(0, 200)
      return fail(id, sinkTitle, value, `${error}: deliveries wait in serve's store and go once ${sink.sink} takes them`, {details: dead})
    }
    if (age > 60) return warn(id, sinkTitle, value, `${sink.sink} is behind: what Zoom sends reaches Elastic minutes late`, {details: dead})
    if (test.stalled.includes(sink.sink)) return warn(id, sinkTitle, value, `the test event had not left serve after ${test.waitedMs / 1000} s: ${sink.sink} is slow to answer, or serve is behind`, {details: dead})
    if (dead.length) return warn(id, sinkTitle, value, dead[0]!)
    return pass(id, sinkTitle, value)
  })
}

/** What the reason of serve's last unauthenticated refusal most likely means, and where to look. */
const REJECTION_HINTS: Record<string, string> = {
  'signature-mismatch': "signed with another Secret Token: if Zoom sent them, serve and the Zoom app hold different tokens (Zoom → your app → Feature → Secret Token; a regenerated token: serve --previous-secret-token)",
  'missing-signature': "without Zoom's signature: not Zoom (a scanner, a test), or a proxy in front strips the x-zm-* headers",
  'missing-timestamp': "without Zoom's timestamp header: not Zoom, or a proxy in front strips the x-zm-* headers",
  'malformed-signature': 'with a signature that is not "v0=" and 64 hex digits: not Zoom',
  'malformed-timestamp': 'with a timestamp that is not epoch seconds: not Zoom',
  'auth-header': "without the auth header serve wants (--auth): Zoom sends it only when the app's event subscription is set to",
}

/** How long ago an ISO time was, in words. */
function ago(iso: string, now: number): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000))
  if (seconds < 120) return `${seconds} s ago`
  if (seconds < 7200) return `${Math.round(seconds / 60)} min ago`
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h ago`
  return `${Math.round(seconds / 86_400)} days ago`
}

/** A refusal more recent than this is a problem of today: older ones are history, shown but not warned about. */
const RECENT_REJECTION_MS = 86_400_000

/**
 * What a zoomctl serve refused as unauthenticated before doctor came (its /healthz, read before doctor's
 * own forged requests): the most common real failure, a wrong Secret Token, shows only there, as Zoom
 * drops a delivery answered 401 without a word.
 */
export function judgeServeRejections(health: ServeHealth | undefined, now = Date.now()): Check {
  const title = 'serve refused no delivery as unauthenticated'
  if (!health) return skip('serve.rejected', title, '/healthz does not answer through this URL')
  const rejected = health.rejected
  if (!rejected) return skip('serve.rejected', title, 'this serve does not count them (an older zoomctl)')
  if (!rejected.total || !rejected.last) return pass('serve.rejected', title, `none${rejected.since ? ` since ${rejected.since.slice(0, 16).replace('T', ' ')}` : ''}`)
  const reasons = Object.entries(rejected.byReason ?? {}).sort((a, b) => b[1] - a[1]).map(([reason, n]) => `${n} ${reason}`).join(', ')
  const value = `${rejected.total} (${reasons}), the last ${ago(rejected.last.at, now)}`
  const list = 'zoomctl deliveries --verdict rejected on serve\'s data dir lists them (time, address, claimed event type)'
  if (now - Date.parse(rejected.last.at) > RECENT_REJECTION_MS) return pass('serve.rejected', title, value)
  return warn('serve.rejected', title, value, `the last was ${REJECTION_HINTS[rejected.last.reason] ?? `refused for ${rejected.last.reason}`}; ${list}`)
}
