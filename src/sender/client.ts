import {X509Certificate} from 'node:crypto'
import {readFileSync} from 'node:fs'

import {Agent, type Dispatcher, errors, Pool} from 'undici'

import {fileProblem} from '../config/files.js'
import {OptionError} from '../config/parse.js'
import {elapsedMs} from '../timing.js'

export interface ClientOptions {
  /** Accept any TLS certificate (self-signed test receivers). */
  insecure?: boolean
  /** PEM file of a CA to trust besides the system's. */
  caFile?: string
  connections?: number
  /** Give up on one request after this long (default 10 s: Zoom waits 3 s, we wait longer to measure). */
  timeoutMs?: number
  /**
   * The one origin (scheme, host, port) every request of the run goes to: its connections are then one
   * undici Pool, without an Agent in front to find it for each request (6 % more deliveries a second in
   * a burst, medians of seven interleaved runs).
   */
  origin?: string
}

export interface DeliveryResult {
  status?: number
  latencyMs: number
  responseBody: string
  contentType?: string
  /** Set when no HTTP answer came: connection refused, TLS failure, timeout. */
  error?: string
  /** A zoomctl serve's 2xx to an event it had already stored (noticeCopies). */
  copy?: boolean
}

/** The connections of a run: keep-alive, pipelining off, TLS options from the flags; a Pool for one origin, else an Agent. */
export function createDispatcher(options: ClientOptions = {}): Dispatcher {
  const timeout = options.timeoutMs ?? 10_000
  const settings = {
    connections: options.connections ?? 64,
    headersTimeout: timeout,
    bodyTimeout: timeout,
    connect: {
      timeout: Math.min(timeout, 10_000),
      rejectUnauthorized: !options.insecure,
      ...(options.caFile ? {ca: readCertificate(options.caFile)} : {}),
    },
  }
  return options.origin ? new Pool(options.origin, settings) : new Agent(settings)
}

/** How a zoomctl serve's answer to a copy begins (receiver/delivery-handler.ts). */
const COPY_MARK = Buffer.from('{"status":"duplicate"')
const EMPTY = Buffer.alloc(0)

/** A response body kept up to this size: what an endpoint answers is shown, not archived. */
const MAX_RESPONSE_BYTES = 1024 * 1024

export interface SendOptions {
  /**
   * Keep the endpoint's answer (body and content-type): always (default), never (a burst counts statuses
   * only), or only when it is not a 2xx (replay shows why a delivery was refused, not what acknowledged it).
   */
  keepAnswer?: boolean | 'failures'
  /**
   * Tell a zoomctl serve's answer to a copy ({"status":"duplicate",…}) from an acknowledgement, by its first
   * bytes, even when a 2xx's answer is not kept: replay says how much of what it sent was already there.
   */
  noticeCopies?: boolean
}

/**
 * One POST through the dispatcher's own interface rather than undici's request(): no URL parsed and no
 * body stream made per delivery. A burst sends twice as many a second this way (see BENCHMARKS.md).
 */
export function sendDelivery(
  url: string | URL,
  delivery: {headers: Record<string, string>; body: Buffer},
  dispatcher: Dispatcher,
  options: SendOptions = {},
): Promise<DeliveryResult> {
  return new Promise((resolve) => {
    const handler = new AnswerHandler(resolve, String(url), options.keepAnswer ?? true, options.noticeCopies ?? false)
    try {
      const target = typeof url === 'string' ? requestTarget(url) : {origin: url.origin, path: `${url.pathname}${url.search}`}
      dispatcher.dispatch(
        {origin: target.origin, path: target.path, method: 'POST', headers: delivery.headers, body: delivery.body},
        handler as unknown as Dispatcher.DispatchHandler,
      )
    } catch (error) {
      handler.onError(error)
    }
  })
}

/**
 * What undici calls as an answer comes, one object a delivery with its methods shared (a burst makes tens
 * of thousands a second). undici 7's Agent and Pool still check for these handler methods (its newer
 * onResponse* interface is refused there).
 */
class AnswerHandler {
  private readonly started = performance.now()
  private status: number | undefined
  private contentType: string | undefined
  private readonly chunks: Buffer[] = []
  private size = 0
  /** Decided by the status when only failures' answers are kept. */
  private keepAnswer: boolean
  private readonly keepOnlyFailures: boolean
  /** A 2xx's first bytes, read to tell a copy (see noticeCopies). */
  private peeking = false

  constructor(
    private readonly resolve: (result: DeliveryResult) => void,
    private readonly url: string,
    keep: boolean | 'failures',
    private readonly noticeCopies: boolean,
  ) {
    this.keepAnswer = keep !== false
    this.keepOnlyFailures = keep === 'failures'
  }

  onConnect(): void {}

  onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
    this.status = statusCode
    answeredUrls.add(this.url)
    if (this.keepOnlyFailures) this.keepAnswer = statusCode < 200 || statusCode >= 300
    if (this.keepAnswer) this.contentType = headerOf(rawHeaders, 'content-type')
    this.peeking = this.noticeCopies && !this.keepAnswer && statusCode >= 200 && statusCode < 300
    return true
  }

  onData(chunk: Buffer): boolean {
    if ((this.keepAnswer && this.size < MAX_RESPONSE_BYTES) || (this.peeking && this.size < COPY_MARK.length)) {
      this.chunks.push(chunk)
      this.size += chunk.length
    }
    return true
  }

  onComplete(): void {
    const answer = this.chunks.length > 0 ? Buffer.concat(this.chunks) : EMPTY
    if (this.peeking) {
      this.resolve({status: this.status, latencyMs: elapsedMs(this.started), responseBody: '', ...(answer.subarray(0, COPY_MARK.length).equals(COPY_MARK) ? {copy: true} : {})})
      return
    }
    this.resolve({status: this.status, latencyMs: elapsedMs(this.started), responseBody: answer.toString('utf8'), contentType: this.contentType})
  }

  onError(error: unknown): void {
    this.resolve({latencyMs: elapsedMs(this.started), responseBody: '', error: describeNetworkError(error, this.url)})
  }
}

/** A header of a raw list (name, value, name, value … as bytes), or undefined. */
function headerOf(rawHeaders: Buffer[], name: string): string | undefined {
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) if (rawHeaders[i]!.toString('latin1').toLowerCase() === name) return rawHeaders[i + 1]!.toString('latin1')
  return undefined
}

/**
 * The origin and path of the last URL sent to: a run sends to one URL, again and again, and a URL's
 * getters are worked out anew on every read.
 */
let lastTarget: {text: string; origin: string; path: string} | undefined
function requestTarget(text: string): {origin: string; path: string} {
  if (lastTarget?.text !== text) {
    const url = new URL(text)
    lastTarget = {text, origin: url.origin, path: `${url.pathname}${url.search}`}
  }
  return lastTarget
}

/** URLs that have answered in this process: a connection closed by one of them is not a scheme mistaken. */
const answeredUrls = new Set<string>()

const CONNECTION_REFUSED = 'connection refused by'

/** Whether a delivery's error (describeNetworkError's words) is a refused connection: nothing listens there. */
export function refusedConnection(error: string | undefined): boolean {
  return error?.startsWith(CONNECTION_REFUSED) ?? false
}

/** Says what failed and what to check, in the words a user needs. */
export function describeNetworkError(error: unknown, url: string): string {
  const cause = (error as {cause?: {code?: string; message?: string}}).cause
  const code = (error as {code?: string}).code ?? cause?.code
  const target = safeOrigin(url)
  switch (code) {
    case 'ECONNREFUSED':
      return `${CONNECTION_REFUSED} ${target}: is the receiver running and listening on that port?`
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot resolve the host of ${target}: check the name`
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      // It answered before: the receiver stopped, restarted or dropped the connection, whatever its scheme.
      if (answeredUrls.has(url)) return `${target} closed the connection after answering earlier deliveries: the receiver stopped, restarted or dropped connections (is it still running?)`
      return `${target} closed the connection${url.startsWith('http:') ? ': if it serves HTTPS, use https:// in the URL' : ''}`
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
    case 'EPROTO':
      return `${target} does not speak TLS on that port: use http:// in the URL, or the HTTPS port`
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
    case 'CERT_HAS_EXPIRED':
      return `TLS certificate of ${target} is not trusted (${code}); pass --ca FILE or, for a test receiver, --insecure (Zoom itself will refuse it)`
  }
  if (error instanceof errors.HeadersTimeoutError || error instanceof errors.BodyTimeoutError || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return `${target} did not answer in time`
  }
  // One line, whatever the library said: no OpenSSL dump in the middle of a table.
  return `${target}: ${((error as Error).message.split('\n')[0] ?? '').slice(0, 160)}${code ? ` (${code})` : ''}`
}

/** The URL without credentials or query, safe to print. */
export function safeOrigin(url: string): string {
  try {
    const parsed = new URL(url)
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`
  } catch {
    return 'the endpoint'
  }
}

/** A CA file given with --ca: it must exist and hold a PEM certificate (not a key). */
export function readCertificate(path: string): Buffer {
  let bytes: Buffer
  try {
    bytes = readFileSync(path)
  } catch (error) {
    throw new OptionError(`--ca: cannot read ${path}: ${fileProblem(error)}`)
  }
  try {
    new X509Certificate(bytes)
  } catch {
    throw new OptionError(`--ca: ${path} is not a PEM certificate${/PRIVATE KEY/.test(bytes.toString('latin1')) ? ' (it is a private key)' : ''}`, {hint: 'give the CA certificate that signed the endpoint\'s certificate'})
  }
  return bytes
}

/** The endpoint URL of --url: http(s), with a host. */
export function checkEndpointUrl(url: string, flag = '--url'): void {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new OptionError(`${flag}: "${url.slice(0, 80)}" is not a URL`, {hint: 'a full URL such as http://127.0.0.1:8181/zoom-webhook'})
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new OptionError(`${flag}: use http:// or https://, not ${parsed.protocol}`, {hint: 'e.g. http://127.0.0.1:8181/zoom-webhook'})
}
