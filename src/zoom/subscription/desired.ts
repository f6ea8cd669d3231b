import {allEvents} from '../../catalog/catalog.js'
import {OptionError} from '../../config/parse.js'
import {pipelineFor} from '../../mapping/ingest.js'
import type {DesiredSubscription} from './plan.js'

/** The name zoomctl gives its subscription, to find it again among the app's. */
export const DEFAULT_SUBSCRIPTION_NAME = 'zoomctl'

/** The event types Elastic's Zoom integration maps (a category pipeline takes them), by category. */
export function mappedEventsByCategory(): Map<string, string[]> {
  const byCategory = new Map<string, string[]>()
  for (const spec of allEvents()) {
    if (!pipelineFor(spec.event)) continue
    byCategory.set(spec.category, [...(byCategory.get(spec.category) ?? []), spec.event])
  }
  return byCategory
}

export function mappedCategories(): string[] {
  return [...mappedEventsByCategory().keys()].sort()
}

/**
 * The events to subscribe to: exactly `events` when given (each one Elastic maps), else every mapped
 * event of `categories` (default: all of them). Unknown names are bad input, with what is known.
 */
export function selectEvents(options: {categories?: string[]; events?: string[]}): string[] {
  const byCategory = mappedEventsByCategory()
  if (options.events?.length) {
    const mapped = new Set([...byCategory.values()].flat())
    const unknown = options.events.filter((event) => !mapped.has(event))
    if (unknown.length) throw new OptionError(`--zoom-events: ${unknown.join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not an event Elastic's Zoom integration maps`, {hint: 'zoomctl events lists them'})
    return [...new Set(options.events)].sort()
  }
  const wanted = options.categories?.length ? options.categories : [...byCategory.keys()]
  const unknown = wanted.filter((category) => !byCategory.has(category))
  if (unknown.length) throw new OptionError(`--zoom-categories: ${unknown.join(', ')} ${unknown.length > 1 ? 'are not categories' : 'is not a category'} of mapped events`, {hint: `use some of ${[...byCategory.keys()].sort().join(', ')}`})
  return wanted.flatMap((category) => byCategory.get(category)!).sort()
}

/** Events grouped by category, for a plan or a check that names what is missing: "meeting 3, phone 48". */
export function byCategory(events: string[]): Map<string, string[]> {
  const known = new Map(allEvents().map((spec) => [spec.event, spec.category]))
  const grouped = new Map<string, string[]>()
  for (const event of events) {
    const category = known.get(event) ?? event.split('.')[0]!
    grouped.set(category, [...(grouped.get(category) ?? []), event])
  }
  return grouped
}

/** A comma-separated list as a flag or config value gives it. */
export function listOf(text: string | undefined): string[] | undefined {
  const items = text?.split(',').map((item) => item.trim()).filter(Boolean)
  return items?.length ? items : undefined
}

export function desiredSubscription(options: {name?: string; url: string; categories?: string[]; events?: string[]; customHeader?: {key: string; value: string}}): DesiredSubscription {
  return {name: options.name || DEFAULT_SUBSCRIPTION_NAME, url: options.url, events: selectEvents(options), ...(options.customHeader ? {customHeader: options.customHeader} : {})}
}

