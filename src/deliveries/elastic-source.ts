import {connectElastic, elasticError, type ElasticSettings} from '../elastic/connection.js'
import {ZOOM_DATASET, zoomDataStream} from '../elastic/names.js'
import {fieldValues} from '../mapping/fields.js'
import type {Delivery} from './source.js'

const PAGE = 500

/** Where the integration's pipeline moves payload.object, by the event type's category. */
const OBJECT_FIELD: Record<string, string> = {
  meeting: 'meeting',
  webinar: 'webinar',
  recording: 'recording',
  user: 'user',
  account: 'account',
  phone: 'phone',
  chat_channel: 'chat_channel',
  chat_message: 'chat_message',
  zoomroom: 'zoomroom',
}

/**
 * Zoom deliveries read back from Elasticsearch: the exact body when the integration kept it
 * (event.original, with preserve_original_event), otherwise a body rebuilt from the zoom.* fields the
 * pipeline left — marked as a reconstruction, since the pipeline renamed and dropped some keys.
 */
export async function* elasticDeliveries(settings: ElasticSettings, window: {since: Date; until: Date}): AsyncGenerator<Delivery> {
  const connection = await connectElastic(settings)
  const index = zoomDataStream(settings.namespace)
  // Pages by @timestamp (gte the last one seen), skipping the ids already read at that instant: no
  // search_after tie-breaker on _id is needed, which 8.x disallows by default.
  let from = window.since.toISOString()
  let seenAtFrom = new Set<string>()
  try {
    for (;;) {
      let answer
      try {
        answer = await connection.client.search({
          index,
          size: PAGE,
          sort: [{'@timestamp': {order: 'asc'}}],
          query: {bool: {filter: [{term: {'data_stream.dataset': ZOOM_DATASET}}, {range: {'@timestamp': {gte: from, lte: window.until.toISOString(), format: 'strict_date_optional_time'}}}]}},
        })
      } catch (error) {
        // A data stream that does not exist yet holds nothing to replay.
        if ((error as {statusCode?: number}).statusCode === 404) return
        throw elasticError(error, settings, `read ${index}`)
      }
      const hits = answer.hits.hits.filter((hit) => !seenAtFrom.has(hit._id ?? ''))
      if (!hits.length) return
      for (const hit of hits) yield deliveryOf(hit._id ?? '', (hit._source ?? {}) as Record<string, unknown>)
      const last = String(((hits[hits.length - 1]!._source ?? {}) as Record<string, unknown>)['@timestamp'])
      seenAtFrom = last === from ? new Set([...seenAtFrom, ...hits.map((hit) => hit._id ?? '')]) : new Set(hits.filter((hit) => String((hit._source as Record<string, unknown>)['@timestamp']) === last).map((hit) => hit._id ?? ''))
      from = last
      if (answer.hits.hits.length < PAGE) return
    }
  } finally {
    await connection.client.close().catch(() => undefined)
  }
}

export function deliveryOf(id: string, source: Record<string, unknown>): Delivery {
  const fields = fieldValues(source)
  const original = fields.get('event.original')
  const receivedAt = typeof source['@timestamp'] === 'string' ? source['@timestamp'] : undefined
  if (typeof original === 'string') {
    let body: unknown
    try {
      body = JSON.parse(original)
    } catch {
      body = undefined
    }
    return {id, receivedAt, eventType: fields.get('event.action') as string | undefined, rawBody: Buffer.from(original, 'utf8'), body, origin: `elasticsearch:${id}`}
  }
  const body = reconstruct(source)
  return {id, receivedAt, eventType: body.event as string, rawBody: Buffer.from(JSON.stringify(body)), body, origin: `elasticsearch:${id}`, reconstructed: true}
}

/** A Zoom body rebuilt from an indexed document: event, event_ts, account, operator and the object. */
export function reconstruct(source: Record<string, unknown>): Record<string, unknown> {
  const zoom = (source.zoom ?? {}) as Record<string, unknown>
  const action = String(fieldValues(source).get('event.action') ?? zoom.event ?? 'unknown')
  const category = action.split('.')[0]!
  const object = {...((zoom[OBJECT_FIELD[category] ?? category] ?? {}) as Record<string, unknown>)}
  for (const nested of ['participant', 'registrant']) if (zoom[nested] !== undefined) object[nested] = zoom[nested]
  const timestamp = Date.parse(String(source['@timestamp']))
  return {
    event: action,
    event_ts: Number.isNaN(timestamp) ? Date.now() : timestamp,
    payload: {
      account_id: zoom.account_id ?? zoom.master_account_id,
      ...(zoom.operator !== undefined ? {operator: zoom.operator} : {}),
      ...(zoom.operator_id !== undefined ? {operator_id: zoom.operator_id} : {}),
      object,
    },
  }
}
