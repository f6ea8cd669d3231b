import {setTimeout as delay} from 'node:timers/promises'

import {Agent, type Dispatcher, request} from 'undici'

import {UserError} from '../../errors.js'
import {describeNetworkError} from '../../sender/client.js'
import {zoomApiError, ZoomApiError} from './errors.js'
import type {ZoomOAuthClient} from './oauth.js'
import {isDailyLimit, retryAfterMs} from './retry-after.js'

export const DEFAULT_ZOOM_API_URL = 'https://api.zoom.us/v2'

export interface ZoomApiOptions {
  oauth: ZoomOAuthClient
  /** Default https://api.zoom.us/v2. */
  baseUrl?: string
  timeoutMs?: number
  /** The longest Retry-After worth waiting for within a command (a per-second limit); longer is an error. */
  maxRetryWaitMs?: number
  sleep?: (ms: number) => Promise<unknown>
}

export interface ZoomResponse<T> {
  status: number
  body: T
}

type Query = Record<string, string | number | undefined>

/**
 * Zoom's REST API with the app's token: a 401 gets one more try with a new token (it may have been
 * revoked early), a per-second 429 waits its Retry-After (a few times), anything else becomes a ZoomApiError
 * in plain words.
 */
export class ZoomApiClient {
  readonly baseUrl: string
  private readonly dispatcher: Dispatcher
  private readonly maxRetryWaitMs: number
  private readonly sleep: (ms: number) => Promise<unknown>

  constructor(private readonly options: ZoomApiOptions) {
    this.baseUrl = (options.baseUrl ?? DEFAULT_ZOOM_API_URL).replace(/\/+$/, '')
    const timeout = options.timeoutMs ?? 30_000
    this.dispatcher = new Agent({headersTimeout: timeout, bodyTimeout: timeout, connectTimeout: Math.min(timeout, 10_000)})
    this.maxRetryWaitMs = options.maxRetryWaitMs ?? 10_000
    this.sleep = options.sleep ?? ((ms) => delay(ms))
  }

  get oauth(): ZoomOAuthClient {
    return this.options.oauth
  }

  async call<T>(method: Dispatcher.HttpMethod, path: string, options: {query?: Query; body?: unknown} = {}): Promise<ZoomResponse<T>> {
    let renewed = false
    for (let attempt = 0; ; attempt++) {
      const token = await this.options.oauth.token()
      const {status, headers, text} = await this.send(method, path, token.accessToken, options)
      const body = parseBody(text)
      if (status < 300) return {status, body: body as T}
      if (status === 401 && !renewed) {
        this.options.oauth.invalidate()
        renewed = true
        continue
      }
      const message = typeof (body as {message?: unknown}).message === 'string' ? (body as {message: string}).message : ''
      if (status === 429) {
        const waitMs = retryAfterMs(headers)
        const daily = isDailyLimit(headers, message, waitMs)
        if (!daily && attempt < 3 && (waitMs ?? 1000) <= this.maxRetryWaitMs) {
          await this.sleep(waitMs ?? 1000)
          continue
        }
        throw zoomApiError({status, body: body as object, method, path, waitMs, daily})
      }
      throw zoomApiError({status, body: body as object, method, path})
    }
  }

  private async send(method: Dispatcher.HttpMethod, path: string, accessToken: string, options: {query?: Query; body?: unknown}): Promise<{status: number; headers: Record<string, string | string[] | undefined>; text: string}> {
    const url = new URL(`${this.baseUrl}${path}`)
    for (const [name, value] of Object.entries(options.query ?? {})) if (value !== undefined && value !== '') url.searchParams.set(name, String(value))
    try {
      const response = await request(url, {
        method,
        dispatcher: this.dispatcher,
        headers: {
          authorization: `Bearer ${accessToken}`,
          accept: 'application/json',
          ...(options.body === undefined ? {} : {'content-type': 'application/json'}),
        },
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
      })
      return {status: response.statusCode, headers: response.headers, text: await response.body.text()}
    } catch (error) {
      throw new UserError(`cannot reach Zoom's API: ${describeNetworkError(error, this.baseUrl)}`, {category: 'network', code: 'zoom-api-unreachable', hint: 'check the network (a proxy?) and --zoom-api-url (ZOOMCTL_ZOOM_API_URL; default https://api.zoom.us/v2)'})
    }
  }

  /** Every page of a list (next_page_token), up to a bound that no real list reaches. */
  async allPages<T>(path: string, key: string, query: Query = {}, maxPages = 200): Promise<T[]> {
    const items: T[] = []
    let next: string | undefined
    for (let page = 0; page < maxPages; page++) {
      const {body} = await this.call<Record<string, unknown>>('GET', path, {query: {...query, next_page_token: next}})
      const list = body[key]
      if (Array.isArray(list)) items.push(...(list as T[]))
      next = typeof body.next_page_token === 'string' && body.next_page_token ? body.next_page_token : undefined
      if (!next) break
    }
    return items
  }

  /** Closes its connections and the OAuth client's. */
  async close(): Promise<void> {
    await Promise.all([this.dispatcher.close(), this.options.oauth.close()])
  }
}

function parseBody(text: string): Record<string, unknown> {
  if (!text) return {}
  try {
    const parsed = JSON.parse(text) as unknown
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {}
  } catch {
    return {message: text.trimStart().startsWith('<') ? '' : text.slice(0, 200)}
  }
}

export {ZoomApiError}
