import {type Dispatcher, request} from 'undici'

import {safeUrl} from '../elastic/url.js'
import {rawBodyBytes, type DeliveryRecord} from '../store/records.js'
import {describeNetworkError} from '../sender/client.js'
import {APP_HEADER} from '../zoom/apps.js'

/** What became of one record: delivered (or already there), worth another try, or never deliverable. */
/** A retry that is `waiting` is not a failure: the sink asks for the record again later (a check that must wait out a rollover). */
export type ItemOutcome = {kind: 'done'} | {kind: 'retry'; error: string; retryAfterMs?: number; waiting?: boolean} | {kind: 'dead'; error: string}

/** A batch either got per-record answers, or none: then all of it waits (outage) or the sink pauses (credentials). */
export type BatchOutcome = {kind: 'items'; items: ItemOutcome[]} | {kind: 'retry'; error: string; retryAfterMs?: number} | {kind: 'paused'; error: string}

export interface Sink {
  /** Names the cursor and dead-letter lines: "elasticsearch", "agent". */
  readonly name: string
  /** For the startup line. */
  readonly description: string
  /** `signal`: serve is stopping and will not wait any longer: the requests in flight are abandoned (their records stay in the store). */
  send(records: DeliveryRecord[], signal?: AbortSignal): Promise<BatchOutcome>
  /** Whether the sink answers, sending nothing to index (doctor's probe asks): why not, or undefined. */
  check?(): Promise<string | undefined>
  /** Copies it found in a newer backing index than their first and deleted, since start (the Elasticsearch sink's rollover check). */
  readonly laterCopiesRemoved?: number
  close(): Promise<void>
}

export interface AgentSinkOptions {
  url: string
  /** The static header the integration checks (secret_header / secret_value). */
  header?: [string, string]
  dispatcher: Dispatcher
  /** Requests in flight at once. */
  concurrency?: number
}

/**
 * Relays each accepted delivery to the Elastic Agent's http_endpoint, byte for byte, with the agent's
 * static header. The agent answers 200 once the event is in its queue.
 */
export class AgentSink implements Sink {
  readonly name = 'agent'
  readonly description: string

  constructor(private readonly options: AgentSinkOptions) {
    this.description = `Elastic Agent at ${safeUrl(options.url)}${options.header ? ` (with ${options.header[0]})` : ''}`
  }

  async send(records: DeliveryRecord[], signal?: AbortSignal): Promise<BatchOutcome> {
    const items: ItemOutcome[] = new Array(records.length)
    let paused: string | undefined
    let next = 0
    const worker = async () => {
      for (let i = next++; i < records.length; i = next++) {
        if (paused) {
          items[i] = {kind: 'retry', error: paused}
          continue
        }
        items[i] = await this.sendOne(records[i]!, (error) => (paused = error), signal)
      }
    }
    await Promise.all(Array.from({length: Math.min(this.options.concurrency ?? 8, records.length)}, worker))
    if (paused) return {kind: 'paused', error: paused}
    return {kind: 'items', items}
  }

  /** A HEAD request: any answer means the agent listens (it takes only POSTs, so nothing is indexed). */
  async check(): Promise<string | undefined> {
    try {
      const response = await request(this.options.url, {method: 'HEAD', dispatcher: this.options.dispatcher})
      await response.body.dump()
      return undefined
    } catch (error) {
      return describeNetworkError(error, this.options.url)
    }
  }

  private async sendOne(record: DeliveryRecord, pause: (error: string) => void, signal?: AbortSignal): Promise<ItemOutcome> {
    const headers: Record<string, string> = {'content-type': record.headers['content-type'] ?? 'application/json'}
    for (const [name, value] of Object.entries(record.headers)) {
      if (name.startsWith('x-zm-') || name === 'user-agent') headers[name] = value
    }
    if (record.app) headers[APP_HEADER] = record.app
    if (this.options.header) headers[this.options.header[0]] = this.options.header[1]
    try {
      const response = await request(this.options.url, {method: 'POST', headers, body: rawBodyBytes(record), dispatcher: this.options.dispatcher, signal})
      const text = (await response.body.text()).slice(0, 200)
      const status = response.statusCode
      if (status >= 200 && status < 300) return {kind: 'done'}
      const error = `${status} ${text}`.trim()
      if (status === 401 || status === 403) {
        pause(`the agent refused the forward header (${status} ${text}): check --forward-header against the integration's secret_header/secret_value`)
        return {kind: 'retry', error}
      }
      if (status >= 500 || status === 429 || status === 408) return {kind: 'retry', error, retryAfterMs: retryAfter(response.headers['retry-after'])}
      return {kind: 'dead', error}
    } catch (error) {
      return {kind: 'retry', error: describeNetworkError(error, this.options.url)}
    }
  }

  async close(): Promise<void> {
    await this.options.dispatcher.close().catch(() => undefined)
  }
}

/** A Retry-After header in seconds → ms (an HTTP date is not worth honouring: back-off applies). */
export function retryAfter(value: unknown): number | undefined {
  const text = Array.isArray(value) ? value[0] : value
  const seconds = Number(text)
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined
}
