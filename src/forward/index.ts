import {connectElastic, createElasticClient, describeCredential, type ElasticConnection, type ElasticSettings} from '../elastic/connection.js'
import {UserError} from '../errors.js'
import {createDispatcher} from '../sender/client.js'
import type {FileStore} from '../store/file-store.js'
import {type ForwardEvent, Forwarder} from './forwarder.js'
import {AgentSink, ElasticSink, type Sink} from './sinks.js'

export {type ForwardEvent, Forwarder, type ForwardStatus} from './forwarder.js'
export {forwardDataStream} from './sinks.js'

export interface ForwardSettings {
  agent?: {url: string; header?: [string, string]; insecure?: boolean; caFile?: string}
  elastic?: {settings: ElasticSettings; preMap: boolean; integrationVersion?: string}
  batchSize?: number
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
}

/** The sinks serve was asked to feed, each with its own cursor over the store. */
export async function startForwarding(dataDir: string, store: FileStore, settings: ForwardSettings, onEvent: (event: ForwardEvent) => void): Promise<StartedForwarding> {
  const sinks: Sink[] = []
  const warnings: string[] = []
  if (settings.agent) {
    const dispatcher = createDispatcher({insecure: settings.agent.insecure, caFile: settings.agent.caFile, timeoutMs: 10_000, connections: 8})
    sinks.push(new AgentSink({url: settings.agent.url, header: settings.agent.header, dispatcher}))
  }
  if (settings.elastic) {
    const {connection, warning} = await connectForForwarding(settings.elastic.settings)
    if (warning) warnings.push(warning)
    sinks.push(new ElasticSink(connection, {namespace: settings.elastic.settings.namespace, preMap: settings.elastic.preMap, integrationVersion: settings.elastic.integrationVersion}))
  }
  const forwarders = sinks.map(
    (sink) =>
      new Forwarder({
        dataDir,
        sink,
        batchSize: settings.batchSize,
        flushMs: settings.flushMs,
        minBackoffMs: settings.minBackoffMs,
        maxBackoffMs: settings.maxBackoffMs,
        pauseMs: settings.pauseMs,
        subscribe: (wake) => store.onAppend((kind) => kind === 'events' && wake()),
        onEvent,
      }),
  )
  for (const forwarder of forwarders) await forwarder.start()
  return {forwarders, descriptions: sinks.map((sink) => sink.description), warnings}
}

/**
 * Wrong credentials, an untrusted certificate or something that is not Elasticsearch stop serve at start:
 * they will not fix themselves. An unreachable cluster does not: deliveries wait in the store until it is back.
 */
async function connectForForwarding(settings: ElasticSettings): Promise<{connection: ElasticConnection; warning?: string}> {
  try {
    return {connection: await connectElastic(settings)}
  } catch (error) {
    if (error instanceof UserError && error.category === 'network') {
      const client = createElasticClient(settings)
      const info = {clusterName: '', version: '(not reachable yet)', flavor: 'unknown', serverless: false}
      return {connection: {client, info, settings, credential: describeCredential(settings)}, warning: `${error.message}; deliveries wait in the store until it is reachable`}
    }
    throw error
  }
}
