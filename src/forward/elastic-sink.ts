import {errors, type estypes} from '@elastic/elasticsearch'

import {createElasticClient, type ElasticConnection, elasticError, type ElasticSettings, readClusterInfo} from '../elastic/connection.js'
import {describeCredential} from '../elastic/credentials.js'
import {UserError} from '../errors.js'
import {agentDocument, agentDocumentHead, type AgentEnvelope, DEFAULT_TAGS, indexedDocument} from '../mapping/index.js'
import {appTag} from '../zoom/apps.js'
import {rawBodyBytes, type DeliveryRecord} from '../store/records.js'
import {eventTsOf, eventTimeOfText} from './event-time.js'
import {BULK_ANSWER, DEFAULT_SETTLE_MS, type Landed, RolloverDedupe} from './rollover-dedupe.js'
import {type BatchOutcome, type ItemOutcome, retryAfter, type Sink} from './sinks.js'

export interface ElasticSinkOptions {
  namespace: string
  /** zoomctl's mapped document into its own data stream, with no ingest pipeline. */
  preMap: boolean
  integrationVersion?: string
  /**
   * After each write, look for an earlier copy in an older backing index when the event predates the one it
   * landed in, and delete the later copy (see rollover-dedupe.ts): exactly once across rollovers and
   * replicas. Off: the _id alone dedupes, within one backing index.
   */
  dedupeIndex?: boolean
  /** How long after a rollover a write still routed to the old write index may take to be visible there. */
  settleMs?: number
  /** How far apart the clocks of Zoom, serve and the cluster may be. */
  clockMarginMs?: number
  /** Something the rollover check met and cannot cover (a document outside the data stream's backing indices …). */
  onWarning?: (message: string) => void
}

/** The data stream each mode writes to. */
export function forwardDataStream(options: ElasticSinkOptions): string {
  return options.preMap ? `logs-zoomctl.webhook-${options.namespace}` : `logs-zoom.webhook-${options.namespace}`
}

/** A record as the sink sends it: its key, its event's time and its document. */
interface Prepared {
  key: string
  /** event_ts, when the body has a plausible one (only read with the rollover dedupe on). */
  eventMs?: number
  /**
   * The document, serialised here (one that cannot be, nested thousands deep, is dead on its own, with its
   * reason): the whole of it, or the text before the body's own text, which then goes in as it is.
   */
  line: string
  body?: string
}

/** What closes an agent's document after the body it holds under `zoom`, and ends its line. */
const DOCUMENT_END = '}\n'

/**
 * _bulk with create only (data streams take nothing else) and an _id derived from the delivery's dedupe
 * key, which every document also carries in labels.zoomctl_dedupe_key (validate --duplicates counts by it).
 * A resend, a retry or another replica's copy answers 409 while the first copy is in the same backing
 * index; one that lands in a newer backing index is found and deleted afterwards (rollover-dedupe.ts),
 * unless that is turned off.
 */
export class ElasticSink implements Sink {
  readonly name = 'elasticsearch'
  readonly index: string
  readonly copies?: RolloverDedupe

  constructor(
    private readonly connection: ElasticConnection,
    private readonly options: ElasticSinkOptions,
  ) {
    this.index = forwardDataStream(options)
    if (options.dedupeIndex !== false) {
      this.copies = new RolloverDedupe(connection.client, {dataStream: this.index, settleMs: this.settleMs, clockMarginMs: options.clockMarginMs, onWarning: options.onWarning})
    }
  }

  get laterCopiesRemoved(): number | undefined {
    return this.copies?.removed
  }

  private get settleMs(): number {
    return this.options.settleMs ?? DEFAULT_SETTLE_MS
  }

  /** Read when asked: the version is known once the connection made in the background has answered. */
  get description(): string {
    const how = this.options.preMap ? "zoomctl's mapped documents, no ingest pipeline" : "the agent's documents, mapped by the Zoom integration's pipeline"
    const once = this.options.dedupeIndex === false ? '' : '; copies after a rollover found and removed'
    return `Elasticsearch ${this.connection.info.version} → ${this.index} (${how}${once})`
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

  /** `owned`: the body was parsed for this call alone, so the mapping may work on it in place. */
  document(record: DeliveryRecord, body: unknown = record.event ?? JSON.parse(rawBodyBytes(record).toString('utf8')), owned = false): Record<string, unknown> {
    const envelope = this.envelope(record, owned)
    const document = this.options.preMap ? indexedDocument(body, envelope) : agentDocument(body, envelope)
    if (this.options.preMap) {
      document.data_stream = {type: 'logs', dataset: 'zoomctl.webhook', namespace: this.options.namespace}
      ;(document.event as Record<string, unknown>).dataset = 'zoomctl.webhook'
    }
    document.labels = {...(document.labels as Record<string, unknown> | undefined), zoomctl_dedupe_key: record.dedupeKey ?? record.id}
    return document
  }

  private envelope(record: DeliveryRecord, owned: boolean): AgentEnvelope {
    // The app a delivery came from, as a tag beside the integration's own: tags is a keyword in its mapping.
    const tags = record.app ? [...DEFAULT_TAGS, appTag(record.app)] : undefined
    return {receivedAt: new Date(record.receivedAt), namespace: this.options.namespace, integrationVersion: this.options.integrationVersion, bodyIsOwned: owned, ...(tags ? {tags} : {})}
  }

  /**
   * A record as _bulk sends it: its key, its event's time and its document's line. The agent's document holds
   * the body as it came, so a stored body that is one line of JSON text (what the receiver accepted and
   * wrote) goes into the line as that text: neither parsed nor written out again. A mapped document
   * (--pre-map) needs the body parsed; one parsed here is this call's alone and is mapped in place, one
   * parsed before (the request path's) is sent again on a retry, so the mapping copies it.
   */
  private prepare(record: DeliveryRecord, key: string): Prepared | {key: string; poison: string} {
    try {
      // includes() rather than /[\n\r]/: a search for one character runs through a body's text at memchr's pace (0.09 against 0.76 µs a body).
      const text = record.rawBodyEncoding || record.rawBodyFile || typeof record.rawBody !== 'string' || record.rawBody.includes('\n') || record.rawBody.includes('\r') ? undefined : record.rawBody
      if (!this.options.preMap && text !== undefined) {
        // Kept in the record's metadata by serve; scanned for in the body of a record stored before.
        const eventMs = !this.copies ? undefined : (record.eventTs ?? (record.event !== undefined ? eventTsOf(record.event) : (eventTimeOfText(text) ?? eventTsOf(JSON.parse(text)))))
        // The body's text goes into the request as it is, after the document's head (bulkBody).
        return {key, eventMs, line: agentDocumentHead(this.envelope(record, false), {zoomctl_dedupe_key: key}), body: text}
      }
      const body = record.event ?? JSON.parse(rawBodyBytes(record).toString('utf8'))
      // Read before the mapping, which drops event_ts from a body it works on in place.
      const eventMs = record.eventTs ?? eventTsOf(body)
      return {key, eventMs, line: JSON.stringify(this.document(record, body, record.event === undefined))}
    } catch (error) {
      return {key, poison: `cannot map or serialise this record: ${(error as Error).message}`}
    }
  }

  async send(records: DeliveryRecord[], signal?: AbortSignal): Promise<BatchOutcome> {
    try {
      const {slot, outcomes, live, body} = this.batchOf(records)
      if (body) {
        const written = await this.write(body, live.length, signal)
        if (written.kind !== 'landed') return written
        const landed: Array<{i: number; at: Landed}> = []
        written.items.forEach((item, n) => {
          const {i, key, eventMs} = live[n]!
          outcomes[i] = item.outcome
          if (item.index !== undefined) landed.push({i, at: {key, eventMs, index: item.index}})
        })
        if (this.copies && landed.length) {
          const verdicts = await this.copies.settle(landed.map(({at}) => at))
          const paused = verdicts.find((verdict) => verdict.kind === 'paused')
          if (paused?.kind === 'paused') return {kind: 'paused', error: paused.error}
          verdicts.forEach((verdict, n) => {
            if (verdict.kind === 'retry') outcomes[landed[n]!.i] = verdict
          })
        }
      }
      return {kind: 'items', items: slot.map((at) => outcomes[at]!)}
    } catch (error) {
      // The whole request refused (413 from a proxy in front, a 400): each half may still go, down to one record.
      if (error instanceof errors.ResponseError && (error.statusCode === 413 || error.statusCode === 400) && records.length > 1) return this.sendInHalves(records, signal)
      return this.failure(error)
    }
  }

  /**
   * A batch as _bulk takes it. Copies of one event in one batch (the ack path sends them as they come) go as
   * one: `slot` gives each record its document. Each is mapped and serialised here, one at a time: one that
   * cannot be (nested thousands deep, a mapping that throws) is dead on its own, with its reason, and the
   * others go on. The request's buffer is made here too, so that the documents' text is garbage before the
   * answer is awaited (with three batches in flight, it was kept until then, and outlived young collections).
   */
  private batchOf(records: DeliveryRecord[]): {slot: number[]; outcomes: ItemOutcome[]; live: Array<{i: number; key: string; eventMs?: number}>; body?: Buffer} {
    const first = new Map<string, number>()
    const unique: Array<Prepared | {key: string; poison: string}> = []
    const slot = records.map((record) => {
      const key = record.dedupeKey ?? record.id
      let at = first.get(key)
      if (at === undefined) {
        at = unique.push(this.prepare(record, key)) - 1
        first.set(key, at)
      }
      return at
    })
    const outcomes: ItemOutcome[] = unique.map((item) => ('poison' in item ? {kind: 'dead', error: item.poison} : {kind: 'done'}))
    const prepared: Prepared[] = []
    const live: Array<{i: number; key: string; eventMs?: number}> = []
    unique.forEach((item, i) => {
      if ('poison' in item) return
      prepared.push(item)
      live.push({i, key: item.key, eventMs: item.eventMs})
    })
    return {slot, outcomes, live, ...(prepared.length ? {body: this.bulkBody(prepared)} : {})}
  }

  private async sendInHalves(records: DeliveryRecord[], signal?: AbortSignal): Promise<BatchOutcome> {
    const half = Math.ceil(records.length / 2)
    const items: ItemOutcome[] = []
    for (const part of [records.slice(0, half), records.slice(half)]) {
      const outcome = await this.send(part, signal)
      if (outcome.kind === 'paused') return outcome
      items.push(...(outcome.kind === 'items' ? outcome.items : part.map((): ItemOutcome => ({kind: 'retry', error: outcome.error, retryAfterMs: outcome.retryAfterMs}))))
    }
    return {kind: 'items', items}
  }

  /**
   * The request's body: a create and its document for each, in one buffer, each piece of text encoded into it
   * once. Before, the lines were joined into one string, which was then measured and encoded again.
   */
  private bulkBody(prepared: Prepared[]): Buffer {
    const action = `{"create":{"_index":${JSON.stringify(this.index)},"_id":`
    const heads: string[] = []
    // Room for the worst case (3 bytes a UTF-16 unit), rather than each text's UTF-8 length counted first.
    let room = 0
    for (const {key, line, body} of prepared) {
      const head = `${action}${JSON.stringify(key)}}}\n${line}`
      heads.push(head)
      room += 3 * (head.length + (body?.length ?? 0)) + DOCUMENT_END.length
    }
    const buffer = Buffer.allocUnsafe(room)
    let at = 0
    prepared.forEach(({body}, i) => {
      at += buffer.write(heads[i]!, at)
      if (body !== undefined) {
        at += buffer.write(body, at)
        at += buffer.write(DOCUMENT_END, at)
      } else at += buffer.write('\n', at)
    })
    return buffer.subarray(0, at)
  }

  /** The documents themselves, each created under its key; for each, what it answered and the backing index that holds it (written, or a copy already there). */
  private async write(operations: Buffer, count: number, signal?: AbortSignal): Promise<Exclude<BatchOutcome, {kind: 'items'}> | {kind: 'landed'; items: Array<{outcome: ItemOutcome; index?: string}>}> {
    // The forwarder retries with its own back-off; the client's retry would wait 1-2 s more, and not for Ctrl-C.
    // A write waits for its shard at most half the settle time (1 min by default), which the rollover check counts on.
    const timeout = this.copies && this.settleMs >= 10_000 ? {timeout: `${Math.round(this.settleMs / 2)}ms`} : {}
    const querystring = {filter_path: BULK_ANSWER, ...timeout, ...(this.options.preMap ? {pipeline: '_none'} : {})}
    // meta as the client's own bulk() gives it: the transport's OpenTelemetry span is named by it, and made only with it.
    const answer = await this.connection.client.transport.request<estypes.BulkResponse>({method: 'POST', path: '/_bulk', querystring, bulkBody: operations, meta: {name: 'bulk'}}, {signal, maxRetries: 0})
    if (answer.items.length !== count) return {kind: 'retry', error: `Elasticsearch answered ${answer.items.length} items for ${count} documents`}
    // Credentials refused item by item (Elasticsearch authorises a _bulk per index): the sink pauses, nothing is dead-lettered.
    const refused = answer.items.map((item) => item.create ?? Object.values(item)[0]).find((result) => (result?.status === 401 || result?.status === 403) && result.error?.type === 'security_exception')
    if (refused) return {kind: 'paused', error: `Elasticsearch refused these credentials to index into ${this.index} (${refused.status} ${refused.error?.reason ?? ''}): grant create_doc on ${this.index.replace(/-[^-]+$/, '-*')}`}
    const items = answer.items.map((item): {outcome: ItemOutcome; index?: string} => {
      const result = item.create ?? Object.values(item)[0]
      const status = result?.status ?? 0
      if ((status >= 200 && status < 300) || status === 409) return {outcome: {kind: 'done'}, index: result?._index}
      const error = `${status} ${result?.error?.type ?? ''}: ${result?.error?.reason ?? 'no reason given'}`
      if (status === 429 || status >= 500) return {outcome: {kind: 'retry', error}}
      return {outcome: {kind: 'dead', error}}
    })
    return {kind: 'landed', items}
  }

  private failure(error: unknown): BatchOutcome {
    const message = elasticError(error, this.connection.settings, `index into ${this.index}`).message
    if (error instanceof errors.ResponseError) {
      const status = error.statusCode ?? 0
      if (status === 401 || status === 403) return {kind: 'paused', error: message}
      if (status === 429 || status >= 500) return {kind: 'retry', error: message, retryAfterMs: retryAfter(error.headers?.['retry-after'])}
      // A record that alone makes the request refused (send() splits a batch down to it).
      return {kind: 'items', items: [{kind: 'dead', error: message}]}
    }
    // Timed out: the request may still run in the cluster. Sent again only once it must have run, so that a copy
    // of it landing late in a newer backing index is seen by the resend's check.
    const unanswered = this.copies && error instanceof errors.TimeoutError
    return {kind: 'retry', error: message, ...(unanswered ? {retryAfterMs: this.settleMs} : {})}
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
