import {errors} from '@elastic/elasticsearch'

import {connectElastic, createElasticClient, type ElasticConnection, elasticError, type ElasticSettings} from '../elastic/connection.js'
import {describeCredential} from '../elastic/credentials.js'
import {dedupeIndex, dedupeIndexPrefix} from '../elastic/names.js'
import {UserError} from '../errors.js'
import {agentDocument, indexedDocument} from '../mapping/index.js'
import {rawBodyBytes, type DeliveryRecord} from '../store/records.js'
import {ClaimLedger, type ClaimVerdict, DEFAULT_CLAIM_LEASE_MS} from './claims.js'
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
  document: Record<string, unknown>
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
  readonly description: string
  readonly index: string
  readonly claims?: ClaimLedger
  private sweeper?: NodeJS.Timeout

  constructor(
    private readonly connection: ElasticConnection,
    private readonly options: ElasticSinkOptions,
  ) {
    this.index = forwardDataStream(options)
    const how = options.preMap ? "zoomctl's mapped documents, no ingest pipeline" : "the agent's documents, mapped by the Zoom integration's pipeline"
    const once = options.dedupeIndex === false ? '' : '; each event claimed once in zoomctl-dedupe-*'
    this.description = `Elasticsearch ${connection.info.version} → ${this.index} (${how}${once})`
    if (options.dedupeIndex !== false) {
      this.claims = new ClaimLedger(connection.client, {dataStream: this.index, leaseMs: options.claimLeaseMs ?? DEFAULT_CLAIM_LEASE_MS})
      // A day's claims go as a whole once the day is well past: at start, then every hour.
      const sweep = () => void this.dropOldClaimIndices()
      setImmediate(sweep)
      this.sweeper = setInterval(sweep, 3_600_000).unref()
    }
  }

  document(record: DeliveryRecord, body: unknown = record.event ?? JSON.parse(rawBodyBytes(record).toString('utf8'))): Record<string, unknown> {
    const envelope = {receivedAt: new Date(record.receivedAt), namespace: this.options.namespace, integrationVersion: this.options.integrationVersion}
    const document = this.options.preMap ? indexedDocument(body, envelope) : agentDocument(body, envelope)
    if (this.options.preMap) {
      document.data_stream = {type: 'logs', dataset: 'zoomctl.webhook', namespace: this.options.namespace}
      ;(document.event as Record<string, unknown>).dataset = 'zoomctl.webhook'
    }
    document.labels = {...(document.labels as Record<string, unknown> | undefined), zoomctl_dedupe_key: record.dedupeKey ?? record.id}
    return document
  }

  async send(records: DeliveryRecord[]): Promise<BatchOutcome> {
    try {
      // Copies of one event in one batch (the ack path sends them as they come) go as one.
      const first = new Map<string, number>()
      const unique: Prepared[] = []
      const slot = records.map((record) => {
        const key = record.dedupeKey ?? record.id
        let at = first.get(key)
        if (at === undefined) {
          const body = record.event ?? JSON.parse(rawBodyBytes(record).toString('utf8'))
          at = unique.push({key, eventMs: eventTime(body, record.receivedAt), document: this.document(record, body)}) - 1
          first.set(key, at)
        }
        return at
      })
      const verdicts: ClaimVerdict[] = this.claims ? await this.claims.decide(unique) : unique.map(() => ({kind: 'write'}))
      const paused = verdicts.find((verdict) => verdict.kind === 'paused')
      if (paused?.kind === 'paused') return {kind: 'paused', error: paused.error}
      // A 'write' is replaced below by what its write answered.
      const outcomes = verdicts.map((verdict): ItemOutcome => (verdict.kind === 'retry' ? verdict : {kind: 'done'}))
      const writes = unique.map((_, i) => i).filter((i) => verdicts[i]!.kind === 'write')
      if (writes.length) {
        const written = await this.write(writes.map((i) => unique[i]!))
        if (written.kind !== 'items') return written
        written.items.forEach((item, n) => {
          const i = writes[n]!
          outcomes[i] = item
          if (item.kind !== 'retry') this.claims?.release(unique[i]!.key)
        })
      }
      return {kind: 'items', items: slot.map((at) => outcomes[at]!)}
    } catch (error) {
      return this.failure(error, records.length)
    }
  }

  /** The documents themselves, each created under its key. */
  private async write(prepared: Prepared[]): Promise<BatchOutcome> {
    const operations: unknown[] = []
    for (const {key, document} of prepared) {
      this.claims?.noteWriting(key)
      operations.push({create: {_index: this.index, _id: key}}, document)
    }
    const answer = await this.connection.client.bulk({operations, ...(this.options.preMap ? {pipeline: '_none'} : {})})
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

/** The event's own time (event_ts, ms): the same for every copy and retry; the arrival time when it has none. */
function eventTime(body: unknown, receivedAt: string): number {
  const ts = typeof body === 'object' && body !== null ? (body as {event_ts?: unknown}).event_ts : undefined
  const ms = typeof ts === 'number' ? ts : typeof ts === 'string' ? Number(ts) : Number.NaN
  // Zoom sends milliseconds; a value that is not a plausible time (before 2001, after 2286) is not trusted.
  return Number.isFinite(ms) && ms > 1e12 && ms < 1e13 ? ms : Date.parse(receivedAt)
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
