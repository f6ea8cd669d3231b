import {findEvent} from '../catalog/catalog.js'
import {buildEventBody} from '../catalog/payload.js'
import {createScenario} from '../catalog/scenario.js'
import {indexedDocument, LATEST_KNOWN_VERSION} from '../mapping/index.js'
import {fieldValues} from '../mapping/fields.js'

/**
 * Fields every Zoom document has whatever its type (the agent's envelope and the pipeline's constants), or
 * that vary with where and when it was indexed: not evidence that the type was mapped.
 */
const ENVELOPE = /^(@timestamp|data_stream\.|input\.|tags$|ecs\.|observer\.|agent\.|elastic_agent\.|host\.|event\.(dataset|module|timezone|kind|ingested|original|agent_id_status)$)/

/** The fields users are told to look at in the set-up guide: reported first, and named in hints. */
export const KEY_FIELDS = ['event.action', 'user.email', 'source.ip']

/**
 * Fields that differ between zoomctl's prediction and an indexed document for reasons that are not
 * mapping: when and where it was received and indexed, the agent, and GeoIP, which runs only in Elasticsearch.
 */
export function isVolatileField(field: string): boolean {
  return /^(@timestamp$|event\.ingested$|event\.timezone$|event\.agent_id_status$|agent\.|elastic_agent\.|host\.|source\.(geo|as)\.|destination\.(geo|as)\.|_)/.test(field)
}

const cache = new Map<string, string[]>()

/**
 * The ECS fields Elastic's Zoom integration fills for an event type at an integration version, as zoomctl's
 * reproduction of its pipelines fills them for a realistic body of that type. Sorted, key fields first.
 */
export function expectedFields(eventType: string, integrationVersion: string = LATEST_KNOWN_VERSION): string[] {
  const cacheKey = `${eventType}@${integrationVersion}`
  const cached = cache.get(cacheKey)
  if (cached) return cached
  const spec = findEvent(eventType)
  let fields: string[] = ['event.action']
  if (spec) {
    const now = Date.UTC(2026, 0, 1)
    const body = buildEventBody(spec, createScenario(1, now), now)
    fields = ecsFields(indexedDocument(body, {receivedAt: new Date(now), integrationVersion}))
  }
  cache.set(cacheKey, fields)
  return fields
}

/** The mapped fields of a document: not zoom.* (the raw payload), not the envelope. */
export function ecsFields(document: unknown): string[] {
  return ecsFieldNames(fieldValues(document))
}

/** ecsFields for a document already flattened by fieldValues. */
export function ecsFieldNames(values: Map<string, unknown>): string[] {
  const fields = [...values.keys()].filter((field) => !field.startsWith('zoom.') && !ENVELOPE.test(field) && !field.startsWith('error.'))
  return fields.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
}

function rank(field: string): number {
  const index = KEY_FIELDS.indexOf(field)
  return index === -1 ? KEY_FIELDS.length : index
}
