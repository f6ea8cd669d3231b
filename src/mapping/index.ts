import type {Doc} from './document.js'
import {runIngestPipeline} from './ingest.js'
import {LATEST_KNOWN_VERSION} from './version.js'

export {getField} from './document.js'
export type {Doc} from './document.js'
export {CATEGORY_PIPELINES, ECS_VERSION, pipelineFor, runIngestPipeline} from './ingest.js'
export {LATEST_KNOWN_VERSION, OLDEST_SUPPORTED_VERSION} from './version.js'

export const DATASET = 'zoom.webhook'
/** The integration's default tags (manifest variable `tags`). */
export const DEFAULT_TAGS = ['zoom-webhook', 'forwarded']

export interface AgentEnvelope {
  /** When the Elastic Agent received the request: its @timestamp unless the pipeline sets one. */
  receivedAt: Date
  namespace?: string
  tags?: string[]
  /** The integration's preserve_original_event option: keeps the raw body in event.original. */
  preserveOriginal?: boolean
  rawBody?: string
  integrationVersion?: string
  /** The body was parsed for this call alone: the pipeline may change it in place instead of copying it. */
  bodyIsOwned?: boolean
}

/**
 * The document a Zoom delivery becomes in `logs-zoom.webhook-<namespace>`: what the Elastic Agent's
 * http_endpoint input adds (body under `zoom`, @timestamp, data_stream, tags, input.type), then the
 * integration's ingest pipeline.
 */
export function indexedDocument(body: unknown, envelope: AgentEnvelope): Doc {
  return runIngestPipeline(agentDocument(body, envelope), {integrationVersion: envelope.integrationVersion ?? LATEST_KNOWN_VERSION, inPlace: envelope.bodyIsOwned})
}

/** What the Elastic Agent's http_endpoint input sends to Elasticsearch for a body, before any pipeline. */
export function agentDocument(body: unknown, envelope: AgentEnvelope): Doc {
  const timezone = utcOffset(envelope.receivedAt)
  const original = envelope.preserveOriginal && envelope.rawBody !== undefined ? {original: envelope.rawBody} : {}
  return {'@timestamp': envelope.receivedAt.toISOString(), ...agentMembers(envelope, timezone, original), zoom: body}
}

/** The agent's members between @timestamp and the body: the same for every delivery of one namespace, offset and set of tags, unless the raw body is kept. */
function agentMembers(envelope: AgentEnvelope, timezone: string, original: {original?: string}): Doc {
  const tags = [...(envelope.preserveOriginal ? ['preserve_original_event'] : []), ...(envelope.tags ?? DEFAULT_TAGS)]
  return {
    data_stream: {type: 'logs', dataset: DATASET, namespace: envelope.namespace ?? 'default'},
    event: {dataset: DATASET, module: 'zoom', timezone, ...original},
    input: {type: 'http_endpoint'},
    tags,
  }
}

/** agentMembers as JSON text, by namespace, offset and tags: a handful of entries in practice (the host's offsets, the apps' tags). */
const agentMembersText = new Map<string, string>()
/** The last entry used, found again without a key built: a sink's deliveries without an app share one. */
let lastMembers: {namespace?: string; timezone: string; tags?: string[]; text: string} | undefined

/**
 * The agent's document with `labels`, as JSON text up to the body, which the caller appends as its own text
 * or bytes (then the closing brace): `{"@timestamp":…,"labels":{…},"zoom":`. What JSON.stringify writes for
 * the document with the body under zoom (tests hold the two to each other), without the body parsed or
 * written out again, and with the members that do not change from one delivery to the next written once.
 */
export function agentDocumentHead(envelope: AgentEnvelope, labels: Record<string, unknown>): string {
  const timezone = utcOffset(envelope.receivedAt)
  return `{"@timestamp":"${envelope.receivedAt.toISOString()}",${agentMembersOf(envelope, timezone)},"labels":${JSON.stringify(labels)},"zoom":`
}

function agentMembersOf(envelope: AgentEnvelope, timezone: string): string {
  if (envelope.preserveOriginal) return JSON.stringify(agentMembers(envelope, timezone, envelope.rawBody === undefined ? {} : {original: envelope.rawBody})).slice(1, -1)
  const {namespace, tags} = envelope
  // The same list of tags, not an equal one: a list the caller made anew takes the keyed way.
  if (lastMembers && lastMembers.namespace === namespace && lastMembers.timezone === timezone && lastMembers.tags === tags) return lastMembers.text
  // JSON: no two namespaces, offsets and lists of tags share one key (as ["a", ""] and ["a"] joined would).
  const key = JSON.stringify([namespace ?? 'default', timezone, tags ?? DEFAULT_TAGS])
  let text = agentMembersText.get(key)
  if (text === undefined) {
    text = JSON.stringify(agentMembers(envelope, timezone, {})).slice(1, -1)
    if (agentMembersText.size >= 1000) agentMembersText.clear()
    agentMembersText.set(key, text)
  }
  lastMembers = {namespace, timezone, tags, text}
  return text
}

/** The agent's add_locale processor writes the host's offset as "+00:00". */
function utcOffset(date: Date): string {
  const minutes = -date.getTimezoneOffset()
  const sign = minutes >= 0 ? '+' : '-'
  const absolute = Math.abs(minutes)
  return `${sign}${String(Math.floor(absolute / 60)).padStart(2, '0')}:${String(absolute % 60).padStart(2, '0')}`
}

/** indexedDocument for raw bytes as sent; undefined when they are not JSON (the agent would refuse them). */
export function indexedDocumentForBytes(bytes: Buffer, envelope: AgentEnvelope): Doc | undefined {
  let body: unknown
  try {
    body = JSON.parse(bytes.toString('utf8'))
  } catch {
    return undefined
  }
  return indexedDocument(body, envelope)
}
