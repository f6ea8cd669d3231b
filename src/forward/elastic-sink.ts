import {errors} from '@elastic/elasticsearch'

import {createElasticClient, type ElasticConnection, elasticError, type ElasticSettings, readClusterInfo} from '../elastic/connection.js'
import {describeCredential} from '../elastic/credentials.js'
import {dedupeIndex, dedupeIndexPrefix} from '../elastic/names.js'
import {UserError} from '../errors.js'
import {agentDocument, DEFAULT_TAGS, indexedDocument} from '../mapping/index.js'
import {appTag} from '../zoom/apps.js'
import {rawBodyBytes, type DeliveryRecord} from '../store/records.js'
import {BULK_ANSWER, ClaimLedger, type ClaimVerdict, DEFAULT_CLAIM_LEASE_MS} from './claims.js'
import {eventTime, eventTimeOfText} from './event-time.js'
import {type BatchOutcome, type ItemOutcome, retryAfter, type Sink} from './sinks.js'

export interface ElasticSinkOptions {
  namespace: string
  /** zoomctl's mapped document into its own data stream, with no ingest pipeline. */
  preMap: boolean
  integrationVersion?: string
  /**
   * Claim each event in a zoomctl-dedupe-* index before writing it (see claims.ts): exactly once across
   * rollovers and replicas. Off: the _id alone dedupes, within the current backing index only.
   */
  dedupeIndex?: boolean
  /** How old an unwritten claim must be before another serve takes it over. */
  claimLeaseMs?: number
  /** How long a day's claim index is kept after its day (Zoom's retries end ~85 min after the first try). */
  claimRetentionMs?: number
  /** Something worth saying that is not a failure of one batch (a claim index that could not be dropped). */
  onWarning?: (message: string) => void
}

/** The data stream each mode writes to. */
export function forwardDataStream(options: ElasticSinkOptions): string {
  return options.preMap ? `logs-zoomctl.webhook-${options.namespace}` : `logs-zoom.webhook-${options.namespace}`
}

/** A record as the sink sends it: its key, the day of its claim and its document. */
interface Prepared {
  key: string
  eventMs: number
  /** The document, serialised here: one that cannot be (nested thousands deep) is dead on its own, with its reason. */
  line: string
}

/**
 * _bulk with create only (data streams take nothing else) and an _id derived from the delivery's dedupe
 * key, which every document also carries in labels.zoomctl_dedupe_key (validate --duplicates counts by it).
 * With the dedupe index (the default) each key is first claimed, so that a copy is refused whichever
 * backing index is current (claims.ts); without it a resend, a retry or another replica's copy answers
 * 409 only while the first copy is in the current write index.
 */
export class ElasticSink implements Sink {
  readonly name = 'elasticsearch'
  readonly index: string
  readonly claims?: ClaimLedger
  private sweeper?: NodeJS.Timeout

  constructor(
    private readonly connection: ElasticConnection,
    private readonly options: ElasticSinkOptions,
  ) {
    this.index = forwardDataStream(options)
    if (options.dedupeIndex !== false) {
      this.claims = new ClaimLedger(connection.client, {dataStream: this.index, leaseMs: options.claimLeaseMs ?? DEFAULT_CLAIM_LEASE_MS})
      // A day's claims go as a whole once the day is well past: at start, then every hour.
      const sweep = () => void this.dropOldClaimIndices()
      setImmediate(sweep)
      this.sweeper = setInterval(sweep, 3_600_000).unref()
    }
  }

  /** Read when asked: the version is known once the connection made in the background has answered. */
  get description(): string {
    const how = this.options.preMap ? "zoomctl's mapped documents, no ingest pipeline" : "the agent's documents, mapped by the Zoom integration's pipeline"
    const once = this.options.dedupeIndex === false ? '' : '; each event claimed once in zoomctl-dedupe-*'
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
    // The app a delivery came from, as a tag beside the integration's own: tags is a keyword in its mapping.
    const tags = record.app ? [...DEFAULT_TAGS, appTag(record.app)] : undefined
    const envelope = {receivedAt: new Date(record.receivedAt), namespace: this.options.namespace, integrationVersion: this.options.integrationVersion, bodyIsOwned: owned, ...(tags ? {tags} : {})}
    const document = this.options.preMap ? indexedDocument(body, envelope) : agentDocument(body, envelope)
    if (this.options.preMap) {
      document.data_stream = {type: 'logs', dataset: 'zoomctl.webhook', namespace: this.options.namespace}
      ;(document.event as Record<string, unknown>).dataset = 'zoomctl.webhook'
    }
    document.labels = {...(document.labels as Record<string, unknown> | undefined), zoomctl_dedupe_key: record.dedupeKey ?? record.id}
    return document
  }

  /**
   * A record as _bulk sends it: its key, its claim's day and its document's line. The agent's document holds
   * the body as it came, so a stored body that is one line of JSON text (what the receiver accepted and
   * wrote) goes into the line as that text: neither parsed nor written out again. A mapped document
   * (--pre-map) needs the body parsed; one parsed here is this call's alone and is mapped in place, one
   * parsed before (the request path's) is sent again on a retry, so the mapping copies it.
   */
  private prepare(record: DeliveryRecord, key: string): Prepared | {key: string; poison: string} {
    try {
      const text = record.rawBodyEncoding || record.rawBodyFile || typeof record.rawBody !== 'string' || /[\n\r]/.test(record.rawBody) ? undefined : record.rawBody
      if (!this.options.preMap && text !== undefined) {
        const eventMs = !this.claims ? 0 : record.event !== undefined ? eventTime(record.event, record.receivedAt) : (eventTimeOfText(text) ?? eventTime(JSON.parse(text), record.receivedAt))
        const document = this.document(record, null)
        delete document.zoom
        const members = JSON.stringify(document)
        return {key, eventMs, line: `${members.slice(0, -1)},"zoom":${text}}`}
      }
      const body = record.event ?? JSON.parse(rawBodyBytes(record).toString('utf8'))
      // Read before the mapping, which drops event_ts from a body it works on in place.
      const eventMs = eventTime(body, record.receivedAt)
      return {key, eventMs, line: JSON.stringify(this.document(record, body, record.event === undefined))}
    } catch (error) {
      return {key, poison: `cannot map or serialise this record: ${(error as Error).message}`}
    }
  }

  async send(records: DeliveryRecord[], signal?: AbortSignal): Promise<BatchOutcome> {
    try {
      // Copies of one event in one batch (the ack path sends them as they come) go as one. Each record is
      // mapped and serialised here, one at a time: one that cannot be (nested thousands deep, a mapping that
      // throws) is dead on its own, with its reason, and the others go on.
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
      const live = unique.map((_, i) => i).filter((i) => !('poison' in unique[i]!))
      const prepared = (i: number) => unique[i] as Prepared
      const verdicts: ClaimVerdict[] = this.claims ? await this.claims.decide(live.map(prepared)) : live.map(() => ({kind: 'write'}))
      const paused = verdicts.find((verdict) => verdict.kind === 'paused')
      if (paused?.kind === 'paused') return {kind: 'paused', error: paused.error}
      // A 'write' is replaced below by what its write answered.
      verdicts.forEach((verdict, n) => {
        if (verdict.kind === 'retry') outcomes[live[n]!] = verdict
      })
      const writes = live.filter((_, n) => verdicts[n]!.kind === 'write')
      if (writes.length) {
        const written = await this.write(writes.map(prepared), signal)
        if (written.kind !== 'items') return written
        written.items.forEach((item, n) => {
          const i = writes[n]!
          outcomes[i] = item
          if (item.kind !== 'retry') this.claims?.release(prepared(i).key)
        })
      }
      return {kind: 'items', items: slot.map((at) => outcomes[at]!)}
    } catch (error) {
      return this.failure(error, records.length)
    }
  }

  /** The documents themselves, each created under its key. */
  private async write(prepared: Prepared[], signal?: AbortSignal): Promise<BatchOutcome> {
    const operations: string[] = []
    for (const {key, line} of prepared) {
      this.claims?.noteWriting(key)
      operations.push(JSON.stringify({create: {_index: this.index, _id: key}}), line)
    }
    // The forwarder retries with its own back-off; the client's retry would wait 1-2 s more, and not for Ctrl-C.
    const answer = await this.connection.client.bulk({operations, filter_path: BULK_ANSWER, ...(this.options.preMap ? {pipeline: '_none'} : {})}, {signal, maxRetries: 0})
    if (answer.items.length !== prepared.length) return {kind: 'retry', error: `Elasticsearch answered ${answer.items.length} items for ${prepared.length} documents`}
    const items = answer.items.map((item): ItemOutcome => {
      const result = item.create ?? Object.values(item)[0]
      const status = result?.status ?? 0
      if (status >= 200 && status < 300) this.claims?.noteWriteIndex(result!._index)
      if ((status >= 200 && status < 300) || status === 409) return {kind: 'done'}
      const error = `${status} ${result?.error?.type ?? ''}: ${result?.error?.reason ?? 'no reason given'}`
      if (status === 429 || status >= 500) return {kind: 'retry', error}
      return {kind: 'dead', error}
    })
    return {kind: 'items', items}
  }

  private failure(error: unknown, count: number): BatchOutcome {
    if (error instanceof errors.ResponseError) {
      const status = error.statusCode ?? 0
      const message = elasticError(error, this.connection.settings, `index into ${this.index}`).message
      if (status === 401 || status === 403) return {kind: 'paused', error: message}
      if (status === 429 || status >= 500) return {kind: 'retry', error: message, retryAfterMs: retryAfter(error.headers?.['retry-after'])}
      // The whole request was refused (413, 400): each record alone may still go, so none is lost here.
      if (count > 1) return {kind: 'items', items: Array.from({length: count}, () => ({kind: 'retry', error: message}))}
      return {kind: 'items', items: [{kind: 'dead', error: message}]}
    }
    return {kind: 'retry', error: elasticError(error, this.connection.settings, `index into ${this.index}`).message}
  }

  /**
   * Drops the claim indices of the days before the retention (named one by one: Elasticsearch 8 refuses
   * to delete by wildcard). An index that is not there is no error; a refusal is said once, not fatal:
   * the claims then stay, which costs disk, not correctness.
   */
  async dropOldClaimIndices(now = Date.now()): Promise<void> {
    const retention = this.options.claimRetentionMs ?? 2 * 86_400_000
    const names: string[] = []
    // The month of days before the cutoff: a serve that was off for weeks leaves at most that behind.
    for (let day = 1; day <= 31; day++) names.push(dedupeIndex(this.index, now - retention - day * 86_400_000))
    try {
      await this.connection.client.indices.delete({index: names, ignore_unavailable: true, allow_no_indices: true})
    } catch (error) {
      // Unreachable now: the next sweep tries again. A refusal (privileges) is worth saying.
      if (this.sweeper === undefined || !(error instanceof errors.ResponseError)) return
      this.options.onWarning?.(`could not drop old claim indices ${dedupeIndexPrefix(this.index)}*: ${elasticError(error, this.connection.settings, 'delete them').message}`)
    }
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper)
    this.sweeper = undefined
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
