/**
 * A strict stand-in for Zoom's OAuth token endpoint and the Marketplace API parts zoomctl uses, written
 * from ../shared/zoom/api.md (A: event subscriptions, B: webhook logs, C: Server-to-Server OAuth):
 * - POST /oauth/token: Basic client_id:client_secret, a form body only (the query string is refused, as
 *   Zoom began to), grant_type account_credentials (+ account_id) or client_credentials; tokens expire.
 * - /v2/marketplace/app/event_subscription: GET (paged with next_page_token), POST (validated like Zoom:
 *   1500 for a missing field, 1601 for an unknown event, 1602 for one outside the app's scopes, then a real
 *   URL-validation challenge to the URL, 1701 when the answer is wrong or later than 3 s), DELETE /{id}.
 * - /v2/marketplace/apps/{appId}/webhook_logs: the last 7 days of what it delivered (deliver()), filtered
 *   like Zoom's (from/to, type 1/2/3, event, page_size ≤ 300), with its error codes.
 * Rate limits: a per-second budget for create (HEAVY) and the rest (MEDIUM), and a daily cap; 429 past them.
 * Where api.md marks a detail UNCONFIRMED, an option picks it so tests can cover each possibility.
 * Deviation, said once: Zoom needs https webhook URLs; the double also takes http on 127.0.0.1, so tests
 * need no certificate.
 */
import {createHmac, randomBytes, randomUUID} from 'node:crypto'
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo, Socket} from 'node:net'

export interface ZoomSubscription {
  event_subscription_id: string
  events: string[]
  event_subscription_name?: string
  event_webhook_url: string
  subscription_scope: 'user' | 'account' | 'master_account'
  created_source: 'default' | 'openapi'
  subscriber_id: string
  custom_header?: {custom_header_type: number; custom_header_key?: string; custom_header_value?: string}
}

export interface WebhookLog {
  event: string
  status: number
  failed_reason_type?: number
  user_id: string
  endpoint: string
  subscription_id: string
  request_headers: string
  request_body: string
  response_headers: string
  response_body: string
  date_time: string
  trace_id: string
  request_id: string
  retry_num: number
}

export interface ZoomApiDoubleOptions {
  accountId?: string
  clientId?: string
  clientSecret?: string
  appId?: string
  /** The app's Secret Token: signs the challenge and every delivery. */
  secretToken?: string
  /** Scopes the token carries (space-separated in its answer). */
  tokenScopes?: string[]
  /** Events the app's build-flow scopes allow; anything else is 1602. Default: every event given in knownEvents. */
  allowedEvents?: string[]
  /** Events Zoom knows (1601 otherwise). Default: any name with a dot. */
  knownEvents?: string[]
  tokenTtlSeconds?: number
  /** UNCONFIRMED (api.md C4): the status of an invalid_client answer. */
  invalidClientStatus?: 400 | 401
  /** UNCONFIRMED (api.md A4): whether the list refuses a query without user_id. */
  requireUserId?: boolean
  /** UNCONFIRMED (api.md E7, F6): whether the custom header comes with the challenge too. */
  customHeaderOnChallenge?: boolean
  /** How long the challenge's answer may take (Zoom: 3 s). */
  validationTimeoutMs?: number
  /** Writes (create) per second before a 429, and other calls per second. */
  heavyPerSecond?: number
  mediumPerSecond?: number
  /** Calls per day before the daily 429. */
  dailyCap?: number
  /** Whether webhook_logs needs marketplace_app:read(:admin) in the token (UNCONFIRMED, api.md B1). */
  logsNeedScope?: boolean
}

export interface DeliveryOutcome {
  status: number
  failedReasonType?: number
  log: WebhookLog
}

const ALL_TOKEN_SCOPES = ['marketplace:delete:event_subscription', 'marketplace:read:list_event_subscriptions', 'marketplace:write:event_subscription', 'marketplace_app:read:admin']

export class ZoomApiDouble {
  url = ''
  readonly options: Required<Omit<ZoomApiDoubleOptions, 'allowedEvents' | 'knownEvents'>> & Pick<ZoomApiDoubleOptions, 'allowedEvents' | 'knownEvents'>
  readonly subscriptions: ZoomSubscription[] = []
  readonly logs: WebhookLog[] = []
  /** Every create and delete that changed something: what an idempotent run must leave at zero. */
  writes = 0
  /** Every request, as "METHOD /path". */
  readonly requests: string[] = []
  /** Challenges sent on create, with the verdict. */
  readonly validations: Array<{url: string; ok: boolean; reason?: string; headers: Record<string, string>}> = []
  private readonly tokens = new Map<string, {expiresAt: number; grant: string}>()
  private readonly pageTokens = new Map<string, {items: unknown[]; key: string; pageSize: number; expiresAt: number}>()
  private readonly windows = {heavy: [] as number[], medium: [] as number[], day: 0}
  private server?: Server
  private readonly sockets = new Set<Socket>()
  /** Milliseconds to add to the clock (expire tokens without waiting). */
  clockSkewMs = 0

  constructor(options: ZoomApiDoubleOptions = {}) {
    this.options = {
      accountId: 'double-account',
      clientId: 'double-client-id',
      clientSecret: 'double-client-secret',
      appId: 'double-app-id',
      secretToken: 'double-secret-token',
      tokenScopes: ALL_TOKEN_SCOPES,
      tokenTtlSeconds: 3600,
      invalidClientStatus: 401,
      requireUserId: false,
      customHeaderOnChallenge: true,
      validationTimeoutMs: 3000,
      heavyPerSecond: 10,
      mediumPerSecond: 20,
      dailyCap: 1_000_000,
      logsNeedScope: true,
      ...options,
    }
  }

  /** Base of the REST API, as --zoom-api-url takes it. */
  get apiUrl(): string {
    return `${this.url}/v2`
  }

  get tokenUrl(): string {
    return `${this.url}/oauth/token`
  }

  /** The env a zoomctl run needs to talk to this double. */
  get env(): Record<string, string> {
    return {
      ZOOM_ACCOUNT_ID: this.options.accountId,
      ZOOM_CLIENT_ID: this.options.clientId,
      ZOOM_CLIENT_SECRET: this.options.clientSecret,
      ZOOM_APP_ID: this.options.appId,
      ZOOMCTL_ZOOM_API_URL: this.apiUrl,
      ZOOMCTL_ZOOM_TOKEN_URL: this.tokenUrl,
    }
  }

  async start(): Promise<this> {
    this.server = createServer((request, response) => void this.handle(request, response))
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket)
      socket.on('close', () => this.sockets.delete(socket))
    })
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve))
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
    return this
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy()
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()))
  }

  /** A subscription made in the build flow (created_source default): the API may read it, never change it. */
  addBuildFlowSubscription(fields: {events: string[]; url: string; name?: string; id?: string}): ZoomSubscription {
    const subscription: ZoomSubscription = {
      event_subscription_id: fields.id ?? zoomId(),
      events: fields.events,
      event_subscription_name: fields.name ?? 'Build flow subscription',
      event_webhook_url: fields.url,
      subscription_scope: 'account',
      created_source: 'default',
      subscriber_id: this.options.accountId,
    }
    this.subscriptions.push(subscription)
    return subscription
  }

  private now(): number {
    return Date.now() + this.clockSkewMs
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    const body = Buffer.concat(chunks).toString('utf8')
    const url = new URL(request.url ?? '/', this.url)
    this.requests.push(`${request.method} ${url.pathname}`)
    const send = (status: number, payload?: unknown, headers: Record<string, string> = {}) => {
      if (payload === undefined) return void response.writeHead(status, headers).end()
      response.writeHead(status, {'content-type': 'application/json;charset=UTF-8', ...headers}).end(JSON.stringify(payload))
    }
    try {
      if (url.pathname === '/oauth/token') return this.token(request, url, body, send)
      if (!url.pathname.startsWith('/v2/')) return send(404, {code: 404, message: 'Not Found'})
      const auth = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1]
      const token = auth ? this.tokens.get(auth) : undefined
      if (!token) return send(401, {code: 124, message: 'Invalid access token.'})
      if (token.expiresAt <= this.now()) return send(401, {code: 124, message: 'Access token is expired.'})
      const path = url.pathname.slice(3)
      const heavy = request.method === 'POST'
      const limited = this.rateLimit(heavy)
      if (limited) return send(429, {code: 429, message: limited.message}, limited.headers)
      if (path === '/marketplace/app/event_subscription' && request.method === 'GET') return this.list(url, send)
      if (path === '/marketplace/app/event_subscription' && request.method === 'POST') return await this.create(body, send)
      const one = /^\/marketplace\/app\/event_subscription\/([^/]+)$/.exec(path)
      if (one && request.method === 'DELETE') return this.remove(decodeURIComponent(one[1]!), send)
      const logs = /^\/marketplace\/apps\/([^/]+)\/webhook_logs$/.exec(path)
      if (logs && request.method === 'GET') return this.webhookLogs(decodeURIComponent(logs[1]!), url, send)
      return send(404, {code: 404, message: 'Not Found'})
    } catch (error) {
      send(500, {code: 500, message: (error as Error).message})
    }
  }

  private token(request: IncomingMessage, url: URL, body: string, send: (status: number, payload?: unknown, headers?: Record<string, string>) => void): void {
    if (request.method !== 'POST') return send(405, {reason: 'Method Not Allowed', error: 'invalid_request'})
    if (url.search) return send(400, {reason: 'Bad Request', error: 'invalid_request'})
    if (!/^application\/x-www-form-urlencoded/.test(request.headers['content-type'] ?? '')) return send(400, {reason: 'Bad Request', error: 'invalid_request'})
    const basic = /^Basic (.+)$/.exec(request.headers.authorization ?? '')?.[1]
    const [clientId, clientSecret] = basic ? Buffer.from(basic, 'base64').toString('utf8').split(/:(.*)/s) : []
    if (!clientId) return send(400, {reason: 'Client ID or client secret is missing', error: 'invalid_request'})
    if (clientId !== this.options.clientId || clientSecret !== this.options.clientSecret) return send(this.options.invalidClientStatus, {reason: 'Invalid client_id or client_secret', error: 'invalid_client'})
    const form = new URLSearchParams(body)
    const grant = form.get('grant_type')
    if (grant === 'account_credentials') {
      if (!form.get('account_id')) return send(400, {reason: 'Bad Request', error: 'invalid_request'})
      if (form.get('account_id') !== this.options.accountId) return send(400, {reason: 'Account does not exist', error: 'invalid_request'})
    } else if (grant !== 'client_credentials') {
      return send(400, {reason: 'unsupported grant type', error: 'unsupported_grant_type'})
    }
    const accessToken = randomBytes(24).toString('base64url')
    this.tokens.set(accessToken, {expiresAt: this.now() + this.options.tokenTtlSeconds * 1000, grant})
    send(200, {access_token: accessToken, token_type: 'bearer', expires_in: this.options.tokenTtlSeconds, scope: this.options.tokenScopes.join(' '), api_url: 'https://api.zoom.us'})
  }

  /** Every token given so far stops working (the app deactivated, its secret regenerated). */
  revokeTokens(): void {
    this.tokens.clear()
  }

  private rateLimit(heavy: boolean): {message: string; headers: Record<string, string>} | undefined {
    const now = this.now()
    this.windows.day++
    if (this.windows.day > this.options.dailyCap) {
      const midnight = new Date(now)
      midnight.setUTCHours(24, 0, 0, 0)
      return {message: "You have reached the maximum daily rate limit for this API. Refer to the response header for details on when you can make another request.", headers: {'retry-after': new Date(midnight).toUTCString(), 'x-ratelimit-type': 'Daily-limit'}}
    }
    const window = heavy ? this.windows.heavy : this.windows.medium
    while (window.length && window[0]! <= now - 1000) window.shift()
    if (window.length >= (heavy ? this.options.heavyPerSecond : this.options.mediumPerSecond)) {
      return {message: "You have reached the maximum per-second rate limit for this API. Try again later.", headers: {'retry-after': '1', 'x-ratelimit-type': 'QPS'}}
    }
    window.push(now)
    return undefined
  }

  /** A request for a later page (next_page_token): answered here, true; a first page is the caller's. */
  private nextPage(url: URL, send: (status: number, payload?: unknown) => void): boolean {
    const next = url.searchParams.get('next_page_token')
    if (!next) return false
    const page = this.pageTokens.get(next)
    if (!page || page.expiresAt < this.now()) send(400, {code: 300, message: 'The next page token is invalid or expired.'})
    else {
      this.pageTokens.delete(next)
      send(200, this.page(page.items, page.key, page.pageSize))
    }
    return true
  }

  private list(url: URL, send: (status: number, payload?: unknown) => void): void {
    if (this.nextPage(url, send)) return
    if (!url.searchParams.get('account_id')) return send(400, {code: 300, message: 'Request parameter account_id is required.'})
    if (this.options.requireUserId && !url.searchParams.get('user_id')) return send(400, {code: 300, message: 'Request parameter user_id is required.'})
    const userId = url.searchParams.get('user_id')
    if (userId && userId !== 'me' && userId !== this.options.accountId) return send(404, {code: 1001, message: `User does not exist or does not belong to this account: ${userId}.`})
    const scope = url.searchParams.get('subscription_scope')
    if (scope && !['user', 'account', 'master_account'].includes(scope)) return send(400, {code: 1500, message: 'The subscription scope is invalid.'})
    const items = this.subscriptions.filter((subscription) => !scope || subscription.subscription_scope === scope).map((subscription) => structuredClone(subscription))
    send(200, this.page(items, 'event_subscriptions', Number(url.searchParams.get('page_size') ?? 30) || 30))
  }

  private page(items: unknown[], key: string, pageSize: number): Record<string, unknown> {
    const size = Math.min(Math.max(1, pageSize), 300)
    let next = ''
    if (items.length > size) {
      next = randomBytes(12).toString('base64url')
      this.pageTokens.set(next, {items: items.slice(size), key, pageSize: size, expiresAt: this.now() + 15 * 60_000})
    }
    return {next_page_token: next, page_size: size, [key]: items.slice(0, size)}
  }

  private async create(body: string, send: (status: number, payload?: unknown) => void): Promise<void> {
    let request: Record<string, unknown>
    try {
      request = JSON.parse(body) as Record<string, unknown>
    } catch {
      return send(400, {code: 300, message: 'Request Body should be a valid JSON object.'})
    }
    const events = request.events
    if (!Array.isArray(events) || events.length === 0) return send(400, {code: 1500, message: 'The events list is empty.'})
    if (typeof request.event_webhook_url !== 'string' || !request.event_webhook_url) return send(400, {code: 1500, message: 'The event webhook url is empty.'})
    if (!['user', 'account', 'master_account'].includes(String(request.subscription_scope))) return send(400, {code: 1500, message: 'The subscription scope is invalid.'})
    for (const event of events as string[]) {
      if (typeof event !== 'string' || !(this.options.knownEvents ? this.options.knownEvents.includes(event) : /^[a-z_]+\.[a-z_.]+$/.test(event))) return send(404, {code: 1601, message: `App event not exists: ${event}`})
      if (this.options.allowedEvents && !this.options.allowedEvents.includes(event)) return send(400, {code: 1602, message: `The event is not allowed for the app: ${event}`})
    }
    const header = request.custom_header as ZoomSubscription['custom_header'] | undefined
    if (header !== undefined) {
      if (typeof header !== 'object' || ![0, 1, 2, 3].includes(Number(header.custom_header_type))) return send(404, {code: 1801, message: 'The custom header type validate failed'})
      if (header.custom_header_type === 3) {
        if (!header.custom_header_key || !/^[a-z0-9A-Z-]+$/.test(header.custom_header_key)) return send(400, {code: 1500, message: 'The custom header key is invalid.'})
        if (/^(x-zm-|content-type$|content-length$|host$)/i.test(header.custom_header_key)) return send(400, {code: 1500, message: 'The custom header key is reserved by Zoom.'})
        if (!header.custom_header_value || header.custom_header_value.length > 256 || /[\r\n]/.test(header.custom_header_value)) return send(400, {code: 1500, message: 'The custom header value is invalid.'})
      }
    }
    const url = request.event_webhook_url
    const verdict = await this.validate(url, header)
    this.validations.push({url, ...verdict})
    if (!verdict.ok) return send(404, {code: 1701, message: `The event webhook url validate failed: ${url}.`})
    const subscription: ZoomSubscription = {
      event_subscription_id: zoomId(),
      events: [...(events as string[])],
      ...(typeof request.event_subscription_name === 'string' ? {event_subscription_name: request.event_subscription_name} : {}),
      event_webhook_url: url,
      subscription_scope: request.subscription_scope as ZoomSubscription['subscription_scope'],
      created_source: 'openapi',
      subscriber_id: typeof request.account_id === 'string' ? request.account_id : this.options.accountId,
      ...(header ? {custom_header: header} : {}),
    }
    this.subscriptions.push(subscription)
    this.writes++
    send(201, {event_subscription_id: subscription.event_subscription_id})
  }

  /** Zoom's challenge, signed like any event, answered in time with the HMAC of the app's Secret Token. */
  private async validate(url: string, header: ZoomSubscription['custom_header']): Promise<{ok: boolean; reason?: string; headers: Record<string, string>}> {
    let target: URL
    try {
      target = new URL(url)
    } catch {
      return {ok: false, reason: 'not a URL', headers: {}}
    }
    if (target.protocol !== 'https:' && !(target.protocol === 'http:' && target.hostname === '127.0.0.1')) return {ok: false, reason: 'not https', headers: {}}
    const plainToken = randomBytes(16).toString('base64url')
    const rawBody = JSON.stringify({payload: {plainToken}, event_ts: this.now(), event: 'endpoint.url_validation'})
    const headers = {...this.signedHeaders(rawBody), ...(this.options.customHeaderOnChallenge ? this.customHeaders(header) : {})}
    try {
      const response = await fetch(url, {method: 'POST', headers, body: rawBody, signal: AbortSignal.timeout(this.options.validationTimeoutMs), redirect: 'manual'})
      const text = await response.text()
      if (response.status !== 200 && response.status !== 204) return {ok: false, reason: `answered ${response.status}`, headers}
      const answer = JSON.parse(text) as {plainToken?: unknown; encryptedToken?: unknown}
      const expected = createHmac('sha256', this.options.secretToken).update(plainToken).digest('hex')
      if (answer.plainToken !== plainToken || answer.encryptedToken !== expected) return {ok: false, reason: 'wrong answer', headers}
      return {ok: true, headers}
    } catch (error) {
      return {ok: false, reason: (error as Error).name === 'TimeoutError' ? 'later than 3 s' : (error as Error).message, headers}
    }
  }

  /** Zoom's headers, signed with the app's Secret Token (or `secret`, to sign wrongly). */
  private signedHeaders(rawBody: string, secret = this.options.secretToken): Record<string, string> {
    const timestamp = Math.floor(this.now() / 1000)
    return {
      'content-type': 'application/json; charset=utf-8',
      'user-agent': 'Zoom Marketplace/1.0a',
      'x-zm-request-timestamp': String(timestamp),
      'x-zm-signature': `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`,
    }
  }

  private customHeaders(header: ZoomSubscription['custom_header']): Record<string, string> {
    if (header?.custom_header_type === 3 && header.custom_header_key && header.custom_header_value) return {[header.custom_header_key]: header.custom_header_value}
    return {}
  }

  private remove(id: string, send: (status: number, payload?: unknown) => void): void {
    const index = this.subscriptions.findIndex((subscription) => subscription.event_subscription_id === id)
    if (index < 0) return send(404, {code: 1601, message: `App event subscription is invalid: ${id}`})
    // Zoom: "You can't use the API method to modify event subscriptions created through the build flow." Its answer is undocumented.
    if (this.subscriptions[index]!.created_source === 'default') return send(400, {code: 1500, message: 'The event subscription created through the build flow cannot be modified by API.'})
    this.subscriptions.splice(index, 1)
    this.writes++
    send(204)
  }

  private webhookLogs(appId: string, url: URL, send: (status: number, payload?: unknown) => void): void {
    if (this.nextPage(url, send)) return
    if (appId !== this.options.appId) return send(404, {code: 1401, message: 'APP ID does not exist'})
    if (this.options.logsNeedScope && !this.options.tokenScopes.some((scope) => /^marketplace_app:read(:admin)?$/.test(scope))) return send(401, {code: 201, message: 'You do not have permission to access the targeted resource.'})
    const now = this.now()
    const format = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/
    const fromText = url.searchParams.get('from')
    const toText = url.searchParams.get('to')
    if ((fromText && !format.test(fromText)) || (toText && !format.test(toText))) return send(404, {code: 1503, message: "The date format is incorrect: use yyyy-MM-dd'T'HH:mm:ss'Z'."})
    const from = fromText ? Date.parse(fromText) : now - 7 * 86_400_000
    const to = toText ? Date.parse(toText) : now
    if (to < from) return send(404, {code: 1501, message: "'to' must be after 'from'"})
    if (from > now) return send(404, {code: 1504, message: "'from' must be before the current date(UTC)"})
    if (from < now - 7 * 86_400_000 - 60_000 || to - from > 7 * 86_400_000 + 60_000) return send(404, {code: 1502, message: 'The date range must be within the last seven days.'})
    const type = Number(url.searchParams.get('type') ?? 2)
    const retryNum = url.searchParams.get('retry_num')
    if (retryNum !== null && !/^[0-3]$/.test(retryNum)) return send(400, {code: 1506, message: 'retry_num must be between 0 and 3.'})
    const event = url.searchParams.get('event')
    const items = this.logs.filter((log) => {
      const at = Date.parse(log.date_time)
      const failed = log.status < 200 || log.status >= 300
      return at >= from && at <= to && (type === 1 || (type === 2 ? failed : !failed)) && (!event || log.event === event) && (retryNum === null || log.retry_num === Number(retryNum))
    })
    const pageSize = Number(url.searchParams.get('page_size') ?? 30) || 30
    if (pageSize > 300) return send(400, {code: 300, message: 'page_size must be at most 300.'})
    send(200, this.page(items, 'webhook_logs', pageSize))
  }

  /**
   * Zoom delivering one event to every subscription that holds it, signed with the app's Secret Token
   * (or `secretToken` to sign wrongly), logged as Zoom logs it. `requestId` repeats for a retry.
   */
  async deliver(event: string, payload: Record<string, unknown> = {}, options: {secretToken?: string; requestId?: string; retryNum?: number; rawBody?: string; dateTime?: number} = {}): Promise<DeliveryOutcome[]> {
    const outcomes: DeliveryOutcome[] = []
    for (const subscription of this.subscriptions.filter((candidate) => candidate.events.includes(event))) {
      const rawBody = options.rawBody ?? JSON.stringify({event, payload: {account_id: this.options.accountId, ...payload}, event_ts: this.now()})
      const requestId = options.requestId ?? randomUUID().replace(/-/g, '_')
      const headers: Record<string, string> = {
        ...this.signedHeaders(rawBody, options.secretToken),
        'x-zm-request-id': requestId,
        ...this.customHeaders(subscription.custom_header),
      }
      let status = -1
      let failedReasonType: number | undefined
      let responseBody = ''
      let responseHeaders = ''
      try {
        const response = await fetch(subscription.event_webhook_url, {method: 'POST', headers, body: rawBody, signal: AbortSignal.timeout(3000), redirect: 'manual'})
        status = response.status
        responseBody = (await response.text()).slice(0, 1000)
        responseHeaders = JSON.stringify(Object.fromEntries(response.headers))
      } catch (error) {
        const cause = (error as {cause?: {code?: string}}).cause?.code ?? ''
        failedReasonType = (error as Error).name === 'TimeoutError' ? 1 : cause === 'ECONNREFUSED' ? 2 : /CERT|SSL|TLS/.test(cause) ? 12 : 7
      }
      const log: WebhookLog = {
        event,
        status,
        ...(failedReasonType === undefined ? (status >= 300 ? {failed_reason_type: 7} : {}) : {failed_reason_type: failedReasonType}),
        user_id: this.options.accountId,
        endpoint: subscription.event_webhook_url,
        subscription_id: subscription.event_subscription_id,
        request_headers: JSON.stringify(headers),
        request_body: rawBody,
        response_headers: responseHeaders,
        response_body: responseBody,
        date_time: new Date(options.dateTime ?? this.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        trace_id: randomUUID().replace(/-/g, ''),
        request_id: requestId,
        retry_num: options.retryNum ?? 0,
      }
      this.logs.push(log)
      outcomes.push({status, failedReasonType: log.failed_reason_type, log})
    }
    return outcomes
  }
}

/** An id shaped as Zoom's (22 characters, base64url): one in 64 starts with "-", which a command line takes for a flag. */
function zoomId(): string {
  return randomBytes(16).toString('base64url').slice(0, 22)
}
