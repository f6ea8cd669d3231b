import {errors} from '@elastic/elasticsearch'

import {createElasticClient, type ElasticConnection, elasticError, type ElasticSettings, readClusterInfo} from '../elastic/connection.js'
import {describeCredential} from '../elastic/credentials.js'
import {UserError} from '../errors.js'
import {agentDocument, DEFAULT_TAGS, indexedDocument} from '../mapping/index.js'
import {appTag} from '../zoom/apps.js'
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
  private readonly index: string

  constructor(
    private readonly connection: ElasticConnection,
    private readonly options: ElasticSinkOptions,
  ) {
    this.index = forwardDataStream(options)
  }

  /** Read when asked: the version is known once the connection made in the background has answered. */
  get description(): string {
    const how = this.options.preMap ? "zoomctl's mapped documents, no ingest pipeline" : "the agent's documents, mapped by the Zoom integration's pipeline"
    return `Elasticsearch ${this.connection.info.version} → ${this.index} (${how})`
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
    // The app a delivery came from, as a tag beside the integration's own: tags is a keyword in its mapping.
    const tags = record.app ? [...DEFAULT_TAGS, appTag(record.app)] : undefined
    const envelope = {receivedAt: new Date(record.receivedAt), namespace: this.options.namespace, integrationVersion: this.options.integrationVersion, ...(tags ? {tags} : {})}
    const body = record.event ?? JSON.parse(rawBodyBytes(record).toString('utf8'))
    if (!this.options.preMap) return agentDocument(body, envelope)
    const document = indexedDocument(body, envelope)
    document.data_stream = {type: 'logs', dataset: 'zoomctl.webhook', namespace: this.options.namespace}
    ;(document.event as Record<string, unknown>).dataset = 'zoomctl.webhook'
    return document
  }

  /**
   * Each record's two bulk lines, serialised here, one record at a time: a record that cannot be mapped or
   * serialised (nested thousands deep, a mapping that throws) is dead on its own, with its reason, and the
   * others go on; serialised inside the client, it would fail the whole batch again and again.
   */
  private bulkLines(records: DeliveryRecord[]): {operations: string[]; sent: number[]; poisoned: Map<number, string>} {
    const operations: string[] = []
    const sent: number[] = []
    const poisoned = new Map<number, string>()
    records.forEach((record, index) => {
      try {
        const action = JSON.stringify({create: {_index: this.index, _id: record.dedupeKey ?? record.id}})
        operations.push(action, JSON.stringify(this.document(record)))
        sent.push(index)
      } catch (error) {
        poisoned.set(index, `cannot map or serialise this record: ${(error as Error).message}`)
      }
    })
    return {operations, sent, poisoned}
  }

  async send(records: DeliveryRecord[], signal?: AbortSignal): Promise<BatchOutcome> {
    const {operations, sent, poisoned} = this.bulkLines(records)
    if (!poisoned.size) return this.sendBulk(records, operations, signal)
    const outcome: BatchOutcome = sent.length ? await this.sendBulk(sent.map((index) => records[index]!), operations, signal) : {kind: 'items', items: []}
    if (outcome.kind === 'paused') return outcome
    const answered: ItemOutcome[] = outcome.kind === 'items' ? outcome.items : sent.map(() => ({kind: 'retry', error: outcome.error, retryAfterMs: outcome.retryAfterMs}))
    const items: ItemOutcome[] = records.map((_, index) => (poisoned.has(index) ? {kind: 'dead', error: poisoned.get(index)!} : {kind: 'retry', error: 'not answered'}))
    sent.forEach((index, position) => (items[index] = answered[position]!))
    return {kind: 'items', items}
  }

  private async sendBulk(records: DeliveryRecord[], operations: string[], signal?: AbortSignal): Promise<BatchOutcome> {
    try {
      // The forwarder retries with its own back-off; the client's retry would wait 1-2 s more, and not for Ctrl-C.
      const answer = await this.connection.client.bulk({operations, ...(this.options.preMap ? {pipeline: '_none'} : {})}, {signal, maxRetries: 0})
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
 * serve's connection to Elasticsearch, made in the background: serve listens at once (an unreachable or slow
 * cluster must not keep Zoom's deliveries waiting), and `connected` says later what the first contact found.
 * Until then, and while the cluster is unreachable, deliveries wait in the store.
 */
export function connectInBackground(settings: ElasticSettings): {connection: ElasticConnection; connected: Promise<UserError | undefined>} {
  const connection: ElasticConnection = {client: createElasticClient(settings), info: {clusterName: '', version: '(connecting)', flavor: 'unknown', serverless: false}, settings, credential: describeCredential(settings)}
  const connected = readClusterInfo(connection.client).then(
    (info) => {
      connection.info = info
      return undefined
    },
    (error: unknown) => {
      connection.info = {...connection.info, version: '(not reachable yet)'}
      return elasticError(error, settings)
    },
  )
  return {connection, connected}
}

/**
 * What the first contact's failure means for forwarding: an unreachable cluster may come back (the sink is
 * down); wrong credentials, TLS or product will not by themselves (paused, with what to fix). The forwarding
 * event's own words say that deliveries wait in the store.
 */
export function connectionProblem(error: UserError): {message: string; lasting: boolean} {
  if (error.category === 'network') return {message: error.message, lasting: false}
  return {message: `${error.message}${error.hint ? ` (${error.hint})` : ''}`, lasting: true}
}
