import {errors} from '@elastic/elasticsearch'

import type {ArrivalStats} from '../checks/arrivals.js'
import {type ElasticConnection, elasticError} from './connection.js'
import {DEDUPE_KEY_FIELD, WEBHOOK_NAMES, ZOOM_DATASET, ZOOM_PATTERN, type ZoomStreamNames} from './names.js'

/** How many event types a terms aggregation asks for: more than Zoom has (211). */
const MAX_EVENT_TYPES = 300

export interface TimeWindow {
  since: Date
  until: Date
}

/** A 4xx/5xx answer, or undefined when the call worked. */
function statusOf(error: unknown): number | undefined {
  return error instanceof errors.ResponseError ? error.statusCode : undefined
}

export interface Privileges {
  username?: string
  /** privilege → granted, on the pattern asked about (ZOOM_PATTERN by default) */
  index: Record<string, boolean>
  cluster: Record<string, boolean>
}

/**
 * What the credentials may do on the Zoom data streams. Every user may ask this of themselves; clusters
 * without the security API (security off, OpenSearch) answer 404/400/405: then undefined, nothing is known.
 */
export async function readPrivileges(connection: ElasticConnection, index: string[], cluster: string[], pattern = ZOOM_PATTERN): Promise<Privileges | undefined> {
  const answer = await askPrivileges(connection, {cluster, index: [{names: [pattern], privileges: index}]})
  return answer && {username: answer.username, index: answer.index?.[pattern] ?? {}, cluster: answer.cluster ?? {}}
}

interface PrivilegesAnswer {
  username?: string
  cluster?: Record<string, boolean>
  index?: Record<string, Record<string, boolean>>
}

/** _has_privileges; undefined where the cluster has no security API to ask. */
async function askPrivileges(connection: ElasticConnection, request: {cluster?: string[]; index: Array<{names: string[]; privileges: string[]}>}): Promise<PrivilegesAnswer | undefined> {
  try {
    return (await connection.client.security.hasPrivileges(request)) as unknown as PrivilegesAnswer
  } catch (error) {
    const status = statusOf(error)
    if (status === 400 || status === 404 || status === 405 || status === 500) return undefined
    throw elasticError(error, connection.settings, 'check its privileges')
  }
}

/**
 * What serve --es-url needs on its data stream: to create documents; and, for its rollover dedupe, to read
 * its backing indices' creation dates, to look up a document in them and to delete a later copy.
 */
export const FORWARD_STREAM_PRIVILEGES = ['create_doc', 'view_index_metadata', 'read', 'delete']

export interface ForwardPrivileges {
  username?: string
  dataStream: Record<string, boolean>
}

/** The privileges serve --es-url needs on its data stream; undefined where the cluster has no security API. */
export async function readForwardPrivileges(connection: ElasticConnection, dataStream: string): Promise<ForwardPrivileges | undefined> {
  const answer = await askPrivileges(connection, {index: [{names: [dataStream], privileges: FORWARD_STREAM_PRIVILEGES}]})
  return answer && {username: answer.username, dataStream: answer.index?.[dataStream] ?? {}}
}

export type Lookup<T> = {ok: true; value: T} | {ok: false; status: number; reason: string}

async function lookup<T>(connection: ElasticConnection, action: string, call: () => Promise<T>): Promise<Lookup<T>> {
  try {
    return {ok: true, value: await call()}
  } catch (error) {
    const status = statusOf(error)
    if (status === 403) return {ok: false, status, reason: elasticError(error, connection.settings, action).message}
    if (status !== undefined && status !== 404) throw elasticError(error, connection.settings, action)
    return {ok: false, status: status ?? 0, reason: 'not found'}
  }
}

export interface ZoomAssets {
  template: Lookup<{managedBy?: string; packageName?: string}>
  /** Versions read from the ids of the installed pipelines (logs-zoom.webhook-1.27.2 …). */
  pipelines: Lookup<string[]>
  dataStreams: Lookup<Array<{name: string; status?: string; indices: number}>>
}

export async function readZoomAssets(connection: ElasticConnection, names: ZoomStreamNames = WEBHOOK_NAMES): Promise<ZoomAssets> {
  const {client} = connection
  const template = await lookup(connection, `read the index template ${names.template}`, async () => {
    const answer = await client.indices.getIndexTemplate({name: names.template})
    const found = answer.index_templates?.[0]?.index_template as {_meta?: {managed_by?: string; package?: {name?: string}}} | undefined
    return {managedBy: found?._meta?.managed_by, packageName: found?._meta?.package?.name}
  })
  const pipelines = await lookup(connection, 'read the ingest pipelines', async () => {
    const answer = (await client.ingest.getPipeline({id: `${names.template}-*`})) as Record<string, unknown>
    const versions = new Set<string>()
    for (const id of Object.keys(answer)) {
      const match = /^(.+)-(\d+\.\d+\.\d+)$/.exec(id)
      if (match?.[1] === names.template) versions.add(match[2]!)
    }
    return [...versions].sort()
  })
  const dataStreams = await lookup(connection, 'read the data streams', async () => {
    const answer = await client.indices.getDataStream({name: names.pattern})
    return (answer.data_streams ?? []).map((stream) => ({name: stream.name, status: String(stream.status ?? ''), indices: stream.indices?.length ?? 0}))
  })
  return {template, pipelines, dataStreams}
}

function windowFilter(window: TimeWindow, dataset = ZOOM_DATASET) {
  return [
    {term: {'data_stream.dataset': dataset}},
    {range: {'@timestamp': {gte: window.since.toISOString(), lte: window.until.toISOString(), format: 'strict_date_optional_time'}}},
  ]
}

/**
 * Documents in the window counted per event.action, and for each the documents that have each field: one
 * search, a terms aggregation with a filter sub-aggregation per field. Then up to 100 documents with
 * error.message (a text field, so grouped here rather than aggregated).
 */
export async function countArrivals(connection: ElasticConnection, index: string, window: TimeWindow, fieldsFor: (actions: string[]) => string[], dataset = ZOOM_DATASET): Promise<ArrivalStats> {
  const {client} = connection
  try {
    const first = await client.search({
      index,
      size: 0,
      track_total_hits: true,
      query: {bool: {filter: windowFilter(window, dataset)}},
      aggs: {actions: {terms: {field: 'event.action', size: MAX_EVENT_TYPES}}},
    })
    const actions = bucketsOf(first.aggregations?.actions).map((bucket) => String(bucket.key))
    const fields = fieldsFor(actions)
    const aggs = Object.fromEntries(fields.map((field, i) => [`f${i}`, {filter: {exists: {field}}}]))
    const second = actions.length
      ? await client.search({
          index,
          size: 0,
          query: {bool: {filter: windowFilter(window, dataset)}},
          aggs: {actions: {terms: {field: 'event.action', size: MAX_EVENT_TYPES}, aggs}},
        })
      : first
    const byAction: ArrivalStats['byAction'] = {}
    for (const bucket of bucketsOf(second.aggregations?.actions)) {
      const counts: Record<string, number> = {}
      fields.forEach((field, i) => (counts[field] = (bucket[`f${i}`] as {doc_count?: number} | undefined)?.doc_count ?? 0))
      byAction[String(bucket.key)] = {count: bucket.doc_count, fields: counts}
    }
    const failed = await client.search({
      index,
      size: 100,
      track_total_hits: true,
      sort: [{'@timestamp': {order: 'desc'}}],
      _source: ['error.message', 'event.action'],
      query: {bool: {filter: [...windowFilter(window, dataset), {exists: {field: 'error.message'}}]}},
    })
    return {
      source: index,
      from: 'elasticsearch',
      total: totalOf(first.hits.total),
      byAction,
      errors: {
        total: totalOf(failed.hits.total),
        samples: failed.hits.hits.map((hit) => {
          const source = (hit._source ?? {}) as {error?: {message?: unknown}; event?: {action?: string}}
          const message = Array.isArray(source.error?.message) ? source.error.message.join('; ') : String(source.error?.message ?? '')
          return {message, action: source.event?.action, id: hit._id ?? undefined}
        }),
      },
    }
  } catch (error) {
    throw elasticError(error, connection.settings, `search ${index}`)
  }
}

export interface FoundDocument {
  id: string
  index: string
  source: Record<string, unknown>
}

/** Documents of one event type whose fields have the given values (ids of the meeting, participant …). */
export async function findDocuments(connection: ElasticConnection, index: string, action: string, terms: Record<string, string | number | boolean>, since: Date): Promise<FoundDocument[]> {
  try {
    const answer = await connection.client.search({
      index,
      size: 20,
      query: {
        bool: {
          filter: [
            {term: {'event.action': action}},
            {range: {'@timestamp': {gte: since.toISOString(), format: 'strict_date_optional_time'}}},
            ...Object.entries(terms).map(([field, value]) => ({term: {[field]: value}})),
          ],
        },
      },
    })
    return answer.hits.hits.map((hit) => ({id: hit._id ?? '', index: hit._index, source: (hit._source ?? {}) as Record<string, unknown>}))
  } catch (error) {
    throw elasticError(error, connection.settings, `search ${index}`)
  }
}

type Bucket = {key: unknown; doc_count: number; [sub: string]: unknown}

function bucketsOf(aggregation: unknown): Bucket[] {
  const buckets = (aggregation as {buckets?: unknown} | undefined)?.buckets
  return Array.isArray(buckets) ? (buckets as Bucket[]) : []
}

function totalOf(total: unknown): number {
  if (typeof total === 'number') return total
  return (total as {value?: number} | undefined)?.value ?? 0
}

/** Documents by _id (the audit streams' fingerprint ids), at most 500 at a time. */
export async function findDocumentsById(connection: ElasticConnection, index: string, ids: string[]): Promise<FoundDocument[]> {
  try {
    const answer = await connection.client.search({index, size: ids.length, query: {ids: {values: ids}}})
    return answer.hits.hits.map((hit) => ({id: hit._id ?? '', index: hit._index, source: (hit._source ?? {}) as Record<string, unknown>}))
  } catch (error) {
    throw elasticError(error, connection.settings, `search ${index}`)
  }
}

export interface DuplicateStats {
  source: string
  /** Documents in the window. */
  total: number
  /** Of them, those that carry a dedupe key (indexed by serve --es-url; the Elastic Agent adds none). */
  keyed: number
  /** Keys with more than one document, the most copies first (at most MAX_DUPLICATE_KEYS). */
  duplicated: Array<{key: string; documents: number; copies: DuplicateCopy[]}>
}

/** One document of a duplicated event: where it is, to delete the extra ones by. */
export interface DuplicateCopy {
  id: string
  index: string
}

/** The copies named for each duplicated event, the oldest backing index first: the first is the one to keep (as serve's check does). */
const COPIES_NAMED = 5

const MAX_DUPLICATE_KEYS = 1000

function copiesOf(topHits: unknown): DuplicateCopy[] {
  const hits = (topHits as {hits?: {hits?: Array<{_id?: string; _index?: string}>}} | undefined)?.hits?.hits ?? []
  return hits.map((hit) => ({id: hit._id ?? '', index: hit._index ?? ''}))
}

/** Documents of one Zoom event indexed more than once in the window: a terms aggregation on the dedupe key, two documents or more. */
export async function findDuplicates(connection: ElasticConnection, index: string, window: TimeWindow): Promise<DuplicateStats> {
  try {
    const answer = await connection.client.search({
      index,
      size: 0,
      track_total_hits: true,
      ignore_unavailable: true,
      allow_no_indices: true,
      query: {bool: {filter: [{range: {'@timestamp': {gte: window.since.toISOString(), lte: window.until.toISOString(), format: 'strict_date_optional_time'}}}]}},
      aggs: {
        keyed: {filter: {exists: {field: DEDUPE_KEY_FIELD}}},
        copies: {
          terms: {field: DEDUPE_KEY_FIELD, min_doc_count: 2, size: MAX_DUPLICATE_KEYS},
          // The older backing index first (their names end in a zero-padded generation): the copy serve's check keeps.
          aggs: {documents: {top_hits: {size: COPIES_NAMED, _source: false, sort: [{_index: 'asc'}]}}},
        },
      },
    })
    return {
      source: index,
      total: totalOf(answer.hits.total),
      keyed: (answer.aggregations?.keyed as {doc_count?: number} | undefined)?.doc_count ?? 0,
      duplicated: bucketsOf(answer.aggregations?.copies).map((bucket) => ({key: String(bucket.key), documents: bucket.doc_count, copies: copiesOf(bucket.documents)})),
    }
  } catch (error) {
    throw elasticError(error, connection.settings, `search ${index}`)
  }
}
