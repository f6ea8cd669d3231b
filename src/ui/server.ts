import {randomBytes} from 'node:crypto'
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'

import {StoreCounter} from '../deliveries/counts.js'
import {followDeliveries} from '../deliveries/follow.js'
import {type DeliveryEntry, type EntryFilter, listDeliveries, type ListedEntry, matchingDeliveries, type PageOptions, pageOfDeliveries, showDelivery} from '../deliveries/list.js'
import {isWholeId} from '../deliveries/ids.js'
import {decodeCursor, encodeCursor, findDelivery} from '../deliveries/newest.js'
import type {StorePart} from '../deliveries/source.js'
import {UserError} from '../errors.js'
import {listenError} from '../receiver/server.js'
import {recordLine} from '../store/records.js'
import {runReplay} from '../replay/replay.js'
import {createDispatcher, safeOrigin} from '../sender/client.js'
import {toCurl} from '../sender/curl.js'
import {prepareDelivery} from '../sender/prepare.js'
import {type AuthSettings, modeHeader} from '../zoom/auth.js'
import {ZOOM_BUDGET_MS} from '../zoom/limits.js'
import {percentile} from '../timing.js'
import {allowedHostsFor, judgeRequest, pageNeedsToken, TOKEN_HEADER} from './guard.js'
import {INSPECTOR_SCRIPT, INSPECTOR_STYLE, inspectorPage} from './page.js'

/** One delivery as the page lists it: a store entry, plus what only the live receiver knows. */
export interface LiveEntry extends Omit<DeliveryEntry, 'verdict'> {
  /** rejected: not authentic, so answered and never stored (listed live only). */
  verdict: DeliveryEntry['verdict'] | 'rejected'
  durationMs?: number
  accountId?: string
}

const ALL_PARTS: StorePart[] = ['accepted', 'refused', 'dead-letter']

/** Deliveries read for one page at most: about half a second of a large store. */
const SCAN_LIMIT = 50_000

export interface InspectorOptions {
  host: string
  port: number
  dataDir: string
  /** Where re-send goes by default: the receiver this page belongs to. */
  receiverUrl?: string
  auth: AuthSettings
  integrationVersion?: string
  /**
   * The token its page holds and sends back (see guard.ts); random for each process when not given. Beyond
   * loopback the page itself needs it too: its URL carries it.
   */
  token?: string
  /**
   * Live deliveries from serve itself; without it (zoomctl ui on a stopped or separate store) the page
   * follows the store's files.
   */
  subscribe?: (listener: (entry: LiveEntry) => void) => () => void
}

export interface RunningInspector {
  url: string
  close(): Promise<void>
}

const LATENCY_WINDOW = 1000

/**
 * The inspector: a page on its own port (never the webhook's, which may be public) and the JSON it reads.
 * Deliveries come from the one deliveries source; re-send goes through replay.
 */
export async function startInspector(options: InspectorOptions): Promise<RunningInspector> {
  const token = options.token ?? randomBytes(24).toString('base64url')
  const guard = {allowedHosts: allowedHostsFor(options.host), token, pageNeedsToken: pageNeedsToken(options.host)}
  const clients = new Set<ServerResponse>()
  const recent: Array<{at: number; durationMs?: number}> = []
  const publish = (entry: LiveEntry) => {
    recent.push({at: Date.now(), durationMs: entry.durationMs})
    if (recent.length > LATENCY_WINDOW) recent.shift()
    const line = `data: ${JSON.stringify(entry)}\n\n`
    for (const client of clients) client.write(line)
  }
  const counter = new StoreCounter(options.dataDir)
  const stopFollowing = new AbortController()
  const unsubscribe = options.subscribe?.(publish)
  if (!options.subscribe) {
    void (async () => {
      // What the page's live list shows: stored deliveries (refusals come from serve itself, gaps with the list).
      for await (const entry of followDeliveries(options.dataDir, {verdicts: ['accepted', 'duplicate', 'refused']}, stopFollowing.signal)) publish(entry as DeliveryEntry)
    })().catch(() => undefined)
  }

  const server: Server = createServer((request, response) => {
    // On every answer: no other site may frame it, sniff it into a script, or learn where it was opened from.
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value)
    const url = new URL(request.url ?? '/', 'http://inspector')
    const judgement = judgeRequest(
      {
        method: request.method ?? 'GET',
        path: url.pathname,
        host: request.headers.host,
        origin: request.headers.origin,
        contentType: request.headers['content-type'],
        headerToken: request.headers[TOKEN_HEADER]?.toString(),
        queryToken: url.searchParams.get('token') ?? undefined,
      },
      guard,
    )
    if (!judgement.ok) return json(response, judgement.status, {error: {message: judgement.message, reason: judgement.reason}})
    void handle(request, response, url).catch((error: unknown) => {
      if (!response.headersSent) json(response, error instanceof UserError ? 400 : 500, {error: {message: (error as Error).message}})
      else response.destroy()
    })
  })

  async function handle(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname
    if (path === '/' && request.method === 'GET') {
      response.writeHead(200, {'content-type': 'text/html; charset=utf-8'})
      return void response.end(inspectorPage(token, options.receiverUrl && safeOrigin(options.receiverUrl)))
    }
    if (path === '/inspector.js' && request.method === 'GET') {
      response.writeHead(200, {'content-type': 'text/javascript; charset=utf-8'})
      return void response.end(INSPECTOR_SCRIPT)
    }
    if (path === '/inspector.css' && request.method === 'GET') {
      response.writeHead(200, {'content-type': 'text/css; charset=utf-8'})
      return void response.end(INSPECTOR_STYLE)
    }
    if (path === '/api/deliveries' && request.method === 'GET') {
      // A page reads the store backwards from its cursor, and at most SCAN_LIMIT deliveries: a rare filter on
      // a million-delivery store answers in parts (with a cursor to go on), never with a minute's wait.
      const filter = filterFrom(url)
      // What serve did not store (requests refused as unauthenticated, doctor's probes, the WebSocket's gaps)
      // is kept apart and bounded: listed whole, newest first, without paging.
      if (filter.verdicts?.some((verdict) => NOT_STORED.has(verdict))) {
        const entries: ListedEntry[] = await listDeliveries(options.dataDir, filter, pageFrom(url, 200, 2000).limit)
        return json(response, 200, {deliveries: entries.reverse(), scanned: entries.length})
      }
      const page = await pageOfDeliveries(options.dataDir, filter, {...pageFrom(url, 200, 2000), scanLimit: SCAN_LIMIT})
      return json(response, 200, {deliveries: page.entries, scanned: page.scanned, ...(page.next ? {next: encodeCursor(page.next)} : {})})
    }
    if (path === '/api/stats' && request.method === 'GET') return json(response, 200, await stats(counter, recent))
    if (path === '/api/stream' && request.method === 'GET') {
      response.writeHead(200, {'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive'})
      response.write(': connected\n\n')
      clients.add(response)
      request.on('close', () => clients.delete(response))
      return
    }
    const one = /^\/api\/deliveries\/([\w.:-]+)(\/curl)?$/.exec(path)
    if (one && request.method === 'GET') {
      const notFound = () => json(response, 404, {error: {message: `no delivery ${one[1]}`}})
      if (!one[2]) {
        const detail = await showDelivery(options.dataDir, one[1]!, {integrationVersion: options.integrationVersion, hint: url.searchParams.get('at') ?? undefined})
        return detail ? json(response, 200, detail) : notFound()
      }
      // A signed line is minted for one delivery named in full, never for whatever an id's start matches.
      if (!isWholeId(one[1]!)) return json(response, 400, {error: {message: 'name the delivery by its whole id'}})
      // The curl line needs the body only: one read of the store, no document mapped.
      const raw = (await findDelivery(options.dataDir, ALL_PARTS, one[1]!, url.searchParams.get('at') ?? undefined))?.delivery.rawBody
      if (!raw) return notFound()
      const {target, auth} = resendTarget(url.searchParams.get('url') || undefined)
      const secret = modeHeader(auth)
      return json(response, 200, {curl: toCurl(target ?? 'http://127.0.0.1:8181/zoom-webhook', prepareDelivery(raw, auth), secret ? {name: secret[0], mode: auth.mode} : undefined)})
    }
    if (path === '/api/resend' && request.method === 'POST') {
      let body: {ids?: unknown; url?: unknown}
      try {
        body = JSON.parse((await readBody(request)) || '{}') as typeof body
      } catch {
        return json(response, 400, {error: {message: 'the body is not JSON'}})
      }
      const ids = Array.isArray(body.ids) ? body.ids.filter((id): id is string => typeof id === 'string') : []
      if (!ids.length) return json(response, 400, {error: {message: 'give the ids of the deliveries to re-send'}})
      // Sending is never done for an id's start (a guess of 4 characters would match one delivery in 65,536).
      if (!ids.every(isWholeId)) return json(response, 400, {error: {message: 'name each delivery to re-send by its whole id'}})
      if (body.url !== undefined && typeof body.url !== 'string') return json(response, 400, {error: {message: 'url must be a string'}})
      const {target, auth, credentials} = resendTarget(body.url || undefined)
      if (!target) return json(response, 400, {error: {message: 'this inspector has no receiver to re-send to: type a URL (or start zoomctl ui with --url)'}})
      // Each found by its bytes, not by reading the whole store through replay's filter.
      const found = await Promise.all(ids.slice(0, 1000).map((id) => findDelivery(options.dataDir, ALL_PARTS, id)))
      const deliveries = found.flatMap((item) => (item ? [item.delivery] : []))
      if (!deliveries.length) return json(response, 404, {error: {message: 'none of these deliveries is in the store'}})
      const dispatcher = createDispatcher({timeoutMs: 10_000})
      try {
        const report = await runReplay({
          sources: [{kind: 'found', deliveries}],
          filter: {},
          url: target,
          auth,
          dispatcher,
          concurrency: 4,
          rate: 0,
          overrides: [],
          selection: 'inspector',
        })
        return json(response, 200, {url: safeOrigin(target), ...(credentials ? {credentials} : {}), sent: report.sent, succeeded: report.succeeded, copies: report.copies, failed: report.failed, failures: report.failures})
      } finally {
        await dispatcher.close()
      }
    }
    if (path === '/api/export' && request.method === 'GET') {
      response.writeHead(200, {'content-type': 'application/x-ndjson', 'content-disposition': 'attachment; filename="zoomctl-deliveries.ndjson"'})
      // Every delivery the filter selects, however many: oldest first, as the store keeps them, in its format
      // (a body kept in a file of its own stays there), streamed as read.
      for await (const {delivery} of matchingDeliveries(options.dataDir, filterFrom(url), url.searchParams.get('q') ?? undefined)) {
        const {record, rawBody, body} = delivery
        if (!record) continue
        const line = record.rawBodyFile ? `${JSON.stringify(record)}\n` : recordLine(record, rawBody, body !== undefined)
        if (!response.write(line)) await new Promise((resolve) => response.once('drain', resolve))
        if (response.destroyed) return
      }
      return void response.end()
    }
    json(response, 404, {error: {message: `no ${request.method} ${path} here`}})
  }

  /**
   * Where a re-send goes, signed how. By default the receiver this page belongs to (or --url), with the auth
   * the user configured for it. A URL typed in the page gets the Zoom signature only: the auth header
   * configured for the receiver is a credential for that receiver, never for an address typed here.
   */
  function resendTarget(typed: string | undefined): {target?: string; auth: AuthSettings; credentials?: string} {
    if (!typed || typed === options.receiverUrl) return {target: options.receiverUrl, auth: options.auth}
    const parsed = URL.canParse(typed) ? new URL(typed) : undefined
    if (!parsed || !/^https?:$/.test(parsed.protocol)) throw new UserError(`${typed} is not an http(s) URL`)
    const auth: AuthSettings = {mode: 'signature', secretToken: options.auth.secretToken}
    return {target: typed, auth, ...(options.auth.mode === 'signature' ? {} : {credentials: `signed only: the ${options.auth.mode} credential configured for the receiver is not sent to a URL typed here`})}
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(listenError(error, options.host, options.port, '--ui-port')))
    server.listen(options.port, options.host, () => resolve())
  })
  const address = server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return {
    url: `http://${host}:${address.port}/${guard.pageNeedsToken ? `?token=${token}` : ''}`,
    async close() {
      unsubscribe?.()
      stopFollowing.abort()
      for (const client of clients) client.end()
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

/** Verdicts of what serve keeps apart from its store. */
const NOT_STORED = new Set<string>(['rejected', 'probe', 'gap'])

function filterFrom(url: URL): EntryFilter {
  const verdict = url.searchParams.get('verdict')
  const event = url.searchParams.get('event')
  const before = url.searchParams.get('before')
  return {
    ...(verdict ? {verdicts: [verdict as NonNullable<EntryFilter['verdicts']>[number]]} : {}),
    ...(event ? {events: [event]} : {}),
    ...(before ? {until: new Date(Date.parse(before) - 1)} : {}),
  }
}

/** limit, q and the cursor of a page request (a cursor that is not ours is bad input). */
function pageFrom(url: URL, defaultLimit: number, maxLimit: number): PageOptions {
  const given = url.searchParams.get('cursor')
  const cursor = given ? decodeCursor(given) : undefined
  if (given && !cursor) throw new UserError('cursor is not one this inspector gave')
  const text = url.searchParams.get('q') ?? undefined
  return {limit: Math.min(Number(url.searchParams.get('limit') ?? defaultLimit) || defaultLimit, maxLimit), ...(text ? {text} : {}), ...(cursor ? {cursor} : {})}
}

async function stats(counter: StoreCounter, recent: Array<{at: number; durationMs?: number}>) {
  const counts = await counter.counts()
  const now = Date.now()
  const lastMinute = recent.filter((item) => now - item.at < 60_000).length
  const latencies = recent.map((item) => item.durationMs).filter((value): value is number => value !== undefined).sort((a, b) => a - b)
  return {counts, perMinute: lastMinute, latencyMs: {p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), budget: ZOOM_BUDGET_MS}}
}

/**
 * No script, style or connection but the inspector's own; no frame, no form, no <base>; nosniff; no
 * Referer (the page's address may hold its token); nothing cached (the page holds the token).
 */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  'cache-control': 'no-store',
}

function json(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  response.writeHead(status, {'content-type': 'application/json', 'content-length': Buffer.byteLength(text)})
  response.end(text)
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = ''
    request.on('data', (chunk: Buffer) => {
      text += chunk.toString()
      if (text.length > 1 << 20) request.destroy(new Error('request too large'))
    })
    request.on('end', () => resolve(text))
    request.on('error', reject)
  })
}
