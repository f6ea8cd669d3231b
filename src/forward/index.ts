import type {ElasticSettings} from '../elastic/connection.js'
import type {FileStore} from '../store/file-store.js'
import {type AckSettings, IndexAcknowledger} from './ack.js'
import {type ForwardEvent, Forwarder} from './forwarder.js'
import type {Sink} from './sinks.js'

export {ACK_FALLBACKS, type AckAnswer, type AckFallback, IndexAcknowledger} from './ack.js'
export {type ForwardEvent, Forwarder, type ForwardStatus, type SinkErrorKind} from './forwarder.js'

export interface ForwardSettings {
  agent?: {url: string; header?: [string, string]; insecure?: boolean; caFile?: string}
  elastic?: {
    settings: ElasticSettings
    preMap: boolean
    integrationVersion?: string
    /** Find and remove copies that land in a newer backing index than their first (default true). */
    dedupeIndex?: boolean
    settleMs?: number
    clockMarginMs?: number
    /** serve --ack-after-index: answer Zoom once Elasticsearch has the document. */
    ack?: AckSettings
  }
  batchSize?: number
  /** Batches in flight at once per sink. */
  batchesInFlight?: number
  flushMs?: number
  minBackoffMs?: number
  maxBackoffMs?: number
  pauseMs?: number
}

export interface StartedForwarding {
  forwarders: Forwarder[]
  /** One line per sink for the startup banner. */
  descriptions: string[]
  warnings: string[]
  /** Once serve listens: say what the background connection to Elasticsearch found, as a forwarding event. */
  reportConnections: () => Promise<void>
  /** With --ack-after-index: what the receiver waits on before it answers. */
  acknowledger?: IndexAcknowledger
}

/** The sinks serve was asked to feed, each with its own cursor over the store. */
export async function startForwarding(dataDir: string, store: FileStore, settings: ForwardSettings, onEvent: (event: ForwardEvent) => void): Promise<StartedForwarding> {
  const sinks: Sink[] = []
  const warnings: string[] = []
  let connected: Promise<{problem?: {message: string; lasting: boolean}}> | undefined
  let acknowledger: IndexAcknowledger | undefined
  let acknowledged: {sink: Sink; summary: string} | undefined
  if (settings.agent) {
    // An HTTP client (undici) is loaded only by a serve that forwards: a serve that stores starts without it.
    const [{createDispatcher}, {AgentSink}] = await Promise.all([import('../sender/client.js'), import('./sinks.js')])
    const dispatcher = createDispatcher({insecure: settings.agent.insecure, caFile: settings.agent.caFile, timeoutMs: 10_000, connections: 8})
    sinks.push(new AgentSink({url: settings.agent.url, header: settings.agent.header, dispatcher}))
  }
  if (settings.elastic) {
    // The Elasticsearch client is loaded only by a serve that indexes: a quarter of a second of start-up otherwise.
    const {connectInBackground, connectionProblem, ElasticSink} = await import('./elastic-sink.js')
    const background = connectInBackground(settings.elastic.settings)
    const {connection} = background
    connected = background.connected.then((error) => (error ? {problem: connectionProblem(error)} : {}))
    const sink = new ElasticSink(connection, {
      namespace: settings.elastic.settings.namespace,
      preMap: settings.elastic.preMap,
      integrationVersion: settings.elastic.integrationVersion,
      dedupeIndex: settings.elastic.dedupeIndex,
      settleMs: settings.elastic.settleMs,
      clockMarginMs: settings.elastic.clockMarginMs,
      onWarning: (message) => onEvent({type: 'sink-warning', sink: sink.name, message}),
    })
    sinks.push(sink)
    if (settings.elastic.ack) {
      acknowledger = new IndexAcknowledger(sink, settings.elastic.ack)
      acknowledged = {sink, summary: ackSummary(settings.elastic.ack)}
    }
  }
  const forwarders = sinks.map(
    (sink) =>
      new Forwarder({
        dataDir,
        sink,
        batchSize: settings.batchSize,
        concurrency: settings.batchesInFlight,
        flushMs: settings.flushMs,
        minBackoffMs: settings.minBackoffMs,
        maxBackoffMs: settings.maxBackoffMs,
        pauseMs: settings.pauseMs,
        subscribe: (wake) => store.onAppend((kind) => kind === 'events' && wake()),
        // With --ack-after-index the request path indexes first; the forwarder takes what it could not.
        ...(acknowledger && sink.name === 'elasticsearch' ? {alreadyDelivered: (record: {id: string}) => acknowledger!.takeIndexed(record.id), holdMs: acknowledger.settings.budgetMs + 1000} : {}),
        onEvent,
      }),
  )
  for (const forwarder of forwarders) await forwarder.start()
  return {
    forwarders,
    // With --ack-after-index the Elasticsearch line says so: it changes what every 200 means.
    descriptions: sinks.map((sink) => (sink === acknowledged?.sink ? `${sink.description}; answering Zoom once indexed (${acknowledged.summary})` : sink.description)),
    warnings,
    ...(acknowledger ? {acknowledger} : {}),
    async reportConnections() {
      const {problem} = (await connected) ?? {}
      const forwarder = forwarders.find((candidate) => candidate.sinkName === 'elasticsearch')
      if (problem && forwarder) forwarder.reportDown(problem.message, problem.lasting)
    },
  }
}

/** --ack-after-index's settings in words: how long an answer waits, and what it is past that. */
function ackSummary(ack: AckSettings): string {
  const budget = ack.budgetMs % 1000 === 0 ? `${ack.budgetMs / 1000} s` : `${ack.budgetMs} ms`
  return `--ack-after-index: up to ${budget}, then ${ack.fallback === 'retry' ? '503 so that Zoom retries' : '200 from the store'} (--ack-fallback ${ack.fallback})`
}
