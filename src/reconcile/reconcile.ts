import {writeFile} from 'node:fs/promises'

import {type Delivery, readDeliveries, type SourceSpec} from '../deliveries/source.js'
import type {ElasticSettings} from '../elastic/connection.js'
import {dedupeKey} from '../store/dedupe.js'
import type {ZoomApiClient} from '../zoom/api/client.js'
import {clipToRetention, webhookLogs} from '../zoom/api/webhook-logs.js'
import {groupAttempts, type Verdict, verdictOf, type ZoomDelivery} from './classify.js'

export interface ReconcileOptions {
  api: ZoomApiClient
  appId: string
  since: Date
  until: Date
  /** serve's data dir, and/or Elasticsearch: where a delivery counts as arrived. */
  dataDir?: string
  elastic?: ElasticSettings
  /** Where the bodies to replay are written (NDJSON of bare Zoom bodies, as replay reads). */
  replayFile: string
  onStep?: (text: string) => void
  now?: number
}

export interface ReconciledDelivery extends Omit<ZoomDelivery, 'body' | 'lastFailure'> {
  verdict: Verdict
  /** The sources it is missing from. */
  missingFrom: string[]
  /** Why it failed and the fix. */
  failure?: {what: string; fix: string}
  /** The body is in the replay file (Zoom's log kept it). */
  replayable: boolean
}

export interface ReconcileReport {
  window: {since: string; until: string; clipped: boolean}
  sources: string[]
  counts: Record<Verdict, number>
  deliveries: ReconciledDelivery[]
  /** The replay commands, one per endpoint, when something can be replayed. */
  replay?: {file: string; commands: string[]}
  /** Failed with no body in Zoom's log: nothing to replay. */
  unreplayable: number
}

/**
 * Zoom's webhook logs of a window against what arrived (serve's store, Elasticsearch): each delivery Zoom
 * made is found by the dedupe key of the body it sent (its type, event_ts and object ids: the same key
 * serve stores), or by x-zm-request-id when serve kept it.
 */
export async function reconcile(options: ReconcileOptions): Promise<ReconcileReport> {
  const step = options.onStep ?? (() => {})
  const now = options.now ?? Date.now()
  const window = clipToRetention(options.since, options.until, now)
  step("reading Zoom's webhook logs")
  const deliveries = groupAttempts(await webhookLogs(options.api, options.appId, {from: window.from, to: window.to, type: 'all', maxPages: 200}))
  const sources: Array<{name: string; spec: SourceSpec}> = []
  // Zoom's window, widened: a delivery logged near its edge arrives (or its event happened) a little apart.
  const slack = 3_600_000
  const since = new Date(window.from.getTime() - slack)
  const until = new Date(window.to.getTime() + slack)
  if (options.dataDir) sources.push({name: 'store', spec: {kind: 'store', dataDir: options.dataDir, part: 'accepted', days: {from: since.toISOString().slice(0, 10), to: until.toISOString().slice(0, 10)}}})
  if (options.elastic) sources.push({name: 'elasticsearch', spec: {kind: 'elasticsearch', settings: options.elastic, window: {since: new Date(since.getTime() - 86_400_000), until}}})
  const found = new Map<string, Set<string>>()
  for (const source of sources) {
    step(`reading ${source.name === 'store' ? `serve's store (${options.dataDir})` : 'Elasticsearch'}`)
    found.set(source.name, await keysIn(source.spec))
  }
  const lines: string[] = []
  const endpoints = new Set<string>()
  const reconciled = deliveries.map((delivery): ReconciledDelivery => {
    const keys = keysOf(delivery)
    const missingFrom = sources.filter((source) => !keys.some((key) => found.get(source.name)!.has(key))).map((source) => source.name)
    const verdict = verdictOf(delivery, missingFrom.length === 0, now)
    const replayable = Boolean(delivery.body) && (verdict === 'acknowledged-missing' || verdict === 'failed-for-good')
    if (replayable) {
      lines.push(delivery.body!)
      endpoints.add(delivery.endpoint)
    }
    const {body: _body, lastFailure, ...rest} = delivery
    return {...rest, verdict, missingFrom, replayable, ...(lastFailure && verdict !== 'arrived' ? {failure: {what: lastFailure.what, fix: lastFailure.fix}} : {})}
  })
  if (lines.length) await writeFile(options.replayFile, `${lines.join('\n')}\n`, {mode: 0o600})
  const counts = {'arrived': 0, 'acknowledged-missing': 0, 'failed-for-good': 0, 'retry-pending': 0} as Record<Verdict, number>
  for (const delivery of reconciled) counts[delivery.verdict]++
  return {
    window: {since: window.from.toISOString(), until: window.to.toISOString(), clipped: window.clipped},
    sources: sources.map((source) => source.name),
    counts,
    deliveries: reconciled,
    ...(lines.length ? {replay: {file: options.replayFile, commands: [...endpoints].map((endpoint) => `zoomctl replay ${shellQuote(options.replayFile)} --url ${shellQuote(endpoint)}`)}} : {}),
    unreplayable: reconciled.filter((delivery) => (delivery.verdict === 'acknowledged-missing' || delivery.verdict === 'failed-for-good') && !delivery.replayable).length,
  }
}

/** The keys a delivery Zoom made is known by: its body's dedupe key, and its request id. */
function keysOf(delivery: ZoomDelivery): string[] {
  const keys = [`request:${delivery.requestId}`]
  if (delivery.body) {
    try {
      keys.push(dedupeKey(JSON.parse(delivery.body), Buffer.from(delivery.body)))
    } catch {
      keys.push(dedupeKey(undefined, Buffer.from(delivery.body)))
    }
  }
  return keys
}

async function keysIn(spec: SourceSpec): Promise<Set<string>> {
  const keys = new Set<string>()
  for await (const delivery of readDeliveries(spec, {bodies: true})) {
    for (const key of deliveryKeys(delivery)) keys.add(key)
  }
  return keys
}

function deliveryKeys(delivery: Delivery): string[] {
  const keys: string[] = []
  const requestId = delivery.record?.headers['x-zm-request-id']
  if (requestId) keys.push(`request:${requestId}`)
  keys.push(delivery.record?.dedupeKey ?? dedupeKey(delivery.body, delivery.rawBody))
  return keys
}

function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`
}
