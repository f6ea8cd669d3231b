/**
 * The few ingest-processor semantics the Zoom pipelines rely on, over a plain JSON document: dotted paths,
 * rename that refuses to overwrite, append that turns a scalar into a list, Mustache templates that render
 * values as text. Each mirrors Elasticsearch's processor of the same name.
 */
export type Doc = Record<string, unknown>

export class ProcessorFailure extends Error {
  constructor(
    readonly processor: string,
    message: string,
  ) {
    super(message)
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * A dotted path's keys, split once: the pipelines name the same few hundred constant paths for every
 * document, and splitting them again each time was a tenth of forwarding's CPU (--pre-map).
 */
const splitPaths = new Map<string, readonly string[]>()
function keysOf(path: string): readonly string[] {
  let keys = splitPaths.get(path)
  if (keys === undefined) {
    keys = path.split('.')
    // Paths come from the pipelines' code and from templates over the documents: bounded, but not trusted to be.
    if (splitPaths.size < 10_000) splitPaths.set(path, keys)
  }
  return keys
}

export function getField(doc: Doc, path: string): unknown {
  return walk(doc, keysOf(path), 0)
}

/** The value under keys[from...]; `to` (exclusive) stops early, for a field's parent. */
function walk(doc: Doc, keys: readonly string[], from: number, to = keys.length): unknown {
  let node: unknown = doc
  for (let i = from; i < to; i++) {
    if (!isObject(node)) return undefined
    node = node[keys[i]!]
  }
  return node
}

/** True when the path holds a value other than null (ctx.a?.b != null in Painless). */
export function present(doc: Doc, path: string): boolean {
  const value = getField(doc, path)
  return value !== undefined && value !== null
}

export function setField(doc: Doc, path: string, value: unknown): void {
  const keys = keysOf(path)
  let node: Doc = doc
  for (let i = 0; i < keys.length - 1; i++) {
    const key = keys[i]!
    const next = node[key]
    if (!isObject(next)) node[key] = {}
    node = node[key] as Doc
  }
  node[keys[keys.length - 1]!] = value
}

export function removeField(doc: Doc, path: string): boolean {
  const keys = keysOf(path)
  const last = keys[keys.length - 1]!
  const parent = walk(doc, keys, 0, keys.length - 1)
  if (!isObject(parent) || !(last in parent)) return false
  delete parent[last]
  return true
}

/** Elasticsearch's `remove` with ignore_missing. */
export function removeFields(doc: Doc, ...paths: string[]): void {
  for (const path of paths) removeField(doc, path)
}

/** Elasticsearch's `rename`: fails when the source is missing (unless ignored) or the target already exists. */
export function rename(doc: Doc, from: string, to: string, options: {ignoreMissing?: boolean} = {}): void {
  const value = getField(doc, from)
  if (value === undefined || (value === null && !fieldExists(doc, from))) {
    if (options.ignoreMissing) return
    throw new ProcessorFailure('rename', `field [${from}] doesn't exist`)
  }
  if (fieldExists(doc, to)) throw new ProcessorFailure('rename', `field [${to}] already exists`)
  removeField(doc, from)
  setField(doc, to, value)
}

function fieldExists(doc: Doc, path: string): boolean {
  const keys = keysOf(path)
  const parent = walk(doc, keys, 0, keys.length - 1)
  return isObject(parent) && keys[keys.length - 1]! in parent
}

/** Text of a value as a Mustache template renders it: strings as they are, numbers and booleans as text. */
export function renderValue(value: unknown): string {
  if (value === undefined || value === null) return ''
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  return JSON.stringify(value)
}

/** Renders `{{{path}}}` (and the older `{{path}}`) placeholders against the document. */
export function template(doc: Doc, text: string): string {
  return text.replace(/\{\{\{?\s*([\w.@]+)\s*\}?\}\}/g, (_, path: string) => renderValue(getField(doc, path)))
}

export interface SetOptions {
  /** Skip when the value is null or an empty string. */
  ignoreEmpty?: boolean
  /** With false, only fill a field that is missing or null. */
  override?: boolean
}

/** Elasticsearch's `set` with a template value. */
export function setTemplate(doc: Doc, field: string, text: string, options: SetOptions = {}): void {
  assign(doc, field, template(doc, text), options)
}

/** Elasticsearch's `set` with copy_from: the value keeps its type. */
export function copyField(doc: Doc, field: string, from: string, options: SetOptions = {}): void {
  assign(doc, field, structuredClone(getField(doc, from)), options)
}

function assign(doc: Doc, field: string, value: unknown, options: SetOptions): void {
  if (options.ignoreEmpty && (value === undefined || value === null || value === '')) return
  if (options.override === false && present(doc, field)) return
  setField(doc, field, value ?? null)
}

/** Elasticsearch's `append`: creates the list, turns a scalar into one, and may skip values already there. */
export function append(doc: Doc, field: string, values: unknown | unknown[], options: {allowDuplicates?: boolean} = {}): void {
  const existing = getField(doc, field)
  const list: unknown[] = existing === undefined ? [] : Array.isArray(existing) ? existing : [existing]
  for (const value of Array.isArray(values) ? values : [values]) {
    if (options.allowDuplicates === false && list.includes(value)) continue
    list.push(value)
  }
  setField(doc, field, list)
}

/** Appends the rendered template when the field it reads is present (the pipelines' usual `if`). */
export function appendFrom(doc: Doc, field: string, source: string, options: {allowDuplicates?: boolean} = {}): void {
  if (present(doc, source)) append(doc, field, template(doc, `{{{${source}}}}`), options)
}

/** The default pipeline's first script: drop null and "" values, then maps and lists left empty. */
export function dropEmpty(value: unknown): boolean {
  if (value === null || value === undefined || value === '') return true
  if (Array.isArray(value)) {
    for (let i = value.length - 1; i >= 0; i--) if (dropEmpty(value[i])) value.splice(i, 1)
    return value.length === 0
  }
  if (isObject(value)) {
    for (const key of Object.keys(value)) if (dropEmpty(value[key])) delete value[key]
    return Object.keys(value).length === 0
  }
  return false
}

/** A `date` processor with format UNIX_MS: epoch milliseconds (number or numeric text) to an ISO timestamp. */
export function dateFromUnixMs(doc: Doc, from: string, to = '@timestamp'): void {
  const value = getField(doc, from)
  const millis = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : NaN
  // ignore_failure: a value that is not epoch ms leaves the target unset.
  if (!Number.isFinite(millis)) return
  const date = new Date(Math.trunc(millis))
  if (Number.isNaN(date.getTime())) return
  setField(doc, to, date.toISOString())
}

/**
 * A `date` processor with the format name "ISO_INSTANT". Elasticsearch reads that name as a pattern of
 * letters it cannot parse, so the processor always fails, and every pipeline sets ignore_failure: it
 * never sets its target. Kept as a named no-op so each call site says which date the integration means.
 */
export function dateFromIsoInstant(_doc: Doc, _from: string, _to = '@timestamp'): void {}

/** Painless `ChronoUnit.NANOS.between(ZonedDateTime.parse(a), ZonedDateTime.parse(b))`. */
export function nanosBetween(start: unknown, end: unknown, processor = 'script'): number {
  const from = parseZoned(start)
  const to = parseZoned(end)
  if (from === undefined || to === undefined) {
    throw new ProcessorFailure(processor, `Text '${renderValue(from === undefined ? start : end)}' could not be parsed`)
  }
  return (to - from) * 1_000_000
}

function parseZoned(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined
  // ZonedDateTime.parse needs a full date-time with an offset or zone.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) return undefined
  const millis = Date.parse(value)
  return Number.isNaN(millis) ? undefined : millis
}

/** `convert` to type ip: the value must be an IPv4 or IPv6 address. */
export function isIpAddress(value: unknown): value is string {
  if (typeof value !== 'string') return false
  const v4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/
  if (v4.test(value)) return true
  return value.includes(':') && /^[0-9a-fA-F:.]+$/.test(value) && (value.match(/::/g)?.length ?? 0) <= 1
}
