import {distance} from 'fastest-levenshtein'
import rawCatalog from './event-catalog.json' with {type: 'json'}

/** One Zoom webhook event type, as recorded in event-catalog.json (keys of its payload, not values). */
export interface EventSpec {
  event: string
  category: string
  description: string
  /** Keys of payload.object as dotted paths; `[]` marks an array. */
  object_fields: string[]
  optional_fields: string[]
  operator: boolean | string
  operator_id: boolean | string
  /** Keys of payload; a trailing `?` marks an optional one. */
  payload_fields: string[]
  top_level_extra?: string[]
  old_object_fields?: string[]
  object_id_type?: 'string' | 'number'
  /** How Elastic's integration knows the type: tested, pipeline, category (generic family rules) or crc. */
  elastic: 'tested' | 'pipeline' | 'category' | 'crc'
  notes?: string
  source: string
  /** What real deliveries carry beyond Zoom's published schema (paths as above), and where that was seen. */
  observed?: {source: string; payload_fields?: string[]; object_fields?: string[]; old_object_fields?: string[]}
}

const catalog: readonly EventSpec[] = (rawCatalog as EventSpec[]).slice().sort((a, b) => a.event.localeCompare(b.event))
const byName = new Map(catalog.map((spec) => [spec.event, spec]))

export function allEvents(): readonly EventSpec[] {
  return catalog
}

export function findEvent(name: string): EventSpec | undefined {
  return byName.get(name)
}

export function categories(): string[] {
  return [...new Set(catalog.map((spec) => spec.category))].sort()
}

export function eventsInCategory(category: string): EventSpec[] {
  return catalog.filter((spec) => spec.category === category)
}

/** Names close to a mistyped one, for "did you mean" hints. */
export function suggestEvents(name: string, limit = 3): string[] {
  const wanted = name.toLowerCase()
  return catalog
    .map((spec) => ({name: spec.event, distance: distance(wanted, spec.event)}))
    .sort((a, b) => a.distance - b.distance)
    .slice(0, limit)
    .filter((candidate) => candidate.distance <= Math.max(3, wanted.length / 3))
    .map((candidate) => candidate.name)
}

/** Paths of the body that real deliveries carry and Zoom's schema does not list. */
export function observedPaths(spec: EventSpec): string[] {
  const observed = spec.observed
  if (!observed) return []
  return [
    ...(observed.payload_fields ?? []).map((key) => `payload.${key}`),
    ...(observed.object_fields ?? []).map((path) => `payload.object.${path}`),
    ...(observed.old_object_fields ?? []).map((path) => `payload.old_object.${path}`),
  ]
}
