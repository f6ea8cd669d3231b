import {append, dropEmpty, type Doc, getField, isObject, present, ProcessorFailure, removeFields, rename, setField, setTemplate} from './document.js'
import {accountPipeline} from './pipelines/account.js'
import {chatChannelPipeline} from './pipelines/chat-channel.js'
import {chatMessagePipeline} from './pipelines/chat-message.js'
import {meetingPipeline} from './pipelines/meeting.js'
import {phonePipeline} from './pipelines/phone.js'
import {recordingPipeline} from './pipelines/recording.js'
import type {CategoryPipeline, PipelineContext} from './pipelines/shared.js'
import {userPipeline} from './pipelines/user.js'
import {webinarPipeline} from './pipelines/webinar.js'
import {zoomroomPipeline} from './pipelines/zoomroom.js'
import {assertSupportedVersion, type Feature, hasFeature, LATEST_KNOWN_VERSION} from './version.js'

/** In the order the default pipeline tries them; an action may match only one prefix. */
export const CATEGORY_PIPELINES: readonly CategoryPipeline[] = [
  meetingPipeline,
  accountPipeline,
  chatMessagePipeline,
  chatChannelPipeline,
  phonePipeline,
  recordingPipeline,
  userPipeline,
  webinarPipeline,
  zoomroomPipeline,
]

export const ECS_VERSION = '8.11.0'

/** Large nested arrays the integration drops before indexing. */
const DROPPED_FIELDS = [
  'message',
  '_temp_',
  'zoom.object.occurrences',
  'zoom.old_values.occurrences',
  'zoom.object.recurrence',
  'zoom.old_values.recurrence',
  'zoom.object.managed_domains',
  'zoom.old_values.managed_domains',
  'zoom.registrant.custom_questions',
  'zoom.old_values.registrant.custom_questions',
  'zoom.object.call_logs',
  'zoom.old_values.call_logs',
  'zoom.object.recording_files',
  'zoom.old_values.recording_files',
]

export interface IngestOptions {
  /** The integration version to reproduce (default: the latest known). */
  integrationVersion?: string
  /** The input is the caller's to give away (parsed for this call alone): mapped in place rather than copied first. */
  inPlace?: boolean
}

/**
 * Runs the Zoom integration's webhook ingest pipeline over a document as the Elastic Agent hands it on
 * (the body under `zoom`), returning the document Elasticsearch would index. Never throws for bad input:
 * a failure is recorded as the integration records it (event.kind pipeline_error, error.message).
 */
export function runIngestPipeline(input: Doc, options: IngestOptions = {}): Doc {
  const version = options.integrationVersion ?? LATEST_KNOWN_VERSION
  assertSupportedVersion(version)
  const doc = options.inPlace ? input : structuredClone(input)
  try {
    defaultPipeline(doc, version)
  } catch (error) {
    recordFailure(doc, error, version, 'failureTagTopLevel')
  }
  return doc
}

function defaultPipeline(doc: Doc, version: string): void {
  setField(doc, 'observer.vendor', 'Zoom')
  setField(doc, 'observer.product', 'Webhook')
  setField(doc, 'ecs.version', ECS_VERSION)
  dropEmpty(doc)
  append(doc, 'event.kind', 'event')
  rename(doc, 'zoom.event', 'event.action', {ignoreMissing: true})
  // Only the payload survives: event_ts and any other top-level body keys are dropped.
  rename(doc, 'zoom.payload', '_temp_.payload')
  removeFields(doc, 'zoom')
  rename(doc, '_temp_.payload', 'zoom')
  rename(doc, 'zoom.old_object', 'zoom.old_values', {ignoreMissing: true})
  rename(doc, 'zoom.object.participant', 'zoom.participant', {ignoreMissing: true})
  rename(doc, 'zoom.object.settings', 'zoom.settings', {ignoreMissing: true})
  rename(doc, 'zoom.object.registrant', 'zoom.registrant', {ignoreMissing: true})
  if (present(doc, 'zoom.operator_id')) {
    append(doc, 'related.user', String(getField(doc, 'zoom.operator_id')))
    setTemplate(doc, 'user.id', '{{{zoom.operator_id}}}')
    setTemplate(doc, 'user.email', '{{{zoom.operator}}}', {ignoreEmpty: true})
  }
  removeFields(doc, ...DROPPED_FIELDS)

  const action = getField(doc, 'event.action')
  if (typeof action !== 'string') return
  const pipeline = CATEGORY_PIPELINES.find((candidate) => action.startsWith(candidate.prefix))
  if (!pipeline) return
  const context: PipelineContext = {doc, action, version}
  try {
    pipeline.run(context)
  } catch (error) {
    // A category pipeline's own on_failure handles its error; the document is still indexed.
    recordFailure(doc, error, version, 'failureTagCategories')
  }
}

function recordFailure(doc: Doc, error: unknown, version: string, tagFeature: Feature): void {
  setField(doc, 'event.kind', 'pipeline_error')
  const message =
    error instanceof ProcessorFailure ? `Processor '${error.processor}' failed with message '${error.message}'` : String(error instanceof Error ? error.message : error)
  append(doc, 'error.message', message)
  if (hasFeature(version, tagFeature)) append(doc, 'tags', 'preserve_original_event', {allowDuplicates: false})
}

/** The category pipeline an event type goes through, or undefined for the generic treatment. */
export function pipelineFor(eventType: string): string | undefined {
  return CATEGORY_PIPELINES.find((candidate) => eventType.startsWith(candidate.prefix))?.prefix
}

export function isDoc(value: unknown): value is Doc {
  return isObject(value)
}
