import {randomBytes} from 'node:crypto'
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'

import {MEETING_ACTIVITY_TYPES, REPORT_APIS, REPORT_MAX_PAGE_SIZE, REPORT_STREAMS, type ReportStream, scopeAllows} from '../zoom/reports.js'
import {syntheticTimedRecords, type TimedRecord} from './synthetic.js'

/**
 * A local stand-in for Zoom's report API, for the Elastic Agent's CEL input (the integration's `url` and
 * `token_url` point here): Server-to-Server OAuth tokens, the three report endpoints with Zoom's
 * parameters, paging, error bodies and rate limits, over synthetic records of a window of days.
 *
 * Zoom's exact words for a free plan, a disabled audit trail, bad dates and a page_size over 300 are not
 * documented (../shared/zoom/api.md C4, F2): the bodies here keep Zoom's {code, message} shape and the
 * codes its error table lists, so a client is tested on the shape and the status, not on the wording.
 */
export interface ReportApiOptions {
  host: string
  port: number
  accountId: string
  clientId: string
  clientSecret: string
  /** The token's space-separated scope (default report:read:admin). */
  scope: string
  seed: number
  /** Records cover this many days back from now. */
  days: number
  perDay?: number
  /** 'basic' answers every report as Zoom does a free account. */
  plan: 'pro' | 'basic'
  /** Off: meeting_activities answers as for an account whose audit trail Zoom Support has not enabled. */
  auditTrail: boolean
  /** Report calls (Heavy) per UTC day before the daily 429. */
  dailyLimit: number
  /** Report calls per second before a per-second 429. */
  perSecond: number
  /** This many of each stream's oldest records lack the user's email. */
  withoutEmail?: number
  now?: () => Date
  /** Each answer to a report call, for the console and --record. */
  onRequest?: (entry: ServedEntry) => void
}

export interface ServedEntry {
  method: string
  path: string
  status: number
  stream?: ReportStream
  from?: string
  to?: string
  /** The records this answer carried. */
  records?: Array<Record<string, unknown>>
  morePages?: boolean
  /** Zoom's {code, message} on a refusal. */
  error?: {code: number; message: string}
}

export interface ReportApi {
  url: string
  server: Server
  /** Every record the API holds, by stream (what it can serve), oldest first. */
  records: Record<ReportStream, TimedRecord[]>
  close(): Promise<void>
}

const TOKEN_TTL_S = 3600
/** Zoom: "The expiration period for this token is 15 minutes." */
const PAGE_TOKEN_TTL_MS = 15 * 60_000
const DEFAULT_PAGE_SIZE = 30
const DAY_MS = 86_400_000

interface PageCursor {
  query: string
  offset: number
  expiresAt: number
}

export async function startReportApi(options: ReportApiOptions): Promise<ReportApi> {
  const now = options.now ?? (() => new Date())
  const records = Object.fromEntries(
    REPORT_STREAMS.map((stream) => [stream, withoutEmail(stream, syntheticTimedRecords(stream, {seed: options.seed, days: options.days, until: now(), perDay: options.perDay}), options.withoutEmail ?? 0)]),
  ) as Record<ReportStream, TimedRecord[]>
  const tokens = new Map<string, {expiresAt: number; scope: string}>()
  const cursors = new Map<string, PageCursor>()
  const usage = {day: -1, dayCount: 0, second: -1, secondCount: 0}

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => send(response, 500, {code: 500, message: `zoomctl simulate-api: ${(error as Error).message}`}))
  })

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://zoom.local')
    if (url.pathname === '/oauth/token') return token(request, response, url, await readBody(request))
    const stream = REPORT_STREAMS.find((candidate) => REPORT_APIS[candidate].path === url.pathname.replace(/\/+$/, ''))
    const entry = {method: request.method ?? 'GET', path: url.pathname}
    const refuse = (status: number, code: number, message: string, headers: Record<string, string> = {}, extra: object = {}) => {
      options.onRequest?.({...entry, stream, status, error: {code, message}})
      send(response, status, {code, message, ...extra}, headers)
    }
    if (!stream) return refuse(404, 404, 'Not found.')
    if (request.method !== 'GET') return refuse(405, 405, `Method ${request.method} is not allowed.`)
    const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1]
    const grant = bearer ? tokens.get(bearer) : undefined
    if (!grant) return refuse(401, 124, 'Invalid access token.')
    if (grant.expiresAt <= now().getTime()) return refuse(401, 124, 'Access token is expired.')
    if (!scopeAllows(grant.scope, stream)) return refuse(400, 4711, `Invalid access token, does not contain scopes:[report:read:admin, ${REPORT_APIS[stream].scope}].`)

    const limited = rateLimit()
    if (limited) return refuse(429, 429, limited.message, limited.headers)
    if (options.plan === 'basic') return refuse(400, 200, 'Only available for Paid account.')
    if (stream === 'meeting_activity' && !options.auditTrail) return refuse(400, 200, 'Meeting audit trail log is not enabled for this account. Contact Zoom Support.')

    const query = readQuery(url, stream, now())
    if ('invalid' in query) return refuse(400, 300, query.invalid, {}, query.field ? {errors: [{field: query.field, message: query.invalid}]} : {})
    let offset = 0
    if (query.pageToken) {
      const cursor = cursors.get(query.pageToken)
      if (!cursor || cursor.expiresAt <= now().getTime() || cursor.query !== query.key) return refuse(400, 300, 'The next page token is invalid or expired.')
      offset = cursor.offset
    }
    const matching = select(records[stream], query, now())
    const page = matching.slice(offset, offset + query.pageSize).map((timed) => timed.record)
    let nextPageToken = ''
    if (offset + query.pageSize < matching.length) {
      nextPageToken = randomBytes(24).toString('base64url')
      cursors.set(nextPageToken, {query: query.key, offset: offset + query.pageSize, expiresAt: now().getTime() + PAGE_TOKEN_TTL_MS})
    }
    options.onRequest?.({...entry, stream, status: 200, from: query.from, to: query.to, records: page, morePages: nextPageToken !== ''})
    send(response, 200, {from: query.from, to: query.to, page_size: query.pageSize, next_page_token: nextPageToken, [REPORT_APIS[stream].arrayKey]: page})
  }

  function token(request: IncomingMessage, response: ServerResponse, url: URL, body: string): void {
    if (request.method !== 'POST') return send(response, 405, {reason: 'Method Not Allowed', error: 'invalid_request'})
    // Zoom takes the parameters in the query or a form body (api.md C1).
    const form = new URLSearchParams(body)
    const param = (name: string) => form.get(name) ?? url.searchParams.get(name) ?? undefined
    const basic = /^Basic\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1]
    const [id, ...secret] = basic ? Buffer.from(basic, 'base64').toString('utf8').split(':') : []
    if (!basic) return send(response, 400, {reason: 'Client ID or client secret is missing.', error: 'invalid_request'})
    if (id !== options.clientId || secret.join(':') !== options.clientSecret) return send(response, 401, {reason: 'Invalid client_id or client_secret', error: 'invalid_client'})
    const grantType = param('grant_type')
    if (!grantType) return send(response, 400, {reason: 'Missing grant type.', error: 'invalid_request'})
    if (grantType !== 'account_credentials') return send(response, 400, {reason: 'unsupported grant type', error: 'unsupported_grant_type'})
    if (param('account_id') !== options.accountId) return send(response, 400, {reason: 'Account does not exist', error: 'invalid_request'})
    const accessToken = randomBytes(32).toString('base64url')
    tokens.set(accessToken, {expiresAt: now().getTime() + TOKEN_TTL_S * 1000, scope: options.scope})
    send(response, 200, {access_token: accessToken, token_type: 'bearer', expires_in: TOKEN_TTL_S, scope: options.scope, api_url: api.url})
  }

  /** Report APIs are Heavy: a per-second budget and a daily cap per account, cleared at 00:00 UTC. */
  function rateLimit(): {message: string; headers: Record<string, string>} | undefined {
    const at = now().getTime()
    const day = Math.floor(at / DAY_MS)
    const second = Math.floor(at / 1000)
    if (usage.day !== day) Object.assign(usage, {day, dayCount: 0})
    if (usage.second !== second) Object.assign(usage, {second, secondCount: 0})
    if (usage.dayCount >= options.dailyLimit) {
      return {
        message: 'You have reached the maximum daily rate limit for this API. Refer to the response header for details on when you can make another request.',
        headers: {'retry-after': new Date((day + 1) * DAY_MS).toUTCString(), 'x-ratelimit-category': 'Heavy', 'x-ratelimit-type': 'Daily-limit', 'x-ratelimit-limit': String(options.dailyLimit), 'x-ratelimit-remaining': '0'},
      }
    }
    if (usage.secondCount >= options.perSecond) {
      return {message: 'You have reached the maximum per-second rate limit for this API. Try again later.', headers: {'retry-after': '1', 'x-ratelimit-category': 'Heavy', 'x-ratelimit-type': 'QPS'}}
    }
    usage.dayCount++
    usage.secondCount++
    return undefined
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, () => resolve())
  })
  const address = server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  const api: ReportApi = {
    url: `http://${host}:${address.port}`,
    server,
    records,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
  return api
}

interface ReportQuery {
  from: string
  to: string
  pageSize: number
  pageToken?: string
  activityType?: string
  /** The query without its page token: a token is good only for the query that made it. */
  key: string
}

const DATE = /^\d{4}-\d{2}-\d{2}$/

function readQuery(url: URL, stream: ReportStream, now: Date): ReportQuery | {invalid: string; field?: string} {
  const today = now.toISOString().slice(0, 10)
  const to = url.searchParams.get('to') || today
  const from = url.searchParams.get('from') || new Date(Date.parse(to) - 30 * DAY_MS).toISOString().slice(0, 10)
  for (const [field, value] of [['from', from], ['to', to]] as const) {
    if (!DATE.test(value) || Number.isNaN(Date.parse(value))) return {invalid: `Invalid field: ${field} must be a date in yyyy-mm-dd format.`, field}
  }
  if (from > to) return {invalid: 'The from date must not be after the to date.', field: 'from'}
  if (Date.parse(to) - Date.parse(from) > 31 * DAY_MS) return {invalid: 'The date range cannot exceed one month.', field: 'to'}
  const sizeText = url.searchParams.get('page_size')
  const pageSize = sizeText === null || sizeText === '' ? DEFAULT_PAGE_SIZE : Number(sizeText)
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > REPORT_MAX_PAGE_SIZE) {
    return {invalid: `Invalid field: page_size must be a whole number from 1 to ${REPORT_MAX_PAGE_SIZE}.`, field: 'page_size'}
  }
  let activityType: string | undefined
  if (stream === 'meeting_activity') {
    activityType = url.searchParams.get('activity_type') || 'All Activities'
    if (!(MEETING_ACTIVITY_TYPES as readonly string[]).includes(activityType)) {
      return {invalid: `Invalid field: activity_type must be one of ${MEETING_ACTIVITY_TYPES.join(', ')}.`, field: 'activity_type'}
    }
  }
  const pageToken = url.searchParams.get('next_page_token') || undefined
  return {from, to, pageSize, pageToken, activityType, key: JSON.stringify([stream, from, to, pageSize, activityType])}
}

/** The records of [from, to] (whole UTC days, both included) up to now, newest first. */
function select(records: TimedRecord[], query: ReportQuery, now: Date): TimedRecord[] {
  const start = Date.parse(query.from)
  const end = Date.parse(query.to) + DAY_MS
  return records
    .filter((timed) => timed.at >= start && timed.at < end && timed.at <= now.getTime())
    .filter((timed) => !query.activityType || query.activityType === 'All Activities' || timed.record.activity_category === query.activityType)
    .reverse()
}

/** The n oldest records without the user's email: how validate's check of user.email is seen to fail. */
function withoutEmail(stream: ReportStream, records: TimedRecord[], count: number): TimedRecord[] {
  return records.map((timed, index) => {
    if (index >= count) return timed
    const record = {...timed.record}
    if (stream === 'activity') delete record.email
    if (stream === 'meeting_activity') delete record.operator_email
    if (stream === 'operation') record.operator = 'Zoom API'
    return {...timed, record}
  })
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  response.writeHead(status, {'content-type': 'application/json;charset=UTF-8', 'content-length': Buffer.byteLength(text), 'x-zm-trackingid': `ZOOMCTL_${randomBytes(9).toString('hex')}`, ...headers})
  response.end(text)
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}
