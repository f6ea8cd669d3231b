import {allEvents, categories, type EventSpec, eventsInCategory, findEvent, suggestEvents} from '../catalog/catalog.js'
import {buildEventBody, eventBodyWriter} from '../catalog/payload.js'
import {createScenario, type Scenario} from '../catalog/scenario.js'
import {readUserFile} from '../config/files.js'
import {applyAssignment, OptionError, parseAssignment} from '../config/parse.js'
import type {Dispatcher} from 'undici'

import type {AuthSettings} from '../zoom/auth.js'
import {URL_VALIDATION_EVENT} from '../zoom/challenge.js'
import {epochSeconds} from '../zoom/signature.js'
import {delay} from '../timing.js'
import {sendDelivery} from './client.js'
import {ZOOM_BUDGET_MS} from '../zoom/limits.js'
import {type PreparedDelivery, prepareDelivery} from './prepare.js'

export interface EventSelection {
  names: string[]
  all?: boolean
  category?: string
}

/**
 * The event types a simulate run sends. --all and --category leave out endpoint.url_validation: it is a
 * challenge to answer, not an event to store; name it to send it.
 */
export function selectEvents(selection: EventSelection): EventSpec[] {
  const chosen: EventSpec[] = []
  for (const name of selection.names) {
    const spec = findEvent(name)
    if (!spec) {
      const hints = suggestEvents(name)
      throw new OptionError(`unknown event type "${name}"`, {hint: `${hints.length ? `did you mean ${hints.join(', ')}? ` : ''}(zoomctl events lists them)`})
    }
    chosen.push(spec)
  }
  if (selection.category) {
    if (!categories().includes(selection.category)) {
      throw new OptionError(`unknown category "${selection.category}": use one of ${categories().join(', ')}`)
    }
    chosen.push(...eventsInCategory(selection.category).filter((spec) => spec.event !== URL_VALIDATION_EVENT))
  }
  if (selection.all) chosen.push(...allEvents().filter((spec) => spec.event !== URL_VALIDATION_EVENT))
  return [...new Map(chosen.map((spec) => [spec.event, spec])).values()]
}

/** Makes the bodies of a run: fresh times at each call, identities shared through one scenario. */
export class BodyFactory {
  private readonly scenario: Scenario
  private readonly overrides: Array<{path: string[]; value: unknown}>
  private lastEventTs = 0
  private readonly writers = new Map<EventSpec, (now: number) => string>()

  /** `clock`: where "now" comes from (pinned by --now, so that a seed gives the same bodies every run). */
  constructor(
    seed: number,
    overrides: string[] = [],
    private readonly clock: () => number = Date.now,
  ) {
    this.scenario = createScenario(seed, clock())
    this.overrides = overrides.map(parseAssignment)
  }

  /**
   * The body of one event, overrides applied. event_ts rises by at least 1 ms per body, so that a burst
   * sends distinct events rather than copies a receiver should dedupe.
   */
  build(spec: EventSpec, now: number = this.clock()): Record<string, unknown> {
    const body = buildEventBody(spec, this.scenario, this.nextEventTs(now)) as Record<string, unknown>
    for (const override of this.overrides) applyAssignment(body, override)
    return body
  }

  /** The value a --set gives the top-level "event", if one does. */
  get eventOverride(): unknown {
    return this.overrides.find((override) => override.path.length === 1 && override.path[0] === 'event')?.value
  }

  /**
   * The body as compact JSON, as Zoom sends it. Without overrides it comes from the entry's compiled
   * writer: the same text as JSON.stringify(build(…)) at a small part of the cost, which a burst needs.
   */
  body(spec: EventSpec, now: number = this.clock()): string {
    if (this.overrides.length > 0) return JSON.stringify(this.build(spec, now))
    let writer = this.writers.get(spec)
    if (!writer) this.writers.set(spec, (writer = eventBodyWriter(spec, this.scenario)))
    return writer(this.nextEventTs(now))
  }

  private nextEventTs(now: number): number {
    this.lastEventTs = Math.max(now, this.lastEventTs + 1)
    return this.lastEventTs
  }
}

/** A payload file, sent exactly as its bytes are: no re-serialisation, so the signature covers the file. */
export async function readPayloadFile(path: string): Promise<{bytes: Buffer; eventType?: string; json: boolean}> {
  const bytes = path === '-' ? await readStdin() : await readUserFile(path)
  let eventType: string | undefined
  let json = true
  try {
    const parsed = JSON.parse(bytes.toString('utf8')) as {event?: unknown}
    if (typeof parsed?.event === 'string') eventType = parsed.event
  } catch {
    // Sent anyway: testing how a receiver handles malformed JSON is a fair use. Its row says so.
    json = false
  }
  return {bytes, eventType, json}
}

/** One delivery of a run, made (body, timestamp, signature) only when it is sent. */
export interface PlannedDelivery {
  event: string
  make: () => PreparedDelivery
  /** Wait this long before sending it (a retry's spacing). */
  delayMs?: number
  /** 1 for the first retry of the delivery before it, 2 for the second … */
  retry?: number
}

export interface PlanOptions {
  specs: EventSpec[]
  /** Payload files, each sent as its bytes are, in the order given. */
  files?: Array<{bytes: Buffer; eventType?: string; json?: boolean}>
  factory: BodyFactory
  auth: AuthSettings
  /** Seconds added to x-zm-request-timestamp (negative: a late retry). */
  timestampOffset?: number
  extraHeaders?: Record<string, string>
}

export function planDeliveries(options: PlanOptions): PlannedDelivery[] {
  const prepare = (body: string | Buffer) =>
    prepareDelivery(body, options.auth, {timestamp: epochSeconds() + (options.timestampOffset ?? 0), extraHeaders: options.extraHeaders})
  if (options.files?.length) return options.files.map((file) => ({event: file.eventType ?? (file.json === false ? '(file, not JSON)' : '(file)'), make: () => prepare(file.bytes)}))
  // A --set of "event" changes what is sent: the row names what was sent, not the catalog entry.
  const renamed = options.factory.eventOverride
  return options.specs.map((spec) => ({event: typeof renamed === 'string' ? renamed : spec.event, make: () => prepare(options.factory.body(spec))}))
}

/**
 * Zoom's retries, compressed in time: after each delivery, the same bytes (same event_ts) again, signed
 * afresh, as Zoom resends after a 5xx or a time-out. A receiver should store one and mark the copies.
 */
export function withRetries(planned: PlannedDelivery[], retries: number, spacingMs: number, resign: (body: Buffer) => PreparedDelivery): PlannedDelivery[] {
  if (retries <= 0) return planned
  return planned.flatMap((delivery) => {
    let body: Buffer | undefined
    const first: PlannedDelivery = {
      ...delivery,
      make: () => {
        const prepared = delivery.make()
        body = prepared.body
        return prepared
      },
    }
    const copies = Array.from({length: retries}, (_, i): PlannedDelivery => ({event: delivery.event, delayMs: spacingMs, retry: i + 1, make: () => resign(body!)}))
    return [first, ...copies]
  })
}

export interface SentDelivery {
  event: string
  status?: number
  latencyMs: number
  /** A 2xx within Zoom's 3 s: Zoom counts a later answer as failed, and retries. */
  ok: boolean
  late: boolean
  /** Set on a retry's result: which one. */
  retry?: number
  /** The endpoint's answer, parsed when it is JSON. */
  answer: unknown
  error?: string
  /** The exact bytes sent. */
  body: Buffer
  sentAt: Date
}

/** Sends one after another (the order a reader expects), reporting each result as it comes. */
export async function sendInOrder(url: string, planned: PlannedDelivery[], dispatcher: Dispatcher, onResult?: (result: SentDelivery, done: number) => void, signal?: AbortSignal): Promise<SentDelivery[]> {
  const results: SentDelivery[] = []
  for (const {event, make, delayMs, retry} of planned) {
    // Ctrl-C: nothing more is sent, and a retry's spacing (--retry-spacing) is not waited out.
    if (delayMs) await delay(delayMs, signal)
    if (signal?.aborted) break
    const prepared = make()
    const sentAt = new Date()
    const result = await sendDelivery(url, prepared, dispatcher)
    let answer: unknown = result.responseBody
    try {
      answer = JSON.parse(result.responseBody)
    } catch {
      // Not JSON: keep the text.
    }
    const late = result.latencyMs > ZOOM_BUDGET_MS
    results.push({
      event,
      status: result.status,
      latencyMs: result.latencyMs,
      ok: result.status !== undefined && result.status >= 200 && result.status < 300 && !late,
      late,
      ...(retry ? {retry} : {}),
      answer,
      ...(result.error ? {error: result.error} : {}),
      body: prepared.body,
      sentAt,
    })
    onResult?.(results[results.length - 1]!, results.length)
  }
  return results
}

export interface SimulateChoice {
  names: string[]
  all: boolean
  category?: string
  files: string[]
  set?: string[]
  burst: boolean
  dryRun: boolean
  explain: boolean
  record?: string
}

/** Flags that cannot be honoured together: one sentence that says why, or undefined. */
export function conflictingFlags(choice: SimulateChoice): string | undefined {
  const sources = [choice.names.length ? 'event types' : '', choice.all ? '--all' : '', choice.category ? '--category' : '', choice.files.length ? '--file' : ''].filter(Boolean)
  if (sources.length > 1) return `choose the events one way: ${sources.join(' and ')} were both given`
  if (choice.files.length && choice.set?.length) return '--set changes generated bodies; a --file is sent byte for byte (edit the file instead)'
  if (choice.files.filter((file) => file === '-').length > 1) return 'standard input can be read once: give --file - at most once'
  if (choice.burst && choice.dryRun) return '--dry-run prints one curl per event type: leave out --count/--rate/--concurrency/--duration'
  if (choice.burst && choice.explain) return '--explain shows each event\'s document: leave out --count/--rate/--concurrency/--duration'
  if (choice.burst && choice.record) return '--record writes what a sequential run sent: leave out --count/--rate/--concurrency/--duration'
  if (choice.category === 'endpoint') return 'the endpoint category holds only endpoint.url_validation, a challenge: name it to send it'
  return undefined
}

/** --file -: the body from standard input, byte for byte. */
async function readStdin(): Promise<Buffer> {
  if (process.stdin.isTTY) throw new OptionError('--file -: nothing on standard input: pipe a body into it')
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}
