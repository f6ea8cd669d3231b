import {errors} from '@elastic/elasticsearch'

import {connectElastic, createElasticClient, type ElasticConnection, elasticError, type ElasticSettings} from '../elastic/connection.js'
import {describeCredential} from '../elastic/credentials.js'
import {UserError} from '../errors.js'
import {agentDocument, indexedDocument} from '../mapping/index.js'
import {rawBodyBytes, type DeliveryRecord} from '../store/records.js'
import {type BatchOutcome, type ItemOutcome, retryAfter, type Sink} from './sinks.js'

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

  /** The cluster's root endpoint: reachable, and these credentials accepted. */
  async check(): Promise<string | undefined> {
    try {
      await this.connection.client.info()
      return undefined
    } catch (error) {
      return elasticError(error, this.connection.settings, 'reach Elasticsearch').message
    }
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

/**
 * Wrong credentials, an untrusted certificate or something that is not Elasticsearch stop serve at start:
 * they will not fix themselves. An unreachable cluster does not: deliveries wait in the store until it is back.
 */
export async function connectForForwarding(settings: ElasticSettings): Promise<{connection: ElasticConnection; warning?: string}> {
  try {
    return {connection: await connectElastic(settings)}
  } catch (error) {
    if (error instanceof UserError && error.category === 'network') {
      const client = createElasticClient(settings)
      const info = {clusterName: '', version: '(not reachable yet)', flavor: 'unknown', serverless: false}
      return {connection: {client, info, settings, credential: describeCredential(settings)}, warning: `${error.message}; deliveries wait in the store until it is reachable`}
    }
    throw error
  }
}
