/**
 * Measurements doctor takes from the outside, as Zoom would reach the endpoint: DNS, TCP, the TLS handshake,
 * and HTTP requests timed phase by phase. They only measure; judge.ts decides what is good enough.
 */
import {lookup} from 'node:dns/promises'
import {request as httpRequest} from 'node:http'
import {request as httpsRequest} from 'node:https'
import {connect as netConnect, isIP, type Socket} from 'node:net'
import {checkServerIdentity, connect as tlsConnect, type DetailedPeerCertificate, type TLSSocket} from 'node:tls'

import {elapsedMs} from '../../timing.js'

export interface DnsResult {
  addresses: Array<{address: string; family: number}>
  ms: number
  error?: string
}

export async function resolveHost(host: string): Promise<DnsResult> {
  const started = performance.now()
  if (isIP(host)) return {addresses: [{address: host, family: isIP(host)}], ms: 0}
  try {
    const addresses = await lookup(host, {all: true})
    return {addresses, ms: elapsedMs(started)}
  } catch (error) {
    return {addresses: [], ms: elapsedMs(started), error: (error as NodeJS.ErrnoException).code ?? (error as Error).message}
  }
}

export interface TcpResult {
  address: string
  ms: number
  /** ECONNREFUSED, ETIMEDOUT, EHOSTUNREACH … */
  error?: string
}

export function connectTcp(address: string, port: number, timeoutMs: number): Promise<TcpResult> {
  const started = performance.now()
  return new Promise((resolve) => {
    const socket = netConnect({host: address, port})
    const done = (error?: string) => {
      socket.destroy()
      resolve({address, ms: elapsedMs(started), ...(error ? {error} : {})})
    }
    socket.setTimeout(timeoutMs, () => done('ETIMEDOUT'))
    socket.once('connect', () => done())
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code ?? error.message))
  })
}

export interface CertificateInfo {
  subject: string
  issuer: string
  validTo: string
  selfSigned: boolean
}

export interface TlsResult {
  ms: number
  protocol?: string
  /** Trusted by the roots Node ships (or by --ca-cert when given). */
  authorized: boolean
  /** Node's reason when not: DEPTH_ZERO_SELF_SIGNED_CERT, SELF_SIGNED_CERT_IN_CHAIN, CERT_HAS_EXPIRED … */
  authorizationError?: string
  /** undefined when the name matches. */
  hostnameError?: string
  /** The chain as the server sent it, leaf first. */
  chain: CertificateInfo[]
  error?: string
}

export function handshakeTls(address: string, port: number, hostname: string, options: {ca?: Buffer; timeoutMs: number}): Promise<TlsResult> {
  const started = performance.now()
  return new Promise((resolve) => {
    const socket: TLSSocket = tlsConnect({
      host: address,
      port,
      ...(isIP(hostname) ? {} : {servername: hostname}),
      ...(options.ca ? {ca: options.ca} : {}),
      // Verified below, so that every fault is reported rather than the first.
      rejectUnauthorized: false,
      ALPNProtocols: ['http/1.1'],
    })
    const finish = (result: Omit<TlsResult, 'ms'>) => {
      socket.destroy()
      resolve({ms: elapsedMs(started), ...result})
    }
    socket.setTimeout(options.timeoutMs, () => finish({authorized: false, chain: [], error: 'ETIMEDOUT'}))
    socket.once('error', (error: NodeJS.ErrnoException) => finish({authorized: false, chain: [], error: error.code ?? error.message}))
    socket.once('secureConnect', () => {
      const peer = socket.getPeerCertificate(true)
      const hostnameError = peer && Object.keys(peer).length ? checkServerIdentity(hostname, peer)?.message : 'no certificate'
      finish({
        protocol: socket.getProtocol() ?? undefined,
        authorized: socket.authorized,
        ...(socket.authorizationError ? {authorizationError: String((socket.authorizationError as unknown as {code?: string}).code ?? socket.authorizationError)} : {}),
        ...(hostnameError ? {hostnameError} : {}),
        chain: servedChain(peer),
      })
    })
  })
}

function servedChain(peer: DetailedPeerCertificate): CertificateInfo[] {
  const chain: CertificateInfo[] = []
  const seen = new Set<string>()
  for (let cert: DetailedPeerCertificate | undefined = peer; cert && Object.keys(cert).length && !seen.has(cert.fingerprint256); cert = cert.issuerCertificate) {
    seen.add(cert.fingerprint256)
    const name = (part: Record<string, string | string[]> | undefined) => {
      const cn = part?.CN
      return Array.isArray(cn) ? cn.join(', ') : (cn ?? JSON.stringify(part))
    }
    const subject = name(cert.subject as unknown as Record<string, string | string[]>)
    const issuer = name(cert.issuer as unknown as Record<string, string | string[]>)
    chain.push({subject, issuer, validTo: cert.valid_to, selfSigned: cert.fingerprint256 === cert.issuerCertificate?.fingerprint256})
  }
  return chain
}

export interface HttpSample {
  status?: number
  body: string
  contentType?: string
  /** Phases of one request on a fresh connection, in ms from its start. */
  timings: {dns?: number; connect?: number; tls?: number; firstByte?: number; total: number}
  error?: string
}

export interface HttpRequestOptions {
  method?: string
  headers?: Record<string, string>
  body?: Buffer
  ca?: Buffer
  insecure?: boolean
  timeoutMs: number
}

/** One request on a new connection (agent: false), so that DNS, connect and TLS are part of what is timed. */
export function timedRequest(url: string, options: HttpRequestOptions): Promise<HttpSample> {
  const started = performance.now()
  const since = () => elapsedMs(started)
  const timings: HttpSample['timings'] = {total: 0}
  const target = new URL(url)
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise((resolve) => {
    let settled = false
    const finish = (result: Omit<HttpSample, 'timings'>) => {
      if (settled) return
      settled = true
      timings.total = since()
      resolve({...result, timings})
    }
    const request = send(
      target,
      {
        method: options.method ?? 'POST',
        headers: {...options.headers, ...(options.body ? {'content-length': String(options.body.length)} : {})},
        agent: false,
        timeout: options.timeoutMs,
        ...(target.protocol === 'https:' ? {ca: options.ca, rejectUnauthorized: !options.insecure} : {}),
      },
      (response) => {
        timings.firstByte = since()
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('end', () =>
          finish({status: response.statusCode, body: Buffer.concat(chunks).toString('utf8').slice(0, 4096), contentType: response.headers['content-type']}),
        )
        response.on('error', (error) => finish({body: '', error: error.message}))
      },
    )
    request.on('socket', (socket: Socket) => {
      socket.once('lookup', () => (timings.dns = since()))
      socket.once('connect', () => (timings.connect = since()))
      socket.once('secureConnect', () => (timings.tls = since()))
    })
    request.on('timeout', () => {
      request.destroy()
      finish({body: '', error: `no answer within ${options.timeoutMs} ms`})
    })
    request.on('error', (error: NodeJS.ErrnoException) => finish({body: '', error: error.code ?? error.message}))
    request.end(options.body)
  })
}
