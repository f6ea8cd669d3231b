import {createReadStream} from 'node:fs'
import {stat} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'
import type {Readable} from 'node:stream'
import {StringDecoder} from 'node:string_decoder'

import {fileProblem} from '../config/files.js'
import {OptionError} from '../config/parse.js'
import type {ElasticSettings} from '../elastic/connection.js'
import {dayFiles} from '../store/file-store.js'
import {type DeliveryRecord, rawBodyBytes, recordOf, RECORD_FORMAT, storedLineBody, type StoredLineLayout, storedLineMetadata} from '../store/records.js'
import {readRejectionEntries, type RejectionEntry, rejectionPaths} from '../store/rejections.js'
import {eventTypeMarks} from './prefilter.js'

/**
 * One captured delivery, wherever it was read from: serve's store (accepted, refused, dead letters), an
 * NDJSON file of store records or of bare Zoom bodies, or standard input. Replay, validate --local,
 * events map, deliveries and the inspector all read through this one shape.
 */
export interface Delivery {
  /** The store's id, or "<file>:<line>" for a bare body. */
  id: string
  /** When serve received it (store records only). */
  receivedAt?: string
  eventType?: string
  /** The body exactly as captured. */
  rawBody: Buffer
  /** The parsed body, when it is JSON (and the reader asked for bodies: see ReadOptions). */
  body?: unknown
  /** The whole store record, when the source is serve's store or a copy of it. */
  record?: DeliveryRecord
  /** Where it was read: file and line. */
  origin: string
  /** Rebuilt from an indexed document's zoom.* fields (the integration did not keep event.original). */
  reconstructed?: true
  /** A dead letter: which sink gave up on it, and why. */
  deadLetter?: {sink?: string; error?: string; deadAt?: string}
  /** The line is not JSON at all (a line torn by a crash, or not NDJSON): there is nothing to send or map. */
  unreadable?: true
  /** A request serve did not store (refused as unauthenticated, or a doctor probe): what it remembers of it, no body (see RejectionLog). */
  rejection?: Omit<RejectionEntry, 'id' | 'at' | 'eventType'>
}

/** Which part of a data dir: accepted events, refused deliveries, or what forwarding gave up on. */
export const STORE_PARTS = {accepted: 'events', refused: 'refused', 'dead-letter': 'dead-letter'} as const
export type StorePart = keyof typeof STORE_PARTS

export type SourceSpec =
  /** `days`: only the day files from one UTC day to another (names as 2026-11-29), for a reader of a time window. */
  | {kind: 'store'; dataDir: string; part: StorePart; days?: {from?: string; to?: string}}
  | {kind: 'file'; path: string}
  | {kind: 'stdin'; stream?: Readable}
  | {kind: 'elasticsearch'; settings: ElasticSettings; window: {since: Date; until: Date}}
  /** Deliveries already found (the inspector's selection): read again as any other source. */
  | {kind: 'found'; deliveries: Delivery[]}
  /** What a data dir remembers of requests serve did not store (unauthenticated, doctor probes): no bodies. */
  | {kind: 'rejected'; dataDir: string}

/** A request serve did not store, as a delivery with nothing to send or map (readers that send skip it). */
export function rejectedDelivery(entry: RejectionEntry, origin: string): Delivery {
  const {id, at, eventType, ...rejection} = entry
  return {id, receivedAt: at, ...(eventType ? {eventType} : {}), rawBody: Buffer.alloc(0), origin, unreadable: true, rejection}
}

/** A command-line source: "-" is standard input, a directory is a data dir, anything else a file. */
export async function sourceFromArgument(argument: string, part: StorePart = 'accepted'): Promise<SourceSpec> {
  if (argument === '-') return {kind: 'stdin'}
  let info
  try {
    info = await stat(argument)
  } catch (error) {
    throw new OptionError(`cannot read ${argument}: ${fileProblem(error)}`, {hint: "give serve's data dir, a store or NDJSON file, or - for standard input (zoomctl deliveries lists what a data dir holds)"})
  }
  return info.isDirectory() ? {kind: 'store', dataDir: argument, part} : {kind: 'file', path: argument}
}

/** The NDJSON files of one part of a data dir, oldest first. */
export function storeFiles(dataDir: string, part: StorePart): Promise<string[]> {
  return dayFiles(join(dataDir, STORE_PARTS[part]))
}

export interface ReadOptions {
  /**
   * Parse the bodies of serve's store lines (default true). A reader that sends the bytes as they are
   * (replay without --set) says false: a line's metadata is then parsed only when something asks for it
   * (see StoredLineDelivery), and its body never.
   */
  bodies?: boolean
  /** Only deliveries of these event types are wanted: a store line without one is skipped unparsed (see eventTypeMarks). */
  eventTypes?: string[]
}

/** Deliveries one by one, streaming: memory stays flat whatever the size of the source. */
export async function* readDeliveries(spec: SourceSpec, options: ReadOptions = {}): AsyncGenerator<Delivery> {
  for await (const batch of readDeliveryBatches(spec, options)) yield* batch
}

/**
 * The same deliveries, those of each chunk read together: a reader that takes a million (replay) pays one
 * awaited step per chunk instead of one per delivery and per layer.
 */
export async function* readDeliveryBatches(spec: SourceSpec, options: ReadOptions = {}): AsyncGenerator<Delivery[]> {
  if (spec.kind === 'found') {
    yield spec.deliveries
  } else if (spec.kind === 'rejected') {
    yield (await readRejectionEntries(spec.dataDir)).map((entry) => rejectedDelivery(entry, rejectionPaths(spec.dataDir).dir))
  } else if (spec.kind === 'store') {
    for (const file of await storeFiles(spec.dataDir, spec.part)) {
      // A day file holds the deliveries received that UTC day: one outside the window has none of it.
      const day = basename(file, '.ndjson')
      if ((spec.days?.from && day < spec.days.from) || (spec.days?.to && day > spec.days.to)) continue
      yield* readLines(createReadStream(file), file, spec.dataDir, options, eventTypeMarks(options.eventTypes))
    }
  } else if (spec.kind === 'elasticsearch') {
    // Loaded only here: reading a store or a file does not need the Elasticsearch client.
    const {elasticDeliveries} = await import('./elastic-source.js')
    for await (const delivery of elasticDeliveries(spec.settings, spec.window)) yield [delivery]
  } else if (spec.kind === 'file') {
    // A file of serve's store: its data dir is two levels up (events/2026-11-29.ndjson).
    yield* readLines(createReadStream(spec.path), spec.path, dirname(dirname(spec.path)), options)
  } else {
    const input = spec.stream ?? process.stdin
    if (input === process.stdin && process.stdin.isTTY) throw new OptionError('nothing on standard input: pipe NDJSON into it, or name a file or data dir')
    yield* readLines(input, 'stdin', undefined, options)
  }
}

/** `marks`: a line of serve's store holding none of them is skipped unparsed (only a store's lines are known to carry them). */
async function* readLines(input: Readable, name: string, dataDir?: string, options: ReadOptions = {}, marks?: string[]): AsyncGenerator<Delivery[]> {
  let number = 0
  let pending: string | undefined
  try {
    for await (const lines of textLines(input)) {
      const batch: Delivery[] = []
      for (const line of lines) {
        number++
        if (marks && !marks.some((mark) => line.includes(mark))) continue
        if (!line.trim()) continue
        // A file of one pretty-printed body is not NDJSON: gather it whole below.
        if (pending !== undefined || (number === 1 && /^\s*\{\s*$/.test(line))) {
          pending = (pending ?? '') + line + '\n'
          continue
        }
        batch.push(parseLine(line, `${name}:${number}`, dataDir, options))
      }
      if (batch.length > 0) yield batch
    }
  } catch (error) {
    throw new OptionError(`cannot read ${name}: ${fileProblem(error)}`, {hint: 'give a store or NDJSON file, or - for standard input'})
  }
  if (pending !== undefined) {
    yield [parseLine(pending, `${name}:1`, dataDir, options)]
  }
}

/**
 * The lines of a stream of UTF-8 text, each without its \n or \r\n, those of each chunk together.
 * node:readline gives the same lines at a third of the speed (2.5 µs a line against 0.8 here), one
 * awaited step per line: a replay of a million deliveries reads a million lines.
 */
async function* textLines(input: Readable): AsyncGenerator<string[]> {
  // A character cut between two chunks is decoded whole with the next one.
  const decoder = new StringDecoder('utf8')
  let rest = ''
  for await (const chunk of input) {
    const text = rest + (typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer))
    const lines: string[] = []
    let start = 0
    for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', start)) {
      lines.push(text.slice(start, newline > start && text.charCodeAt(newline - 1) === 0x0d ? newline - 1 : newline))
      start = newline + 1
    }
    rest = text.slice(start)
    if (lines.length > 0) yield lines
  }
  rest += decoder.end()
  if (rest) yield [rest.endsWith('\r') ? rest.slice(0, -1) : rest]
}

/**
 * A line of serve's store (format 2, or format 1 with rawBody), of forwarding's dead letters (a record under "record"), or a
 * bare Zoom body. A line that is not JSON comes back marked unreadable: each reader decides (replay skips
 * it, events map says so).
 */
export function parseLine(line: string, origin: string, dataDir?: string, options: ReadOptions = {}): Delivery {
  // serve's own lines (format 2) first; whatever else a line is, the full reading below says.
  const layout = storedLineBody(line)
  if (layout && options.bodies === false) return new StoredLineDelivery(line, layout, origin)
  const record = layout && storedLineMetadata(line, layout)
  if (layout && record) {
    let body: unknown
    try {
      body = JSON.parse(record.rawBody)
    } catch {
      // A body that is not JSON is not one serve wrote in format 2: the full reading marks the line unreadable.
      return parseWhole(line, origin, dataDir)
    }
    return {id: record.id, receivedAt: record.receivedAt, eventType: record.eventType, rawBody: layout.body, body, record, origin}
  }
  return parseWhole(line, origin, dataDir)
}

/**
 * A whole format-2 line read for its body's bytes (replay without --set): its metadata is parsed the first
 * time something asks for it (its id, event type or time, for a filter or a failure's report), which a
 * replay of everything that all goes through never does: 1.3 µs of a line's 2.8. The body's size was
 * checked, so a line cut short by a crash is not one of these; metadata that does not parse (a hand-edited
 * line) names the delivery by its origin.
 */
class StoredLineDelivery implements Delivery {
  readonly rawBody: Buffer
  /** null until first asked for; undefined when the metadata is not a record. */
  private parsed: DeliveryRecord | undefined | null = null

  constructor(
    private readonly line: string,
    private readonly layout: StoredLineLayout,
    readonly origin: string,
  ) {
    this.rawBody = layout.body
  }

  get record(): DeliveryRecord | undefined {
    if (this.parsed === null) this.parsed = storedLineMetadata(this.line, this.layout)
    return this.parsed
  }

  get id(): string {
    return this.record?.id ?? this.origin
  }

  get receivedAt(): string | undefined {
    return this.record?.receivedAt
  }

  get eventType(): string | undefined {
    return this.record?.eventType
  }
}

/** Any line, parsed whole: a store line of either format, a dead letter, a bare body, or not JSON at all. */
function parseWhole(line: string, origin: string, dataDir?: string): Delivery {
  let parsed: unknown
  try {
    parsed = JSON.parse(line)
  } catch {
    return {id: origin, rawBody: Buffer.from(line, 'utf8'), origin, unreadable: true}
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {id: origin, rawBody: Buffer.from(line, 'utf8'), body: parsed, origin}
  const object = parsed as Record<string, unknown>
  const dead = typeof object.record === 'object' && object.record !== null
  let record: Partial<DeliveryRecord>
  try {
    record = dead ? (object.record as Partial<DeliveryRecord>) : recordOf(object, line)
  } catch {
    // A format-2 record whose body is not where its bodySize says is unreadable; anything else with a "v" is a bare body.
    if (typeof object.id === 'string') return {id: origin, rawBody: Buffer.from(line, 'utf8'), origin, unreadable: true}
    record = {}
  }
  if (typeof record.rawBody === 'string' && typeof record.id === 'string') {
    let rawBody: Buffer
    try {
      rawBody = rawBodyBytes(record as DeliveryRecord, dataDir)
    } catch {
      // A kept body whose file is gone: nothing to send or map.
      return {id: record.id, rawBody: Buffer.alloc(0), origin, record: record as DeliveryRecord, unreadable: true}
    }
    return {
      id: record.id,
      receivedAt: record.receivedAt,
      eventType: record.eventType,
      rawBody,
      // A format-2 body was parsed with its line; a format-1 body is parsed from its text (records before 0.2 kept it parsed).
      body: object.v === RECORD_FORMAT ? object.body : (record.event ?? tryParse(rawBody)),
      record: record as DeliveryRecord,
      origin,
      ...(dead ? {deadLetter: {sink: object.sink as string | undefined, error: object.error as string | undefined, deadAt: object.deadAt as string | undefined}} : {}),
    }
  }
  // A line of a run file (simulate --record, replay --record): the body as it was sent, when it was sent.
  if (object.type === RUN_RECORD_TYPE && typeof object.body === 'string') {
    const sent = Buffer.from(object.body, 'utf8')
    return {id: origin, ...(typeof object.sentAt === 'string' ? {receivedAt: object.sentAt} : {}), eventType: typeof object.event === 'string' ? object.event : undefined, rawBody: sent, body: tryParse(sent), origin}
  }
  const rawBody = Buffer.from(line.trim(), 'utf8')
  return {id: origin, eventType: typeof object.event === 'string' ? object.event : undefined, rawBody, body: parsed, origin}
}

/** The type of a run file's lines (see sender/record.ts): read here as deliveries, as a store's lines are. */
export const RUN_RECORD_TYPE = 'zoomctl.sent'

function tryParse(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'))
  } catch {
    return undefined
  }
}
