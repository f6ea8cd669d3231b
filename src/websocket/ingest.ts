import {DeliveryHandler, type DeliveryOutcome} from '../receiver/delivery-handler.js'
import type {FileStore} from '../store/index.js'
import type {AuthSettings} from '../zoom/auth.js'
import {type ConnectionGap, ConnectionLog} from './connection-log.js'
import {type ConsumerStatus, type TokenSource, ZoomWebSocketConsumer} from './consumer.js'
import {lockSubscription} from './subscription-lock.js'

export interface WebSocketSettings {
  /** wss://ws.zoom.us/ws, or a local double / simulate --websocket. */
  endpoint: string
  subscriptionId: string
  tokens: TokenSource
  heartbeatMs?: number
  maxBackoffMs?: number
}

/** What serve says about the socket as it goes: on the console and in --json lines. */
export type SocketEvent =
  | {type: 'connected'; at: string; grant: string; endpoint: string; subscriptionId: string}
  | {type: 'disconnected'; at: string; reason: string}
  | {type: 'retry'; reason: string; retryInMs: number}

export interface IngestOptions {
  settings: WebSocketSettings
  dataDir: string
  /** serve's /healthz, kept with the lock for doctor. */
  healthUrl?: string
  store: FileStore
  auth: AuthSettings
  integrationVersion?: string
  onOutcome: (outcome: DeliveryOutcome) => void
  onSocket: (event: SocketEvent) => void
  onWarning: (message: string) => void
}

export interface RunningIngest {
  /** For /healthz: the socket's state, and the gaps recorded for this subscription (the last 20). */
  health(): ConsumerStatus & {gaps: ConnectionGap[]}
  /** Closes the socket, waits for the events in hand to be stored, records the stop, gives the lock back. */
  stop(): Promise<void>
}

/** A store failure is retried this many times, backing off: Zoom will not send the event again. */
const STORE_ATTEMPTS = 6

/**
 * serve's WebSocket side: one subscription, locked on this machine, its socket's ups and downs logged in
 * the data dir, every event handed to the same path as a webhook's delivery (DeliveryHandler: parsed,
 * deduplicated, stored before anything else; the forwarders tail the store as for HTTP).
 */
export async function startWebSocketIngest(options: IngestOptions): Promise<RunningIngest> {
  const {settings} = options
  const unlock = await lockSubscription(settings.subscriptionId, options.dataDir, options.healthUrl)
  const log = new ConnectionLog(options.dataDir, settings.subscriptionId)
  let gaps: ConnectionGap[] = []
  const refreshGaps = async () => {
    gaps = (await log.gaps()).slice(-20)
  }
  let recorded: Promise<void> = Promise.resolve()
  const logged = (write: Promise<void>) => {
    recorded = write.then(refreshGaps).catch((error: unknown) => options.onWarning(`could not record the WebSocket's state in ${options.dataDir}: ${(error as Error).message}`))
  }
  const handler = new DeliveryHandler({auth: options.auth, toleranceSeconds: 0, store: options.store, integrationVersion: options.integrationVersion})
  const host = new URL(settings.endpoint).host
  const inFlight = new Set<Promise<void>>()

  const ingest = async (body: Buffer, receivedAt: string) => {
    const delivery = {method: 'WEBSOCKET', path: new URL(settings.endpoint).pathname, headers: {}, rawBody: body, remoteAddress: host, receivedAt, websocket: {subscriptionId: settings.subscriptionId}}
    for (let attempt = 1; ; attempt++) {
      const reply = await handler.handleSocketEvent(delivery)
      if (reply.outcome.reason !== 'store-failed' || attempt === STORE_ATTEMPTS) {
        if (reply.outcome.reason === 'store-failed') reply.outcome.detail = `${reply.outcome.detail?.replace(/; answered 503.*$/, '')}; Zoom's WebSocket does not send an event again: this one is lost`
        options.onOutcome(reply.outcome)
        return
      }
      options.onWarning(`could not store an event from the WebSocket (${reply.outcome.detail}); trying again`)
      await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** attempt))
    }
  }

  try {
    await log.start()
    await refreshGaps()
  } catch (error) {
    await unlock()
    throw error
  }
  const consumer = new ZoomWebSocketConsumer({
    endpoint: settings.endpoint,
    subscriptionId: settings.subscriptionId,
    tokens: settings.tokens,
    heartbeatMs: settings.heartbeatMs,
    maxBackoffMs: settings.maxBackoffMs,
    onEvent: (body, receivedAt) => {
      const task = ingest(body, receivedAt).finally(() => inFlight.delete(task))
      inFlight.add(task)
    },
    onConnected: ({at, grant}) => {
      logged(log.connected(grant, at))
      options.onSocket({type: 'connected', at: at.toISOString(), grant, endpoint: consumer.status().endpoint, subscriptionId: settings.subscriptionId})
    },
    onDisconnected: ({at, reason}) => {
      logged(log.disconnected(reason, at))
      options.onSocket({type: 'disconnected', at: at.toISOString(), reason})
    },
    onAlive: (at) => void log.alive(at),
    onRetry: (reason, retryInMs) => options.onSocket({type: 'retry', reason, retryInMs}),
    onWarning: options.onWarning,
  })
  const stop = async () => {
    await consumer.stop()
    await Promise.all(inFlight)
    await log.stopped().catch(() => undefined)
    await unlock()
  }
  try {
    await consumer.start()
    // /healthz tells the gap a start closed as soon as serve says it listens.
    await recorded
  } catch (error) {
    await stop()
    throw error
  }
  return {
    health: () => ({...consumer.status(), gaps}),
    stop,
  }
}
