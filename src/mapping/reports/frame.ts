import {createHash} from 'node:crypto'

import {append, type Doc, getField, isObject, present, ProcessorFailure, removeFields, rename, setField} from '../document.js'
import {hasFeature} from '../version.js'

/**
 * What the three report pipelines (activity, operation, meeting_activity) share: the record arrives as JSON
 * text in `message`, is kept in event.original, parsed under zoom.<stream>, fingerprinted into _id; then
 * the stream's own steps; then null, "" and "N/A" values are dropped and an error marks the document.
 */
export interface ReportPipelineResult {
  document: Doc
  /** The fingerprint processor's _id (SHA-1 of event.original): the same record is indexed only once. */
  id?: string
}

/** A processor failure that the pipeline's top-level on_failure records, with the processor's tag. */
export class TaggedFailure extends Error {
  constructor(
    readonly processor: string,
    readonly tag: string,
    message: string,
  ) {
    super(message)
  }
}

export interface ReportSteps {
  /** The key under zoom. the record is parsed into. */
  key: string
  run(doc: Doc): void
}

export function runReportSteps(input: Doc, steps: ReportSteps, version: string): ReportPipelineResult {
  const doc = structuredClone(input)
  let id: string | undefined
  try {
    setField(doc, 'ecs.version', '8.11.0')
    // A collection error the input reported, with no record: nothing to parse.
    if (present(doc, 'error.message') && !present(doc, 'message') && !present(doc, 'event.original')) return {document: doc}
    if (!present(doc, 'event.original')) rename(doc, 'message', 'event.original', {ignoreMissing: true})
    if (present(doc, 'event.original')) removeFields(doc, 'message')
    const original = getField(doc, 'event.original')
    if (original !== undefined && original !== null) {
      setField(doc, `zoom.${steps.key}`, parseJson(original))
      id = fingerprint(original)
    }
    steps.run(doc)
    dropEmptyReportValues(doc)
    if (present(doc, 'error.message')) markError(doc, version)
  } catch (error) {
    const failure =
      error instanceof TaggedFailure
        ? error
        : new TaggedFailure(error instanceof ProcessorFailure ? error.processor : 'script', '', error instanceof Error ? error.message : String(error))
    append(doc, 'error.message', `Processor '${failure.processor}'\n${failure.tag ? `with tag '${failure.tag}'\n` : ''}failed with message '${failure.message}'`)
    markError(doc, version)
  }
  return {document: doc, ...(id === undefined ? {} : {id})}
}

function markError(doc: Doc, version: string): void {
  setField(doc, 'event.kind', 'pipeline_error')
  if (hasFeature(version, 'reportFailureTag')) append(doc, 'tags', 'preserve_original_event', {allowDuplicates: false})
}

/** The json processor: the text must be JSON. */
function parseJson(text: unknown): unknown {
  if (typeof text !== 'string') return text
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new TaggedFailure('json', 'parse_json_from_event_original', (error as Error).message)
  }
}

/** Runs one processor, giving its failure the processor's tag, as the on_failure message names it. */
export function withTag(tag: string, step: () => void): void {
  try {
    step()
  } catch (error) {
    if (error instanceof ProcessorFailure) throw new TaggedFailure(error.processor, tag, error.message)
    throw error
  }
}

/** Elasticsearch's fingerprint processor over one string field, default method SHA-1: base64(SHA-1(0x00 ‖ UTF-8)). */
export function fingerprint(value: unknown): string {
  const hash = createHash('sha1')
  hash.update(Buffer.from([0]))
  hash.update(typeof value === 'string' ? value : JSON.stringify(value))
  return hash.digest('base64')
}

/** The pipelines' last script: null, "" and (in maps only) "N/A" go, then maps and lists left empty. */
export function dropEmptyReportValues(value: unknown, inMap = true): boolean {
  if (Array.isArray(value)) {
    for (let i = value.length - 1; i >= 0; i--) if (dropEmptyReportValues(value[i], false)) value.splice(i, 1)
    return value.length === 0
  }
  if (isObject(value)) {
    for (const key of Object.keys(value)) if (dropEmptyReportValues(value[key], true)) delete value[key]
    return Object.keys(value).length === 0
  }
  return value === null || value === undefined || value === '' || (inMap && value === 'N/A')
}

/** Text as the pipelines test it: `ctx.x != null && ctx.x != ''`. */
export function hasText(doc: Doc, path: string): boolean {
  const value = getField(doc, path)
  return value !== undefined && value !== null && value !== ''
}

/**
 * A date processor into @timestamp with an on_failure that removes the source and records why. The
 * formats are tried in order; the result is UTC with milliseconds, as the processor writes it.
 */
export function reportDate(doc: Doc, field: string, parsers: ReadonlyArray<(text: string) => number | undefined>): void {
  if (!hasText(doc, field)) return
  const value = getField(doc, field)
  const text = typeof value === 'string' ? value : String(value)
  for (const parse of parsers) {
    const millis = parse(text)
    if (millis !== undefined && Number.isFinite(millis)) {
      setField(doc, '@timestamp', new Date(millis).toISOString())
      return
    }
  }
  removeFields(doc, field)
  append(doc, 'error.message', `Failed to parse ${field}: unable to parse date [${text}]`)
}

/** The ISO8601 format, read in UTC when the text gives no offset. */
export function parseIso8601(text: string): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/.exec(text)
  if (!match) return undefined
  const [, year, month, day, hour = '00', minute = '00', second = '00', fraction = '', zone] = match
  if (zone !== undefined && match[4] === undefined) return undefined
  const millis = utcMillis(year!, month!, day!, hour, minute, second, fraction)
  return millis === undefined ? undefined : millis - offsetMinutes(zone) * 60_000
}

/** The pattern "yyyy-MM-dd HH:mm:ss:SSS" (Zoom's meeting activity time), in UTC. */
export function parseZoomActivityTime(text: string): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}):(\d{3})$/.exec(text)
  if (!match) return undefined
  const [, year, month, day, hour, minute, second, millis] = match
  return utcMillis(year!, month!, day!, hour!, minute!, second!, millis!)
}

function utcMillis(year: string, month: string, day: string, hour: string, minute: string, second: string, fraction: string): number | undefined {
  const [y, mo, d, h, mi, s] = [year, month, day, hour, minute, second].map(Number) as [number, number, number, number, number, number]
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return undefined
  const millis = Date.UTC(y, mo - 1, d, h, mi, s, Number(fraction.padEnd(3, '0').slice(0, 3)))
  // Date.UTC rolls 31 February over into March; the processor refuses it.
  if (new Date(millis).getUTCDate() !== d) return undefined
  return millis
}

function offsetMinutes(zone: string | undefined): number {
  if (zone === undefined || zone === 'Z') return 0
  const digits = zone.slice(1).replace(':', '')
  const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0')
  return zone.startsWith('-') ? -minutes : minutes
}
