import {collectDefaultMetrics, Counter, Gauge, Histogram, Registry} from 'prom-client'

import type {ForwardStatus, SinkErrorKind} from '../forward/index.js'
import type {DeliveryOutcome} from './delivery-handler.js'
import type {RevalidationWatch} from './revalidation.js'

/** What /metrics reads at each scrape besides the counters it keeps: the sinks' state and the re-validation watch. */
export interface MetricSources {
  forwarding: () => ForwardStatus[]
  revalidation: RevalidationWatch
}

/** Zoom gives up after 3 s: the buckets are finest where an answer is healthy, and one ends at Zoom's limit. */
const ANSWER_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5]
/** From a tiny event to the 1 MiB default --max-body and beyond. */
const BODY_BUCKETS = [256, 512, 1024, 2048, 4096, 8192, 16_384, 65_536, 262_144, 1_048_576, 4_194_304]
const ERROR_KINDS: SinkErrorKind[] = ['retry', 'paused', 'dead', 'stalled']

/**
 * serve's numbers for Prometheus (GET /metrics, text exposition, prom-client): what it answered and how
 * fast, what it forwards and how far behind, and whether Zoom still re-validates the endpoint. Counters of
 * requests are kept as they happen; the sinks' figures are read from their status at each scrape.
 */
export class ServeMetrics {
  readonly registry = new Registry()
  /** Counted per request in plain maps and arrays, read by the registry at each scrape (see ScrapedHistogram). */
  private readonly deliveries: ScrapedCounter<'result' | 'event_type' | 'app'>
  private readonly duplicates: ScrapedCounter<'event_type'>
  private readonly answerSeconds: ScrapedHistogram
  private readonly bodyBytes: ScrapedHistogram

  constructor(sources: MetricSources) {
    const registers = [this.registry]
    collectDefaultMetrics({register: this.registry, prefix: 'zoomctl_'})
    this.deliveries = new ScrapedCounter(
      {name: 'zoomctl_deliveries_total', help: 'Requests to the webhook path by verdict (accepted, duplicate, challenge, refused, rejected, error), event type and Zoom app'},
      this.registry,
    )
    this.duplicates = new ScrapedCounter({name: 'zoomctl_dedupe_copies_total', help: 'Deliveries recognised as copies of one already stored (Zoom retries), by event type'}, this.registry)
    this.answerSeconds = new ScrapedHistogram({name: 'zoomctl_answer_duration_seconds', help: 'Time from the request to the answer, by verdict (Zoom waits 3 s)', label: 'result', buckets: ANSWER_BUCKETS}, this.registry)
    this.bodyBytes = new ScrapedHistogram({name: 'zoomctl_delivery_body_bytes', help: 'Body sizes of the requests to the webhook path, by verdict', label: 'result', buckets: BODY_BUCKETS}, this.registry)
    new Gauge({
      name: 'zoomctl_url_validation_last_timestamp_seconds',
      help: "When serve last answered Zoom's URL-validation challenge (epoch seconds; 0: never). Zoom re-validates every 72 h",
      registers,
      collect() {
        this.set(sources.revalidation.lastAnsweredSeconds ?? 0)
      },
    })
    new Gauge({
      name: 'zoomctl_url_validation_overdue',
      help: 'Subscriptions (the Secret Token, each app) that had a URL validation but none for more than 72 h: Zoom may be failing to reach the endpoint',
      registers,
      collect() {
        this.set(sources.revalidation.status().overdue.length)
      },
    })

    // Per sink, read from the forwarders at each scrape.
    const perSink = (name: string, help: string, read: (status: ForwardStatus) => number, type: 'gauge' | 'counter' = 'gauge') => {
      const options = {name, help, labelNames: ['sink'] as const, registers}
      if (type === 'gauge') {
        return new Gauge({...options, collect() {
          this.reset()
          for (const status of sources.forwarding()) this.set({sink: status.sink}, read(status))
        }})
      }
      return new Counter({...options, collect() {
        this.reset()
        for (const status of sources.forwarding()) this.inc({sink: status.sink}, read(status))
      }})
    }
    perSink('zoomctl_forward_lag_records', 'Records stored and not yet confirmed by the sink (in flight and unread): its queue depth', (status) => status.queue.records)
    perSink('zoomctl_forward_lag_seconds', 'Age of the oldest record the sink has not confirmed (0 when caught up)', (status) => status.lag.oldestPendingAgeSeconds)
    perSink('zoomctl_forward_queue_bytes', 'Bytes of the store after the sink\'s cursor', (status) => status.lag.bytes)
    perSink('zoomctl_forward_up', '1 when the sink takes deliveries, 0 while it is retrying, paused or stopped', (status) => (status.state === 'ok' ? 1 : 0))
    perSink('zoomctl_forwarded_total', 'Records the sink confirmed (an Elasticsearch 409, already there, counts)', (status) => status.forwarded, 'counter')
    perSink('zoomctl_dead_letters_total', 'Records the sink refused for good, kept in dead-letter/', (status) => status.deadLetters, 'counter')
    new Counter({
      name: 'zoomctl_sink_errors_total',
      help: 'Sink errors by kind: retry (outage, 429, 5xx), paused (credentials refused), dead (a record refused for good), stalled (store or cursor)',
      labelNames: ['sink', 'kind'],
      registers,
      collect() {
        this.reset()
        for (const status of sources.forwarding()) for (const kind of ERROR_KINDS) this.inc({sink: status.sink, kind}, status.errors[kind])
      },
    })
  }

  /** Counts one answered request. */
  observe(outcome: DeliveryOutcome): void {
    // A rejected request's event type is only what an unauthenticated body claims: never a label (anyone could mint series without end).
    const eventType = outcome.result === 'rejected' ? '' : (outcome.eventType ?? '')
    const app = outcome.app ?? ''
    this.deliveries.inc(`${outcome.result}\u0000${eventType}\u0000${app}`, () => ({result: outcome.result, event_type: eventType, app}))
    if (outcome.result === 'duplicate') this.duplicates.inc(eventType, () => ({event_type: eventType}))
    this.answerSeconds.observe(outcome.result, outcome.durationMs / 1000)
    if (outcome.bodyBytes !== undefined) this.bodyBytes.observe(outcome.result, outcome.bodyBytes)
  }

  async exposition(): Promise<{contentType: string; text: string}> {
    return {contentType: this.registry.contentType, text: await this.registry.metrics()}
  }
}

/**
 * A counter kept in a plain map, by a key of its label values, and read by the registry at each scrape (see
 * ScrapedHistogram): get() gives what a prom-client Counter gives for the same increments.
 */
class ScrapedCounter<Label extends string> {
  readonly type = 'counter'
  readonly aggregator = 'sum'
  // Not readonly: for the OpenMetrics format, the registry writes a counter's name without its _total.
  name: string
  readonly help: string
  private readonly series = new Map<string, {labels: Record<Label, string>; value: number}>()

  constructor(config: {name: string; help: string}, registry: Registry) {
    this.name = config.name
    this.help = config.help
    registry.registerMetric(this as unknown as Counter)
  }

  /** One more for the series of `key`; `labels` is called for a series not seen yet. */
  inc(key: string, labels: () => Record<Label, string>): void {
    const series = this.series.get(key)
    if (series) series.value++
    else this.series.set(key, {labels: labels(), value: 1})
  }

  async get(): Promise<{name: string; help: string; type: 'counter'; aggregator: 'sum'; values: Array<{labels: Record<Label, string>; value: number}>}> {
    return {name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: [...this.series.values()].map(({labels, value}) => ({labels, value}))}
  }

  reset(): void {
    this.series.clear()
  }
}

/**
 * A histogram with one label, counted in plain arrays and read by the registry at each scrape. prom-client's
 * Histogram hashes the label set on every observe(), and its Counter on every inc(): for the four of
 * them, 1.2 µs of each request's CPU in process, about 0.4 µs now. get() gives the registry the values a
 * prom-client Histogram gives for the same observations (test/unit/metrics.test.ts holds the two
 * expositions to each other): a value counts in the first bucket whose bound it does not exceed. One that
 * is not a finite number is not counted (prom-client throws; serve's durations and sizes always are).
 */
class ScrapedHistogram {
  readonly type = 'histogram'
  readonly aggregator = 'sum'
  readonly name: string
  readonly help: string
  private readonly label: string
  private readonly bounds: number[]
  private readonly series = new Map<string, {buckets: number[]; sum: number; count: number}>()

  constructor(config: {name: string; help: string; label: string; buckets: number[]}, registry: Registry) {
    this.name = config.name
    this.help = config.help
    this.label = config.label
    this.bounds = [...config.buckets].sort((a, b) => a - b)
    // The registry reads a metric through get() and reset() alone; prom-client's types list only its own classes.
    registry.registerMetric(this as unknown as Histogram)
  }

  observe(labelValue: string, value: number): void {
    if (!Number.isFinite(value)) return
    let series = this.series.get(labelValue)
    if (!series) {
      series = {buckets: this.bounds.map(() => 0), sum: 0, count: 0}
      this.series.set(labelValue, series)
    }
    const bucket = this.bounds.findIndex((bound) => value <= bound)
    if (bucket >= 0) series.buckets[bucket]!++
    series.sum += value
    series.count++
  }

  async get(): Promise<{name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: Array<{labels: Record<string, string | number>; value: number; metricName: string}>}> {
    const values: Array<{labels: Record<string, string | number>; value: number; metricName: string}> = []
    for (const [labelValue, {buckets, sum, count}] of this.series) {
      let cumulative = 0
      this.bounds.forEach((bound, i) => {
        cumulative += buckets[i]!
        values.push({labels: {le: bound, [this.label]: labelValue}, value: cumulative, metricName: `${this.name}_bucket`})
      })
      values.push(
        {labels: {le: '+Inf', [this.label]: labelValue}, value: count, metricName: `${this.name}_bucket`},
        {labels: {[this.label]: labelValue}, value: sum, metricName: `${this.name}_sum`},
        {labels: {[this.label]: labelValue}, value: count, metricName: `${this.name}_count`},
      )
    }
    return {name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values}
  }

  reset(): void {
    this.series.clear()
  }
}
