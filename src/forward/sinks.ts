import {errors} from '@elastic/elasticsearch'
import {type Dispatcher, request} from 'undici'

import {type ElasticConnection, elasticError, safeUrl} from '../elastic/connection.js'
import {agentDocument, indexedDocument} from '../mapping/index.js'
import {rawBodyBytes, type DeliveryRecord} from '../store/records.js'
import {describeNetworkError} from '../sender/client.js'

/** What became of one record: delivered (or already there), worth another try, or never deliverable. */
export type ItemOutcome = {kind: 'done'} | {kind: 'retry'; error: string; retryAfterMs?: number} | {kind: 'dead'; error: string}

/** A batch either got per-record answers, or none: then all of it waits (outage) or the sink pauses (credentials). */
export type BatchOutcome = {kind: 'items'; items: ItemOutcome[]} | {kind: 'retry'; error: string; retryAfterMs?: number} | {kind: 'paused'; error: string}

export interface Sink {
  /** Names the cursor and dead-letter lines: "elasticsearch", "agent". */
  readonly name: string
  /** For the startup line. */
  readonly description: string
  send(records: DeliveryRecord[]): Promise<BatchOutcome>
  close(): Promise<void>
}

export interface ElasticSinkOptions {
  namespace: string
  /** zoomctl's mapped document into its own data stream, with no ingest pipeline. */
  preMap: boolean
  integrationVersion?: string
}

/** The data stream each mode writes to. */
export function forwardDataStream(options: ElasticSinkOptions): string {
  return options.preMap ? `logs-zoomctl.webhook-${options.namespace}` : `logs-zoom.webhook-${options.namespace}`
}

/**
 * _bulk with create only (data streams take nothing else) and an _id derived from the delivery's dedupe
 * key: a resend after a crash, Zoom's retry of the same event, or a copy another serve instance received
 * all answer 409 — already there — instead of indexing twice.
 */
export class ElasticSink implements Sink {
  readonly name = 'elasticsearch'
  readonly description: string
  private readonly index: string

  constructor(
    private readonly connection: ElasticConnection,
    private readonly options: ElasticSinkOptions,
  ) {
    this.index = forwardDataStream(options)
    const how = options.preMap ? "zoomctl's mapped documents, no ingest pipeline" : "the agent's documents, mapped by the Zoom integration's pipeline"
    this.description = `Elasticsearch ${connection.info.version} → ${this.index} (${how})`
  }

  document(record: DeliveryRecord): Record<string, unknown> {
    const envelope = {receivedAt: new Date(record.receivedAt), namespace: this.options.namespace, integrationVersion: this.options.integrationVersion}
    const body = record.event ?? JSON.parse(rawBodyBytes(record).toString('utf8'))
    if (!this.options.preMap) return agentDocument(body, envelope)
    const document = indexedDocument(body, envelope)
    document.data_stream = {type: 'logs', dataset: 'zoomctl.webhook', namespace: this.options.namespace}
    ;(document.event as Record<string, unknown>).dataset = 'zoomctl.webhook'
    return document
  }

  async send(records: DeliveryRecord[]): Promise<BatchOutcome> {
    const operations: unknown[] = []
    for (const record of records) operations.push({create: {_index: this.index, _id: record.dedupeKey ?? record.id}}, this.document(record))
    try {
      const answer = await this.connection.client.bulk({operations, ...(this.options.preMap ? {pipeline: '_none'} : {})})
      const items = answer.items.map((item): ItemOutcome => {
        const result = item.create ?? Object.values(item)[0]
        const status = result?.status ?? 0
        if ((status >= 200 && status < 300) || status === 409) return {kind: 'done'}
        const error = `${status} ${result?.error?.type ?? ''}: ${result?.error?.reason ?? 'no reason given'}`
        if (status === 429 || status >= 500) return {kind: 'retry', error}
        return {kind: 'dead', error}
      })
      if (items.length !== records.length) return {kind: 'retry', error: `Elasticsearch answered ${items.length} items for ${records.length} documents`}
      return {kind: 'items', items}
    } catch (error) {
      if (error instanceof errors.ResponseError) {
        const status = error.statusCode ?? 0
        const message = elasticError(error, this.connection.settings, `index into ${this.index}`).message
        if (status === 401 || status === 403) return {kind: 'paused', error: message}
        if (status === 429 || status >= 500) return {kind: 'retry', error: message, retryAfterMs: retryAfter(error.headers?.['retry-after'])}
        // The whole request was refused (413, 400): each record alone may still go, so none is lost here.
        if (records.length > 1) return {kind: 'items', items: records.map(() => ({kind: 'retry', error: message}))}
        return {kind: 'items', items: [{kind: 'dead', error: message}]}
      }
      return {kind: 'retry', error: elasticError(error, this.connection.settings, `index into ${this.index}`).message}
    }
  }

  async close(): Promise<void> {
    await this.connection.client.close().catch(() => undefined)
  }
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

  async send(records: DeliveryRecord[]): Promise<BatchOutcome> {
    const items: ItemOutcome[] = new Array(records.length)
    let paused: string | undefined
    let next = 0
    const worker = async () => {
      for (let i = next++; i < records.length; i = next++) {
        if (paused) {
          items[i] = {kind: 'retry', error: paused}
          continue
        }
        items[i] = await this.sendOne(records[i]!, (error) => (paused = error))
      }
    }
    await Promise.all(Array.from({length: Math.min(this.options.concurrency ?? 8, records.length)}, worker))
    if (paused) return {kind: 'paused', error: paused}
    return {kind: 'items', items}
  }

  private async sendOne(record: DeliveryRecord, pause: (error: string) => void): Promise<ItemOutcome> {
    const headers: Record<string, string> = {'content-type': record.headers['content-type'] ?? 'application/json'}
    for (const [name, value] of Object.entries(record.headers)) {
      if (name.startsWith('x-zm-') || name === 'user-agent') headers[name] = value
    }
    if (this.options.header) headers[this.options.header[0]] = this.options.header[1]
    try {
      const response = await request(this.options.url, {method: 'POST', headers, body: rawBodyBytes(record), dispatcher: this.options.dispatcher})
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

function retryAfter(value: unknown): number | undefined {
  const text = Array.isArray(value) ? value[0] : value
  const seconds = Number(text)
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined
}
