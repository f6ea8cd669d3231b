import type {ReportStream} from '../../zoom/reports.js'
import type {Doc} from '../document.js'
import {assertSupportedVersion, compareVersions, LATEST_KNOWN_VERSION} from '../version.js'
import {type ReportPipelineResult, runReportSteps} from './frame.js'
import {REPORT_STEPS} from './streams.js'

export {fingerprint, type ReportPipelineResult} from './frame.js'

/** The integration version that added each audit data stream. */
export const REPORT_STREAM_SINCE: Record<ReportStream, string> = {activity: '1.24.0', operation: '1.25.0', meeting_activity: '1.26.0'}

export function reportDataset(stream: ReportStream): string {
  return `zoom.${stream}`
}

/** The integration's default tags for the stream (manifest variable `tags`). */
export function reportDefaultTags(stream: ReportStream): string[] {
  return ['forwarded', `zoom-${stream}`]
}

export function assertStreamInVersion(stream: ReportStream, version: string): void {
  assertSupportedVersion(version)
  if (compareVersions(version, REPORT_STREAM_SINCE[stream]) < 0) {
    throw new Error(`integration version ${version} has no ${stream} data stream (it came in ${REPORT_STREAM_SINCE[stream]})`)
  }
}

/**
 * Runs the stream's ingest pipeline over a document as the CEL input hands it on (the record as JSON text
 * in `message`). Never throws for bad input: a failure is recorded as the integration records it.
 */
export function runReportPipeline(stream: ReportStream, input: Doc, options: {integrationVersion?: string} = {}): ReportPipelineResult {
  const version = options.integrationVersion ?? LATEST_KNOWN_VERSION
  assertStreamInVersion(stream, version)
  return runReportSteps(input, REPORT_STEPS[stream], version)
}

export interface CelEnvelope {
  /** When the agent polled: its @timestamp unless the pipeline sets one from the record. */
  polledAt: Date
  namespace?: string
  tags?: string[]
  /** The stream's preserve_original_event option: adds the tag (event.original is kept either way). */
  preserveOriginal?: boolean
  integrationVersion?: string
}

/** What the CEL input sends for one report record: `{"message": record.encode_json()}` plus the agent's fields. */
export function celAgentDocument(stream: ReportStream, record: unknown, envelope: CelEnvelope): Doc {
  const dataset = reportDataset(stream)
  return {
    '@timestamp': envelope.polledAt.toISOString(),
    data_stream: {type: 'logs', dataset, namespace: envelope.namespace ?? 'default'},
    event: {dataset},
    input: {type: 'cel'},
    tags: [...(envelope.preserveOriginal ? ['preserve_original_event'] : []), ...(envelope.tags ?? reportDefaultTags(stream))],
    message: encodeJson(record),
  }
}

/** The document (and _id) a report record becomes in `logs-zoom.<stream>-<namespace>`. */
export function indexedReportDocument(stream: ReportStream, record: unknown, envelope: CelEnvelope): ReportPipelineResult {
  return runReportPipeline(stream, celAgentDocument(stream, record, envelope), {integrationVersion: envelope.integrationVersion})
}

/**
 * CEL's encode_json as the agent runs it: compact JSON of the record. Its maps are Go maps, which Go's
 * encoder writes with their keys sorted (an inference from the Go encoder, not a documented promise).
 */
export function encodeJson(value: unknown): string {
  return JSON.stringify(sortKeys(value))
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.keys(value).sort().map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]))
  }
  return value
}
