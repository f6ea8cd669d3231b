import {idMatches} from '../deliveries/ids.js'
import {type Delivery, readDeliveryBatches, type ReadOptions, type SourceSpec} from '../deliveries/source.js'
import {dayOf} from '../store/dedupe-index.js'

/** Which captured deliveries to take. Every criterion given must hold. */
export interface DeliveryFilter {
  /** Whole ids, or their first characters (see idMatches). */
  ids?: string[]
  events?: string[]
  since?: Date
  until?: Date
  /** The first N that match. */
  limit?: number
  /** The last N that match (kept in a ring of N: memory stays bounded). */
  last?: number
}

/** When a delivery happened: serve's receive time, else the body's event_ts. */
export function deliveryTime(delivery: Delivery): number | undefined {
  if (delivery.receivedAt) return Date.parse(delivery.receivedAt)
  const eventTs = (delivery.body as {event_ts?: unknown} | undefined)?.event_ts
  return typeof eventTs === 'number' ? eventTs : undefined
}

export function matches(delivery: Delivery, filter: DeliveryFilter): boolean {
  if (filter.ids?.length && !filter.ids.some((given) => idMatches(delivery.id, given))) return false
  if (filter.events?.length && !filter.events.includes(delivery.eventType ?? '')) return false
  if (filter.since || filter.until) {
    const at = deliveryTime(delivery)
    if (at === undefined) return false
    if (filter.since && at < filter.since.getTime()) return false
    if (filter.until && at > filter.until.getTime()) return false
  }
  return true
}

/** What the sources held, matched or not: deliveries, and lines that are none (not JSON, torn by a crash). */
export interface SourceTally {
  deliveries: number
  unreadable: number
  /** Where the first unreadable lines are (file:line). */
  unreadableAt: string[]
}

/**
 * The matching deliveries of every source, in order, streamed: in batches, as the sources read them. A
 * line that is no delivery is skipped (counted in `tally`), never sent.
 */
export async function* selectDeliveries(sources: SourceSpec[], filter: DeliveryFilter, options: ReadOptions = {}, tally?: SourceTally): AsyncGenerator<Delivery[]> {
  let taken = 0
  const ring: Delivery[] = []
  for (const source of sources) {
    for await (const batch of readDeliveryBatches(withinDays(source, filter), options)) {
      const selected: Delivery[] = []
      for (const delivery of batch) {
        if (delivery.unreadable) {
          if (tally && tally.unreadable++ < 5) tally.unreadableAt.push(delivery.origin)
          continue
        }
        if (tally) tally.deliveries++
        if (!matches(delivery, filter)) continue
        if (filter.last !== undefined) {
          ring.push(delivery)
          if (ring.length > filter.last) ring.shift()
          continue
        }
        selected.push(delivery)
        if (filter.limit !== undefined && ++taken >= filter.limit) {
          yield selected
          return
        }
      }
      if (selected.length > 0) yield selected
    }
  }
  if (ring.length > 0) yield ring.slice(0, filter.limit ?? ring.length)
}

/**
 * A store source narrowed to the day files --since/--until can match: accepted and refused deliveries are
 * filed under the UTC day they were received, dead letters under the day forwarding gave up on them (that
 * day or later), so only those before --since are left out.
 */
function withinDays(source: SourceSpec, filter: DeliveryFilter): SourceSpec {
  if (source.kind !== 'store' || (!filter.since && !filter.until)) return source
  const from = filter.since && dayOf(filter.since.getTime())
  const to = filter.until && source.part !== 'dead-letter' ? dayOf(filter.until.getTime()) : undefined
  return {...source, days: {from, to}}
}

/**
 * How many deliveries the filter selects, read once before sending (the count a person confirms and the
 * progress bar's total), or undefined when a source cannot be read twice (standard input, Elasticsearch).
 */
export async function countSelected(sources: SourceSpec[], filter: DeliveryFilter): Promise<number | undefined> {
  if (!sources.every((source) => source.kind === 'store' || source.kind === 'file' || source.kind === 'found')) return undefined
  let count = 0
  for await (const batch of selectDeliveries(sources, filter, {bodies: false, eventTypes: filter.events})) count += batch.length
  return count
}
