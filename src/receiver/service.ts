import {randomBytes} from 'node:crypto'
import {access, unlink} from 'node:fs/promises'

import {isLoopbackHost, loadOrCreateLocalToken, localTokenPath} from '../config/local-token.js'
import {type ForwardEvent, type ForwardSettings, type StartedForwarding, startForwarding} from '../forward/index.js'
import {FileStore, removeUnusedDataDir} from '../store/index.js'
import {type AuthSettings, assertAuthComplete, describeAuth} from '../zoom/auth.js'
import type {DeliveryOutcome} from './delivery-handler.js'
import {startReceiver} from './server.js'
import type {LiveEntry, RunningInspector} from '../ui/server.js'

export interface ServeSettings {
  host: string
  port: number
  path: string
  dataDir: string
  toleranceSeconds: number
  maxBodyBytes: number
  fsync: boolean
  /** How far back stored dedupe keys are loaded at start (default 48 h). */
  dedupeWindowMs?: number
  auth: AuthSettings
  /** Signature mismatches answered 503 (Zoom retries) instead of 401: for a Secret Token's regeneration. */
  retryMismatched?: boolean
  /** No token was given and the address is loopback: make one and keep it in the data dir. */
  generateToken: boolean
  tls?: {cert: Buffer; key: Buffer}
  integrationVersion?: string
  forward: ForwardSettings
  /** The inspector page, on its own address. */
  ui?: {host: string; port: number}
}

export interface ServeStarted {
  url: string
  dataDir: string
  auth: string
  toleranceSeconds: number
  tls: boolean
  loopback: boolean
  /** Set when serve made the token: its file (the value itself is never printed: read from the file). */
  token?: {file: string; created: boolean}
  forwarding: string[]
  warnings: string[]
  /** The inspector's URL (with its token when it is reachable beyond loopback). */
  ui?: string
}

export interface ServeCallbacks {
  onOutcome: (outcome: DeliveryOutcome) => void
  onForward: (event: ForwardEvent) => void
  onListening: (started: ServeStarted) => void
  /** Something found after start-up that the user should know (torn lines in the store …). */
  onWarning: (message: string) => void
}

export type Counts = Record<DeliveryOutcome['result'], number>

/** Runs the receiver (and its forwarders) until SIGINT/SIGTERM; in-flight requests and batches finish first. */
export async function runServe(settings: ServeSettings, callbacks: ServeCallbacks): Promise<{signal: NodeJS.Signals; counts: Counts}> {
  let token: ServeStarted['token']
  let auth = settings.auth
  const dataDirWasThere = await access(settings.dataDir).then(() => true, () => false)
  if (settings.generateToken && !auth.secretToken) {
    const local = await loadOrCreateLocalToken(settings.dataDir)
    auth = {...auth, secretToken: local.token}
    token = {file: localTokenPath(settings.dataDir), created: local.created}
  }
  // A serve that never listened leaves nothing behind: a token made for it was never used (the next start
  // makes one), and a data dir it made is empty (a mistyped --data-dir on a taken port leaves no trace).
  const undoStart = async () => {
    if (token?.created) await unlink(token.file).catch(() => undefined)
    if (!dataDirWasThere) await removeUnusedDataDir(settings.dataDir)
  }
  try {
    assertAuthComplete(auth, 'receive')
  } catch (error) {
    await undoStart()
    throw error
  }

  // The window's dedupe keys load in the background: serve listens at once, and deliveries wait for the keys.
  const store = await FileStore.open(settings.dataDir, {sync: settings.fsync, dedupeWindowMs: settings.dedupeWindowMs})
  const counts: Counts = {accepted: 0, duplicate: 0, challenge: 0, refused: 0, rejected: 0, error: 0}
  const inspectorListeners = new Set<(entry: LiveEntry) => void>()
  let forwarding: StartedForwarding | undefined
  let receiver
  try {
    forwarding = await startForwarding(settings.dataDir, store, settings.forward, callbacks.onForward)
    receiver = await startReceiver({
      host: settings.host,
      port: settings.port,
      path: settings.path,
      auth,
      toleranceSeconds: settings.toleranceSeconds,
      retryMismatched: settings.retryMismatched,
      maxBodyBytes: settings.maxBodyBytes,
      store,
      tls: settings.tls,
      integrationVersion: settings.integrationVersion,
      ...(forwarding.acknowledger ? {acknowledge: (record) => forwarding!.acknowledger!.acknowledge(record)} : {}),
      onOutcome: (outcome) => {
        counts[outcome.result]++
        callbacks.onOutcome(outcome)
        if (inspectorListeners.size) {
          const entry = liveEntry(outcome)
          if (entry) for (const listener of inspectorListeners) listener(entry)
        }
      },
      health: () => ({
        dedupe: {state: store.isIndexed ? 'ready' : 'loading', keys: store.indexSize},
        store: store.writeStats,
        ...(forwarding?.acknowledger ? {ackAfterIndex: {...forwarding.acknowledger.stats, fallback: forwarding.acknowledger.settings.fallback}} : {}),
        ...(forwarding?.forwarders.length ? {forwarding: forwarding.forwarders.map((forwarder) => forwarder.status())} : {}),
      }),
    })
  } catch (error) {
    await Promise.all((forwarding?.forwarders ?? []).map((forwarder) => forwarder.stop(0)))
    await store.close()
    await undoStart()
    throw error
  }

  let inspector: RunningInspector | undefined
  if (settings.ui) {
    try {
      // Loaded only for --ui: the inspector brings the catalog and the pipelines, which a receiver does not need (start-up).
      const {startInspector} = await import('../ui/server.js')
      inspector = await startInspector({
        ...settings.ui,
        dataDir: settings.dataDir,
        receiverUrl: receiver.url,
        auth,
        integrationVersion: settings.integrationVersion,
        // Beyond loopback the page shows deliveries to anyone who can reach it: a token in its URL.
        token: isLoopbackHost(settings.ui.host) ? undefined : randomBytes(18).toString('base64url'),
        subscribe: (listener) => {
          inspectorListeners.add(listener)
          return () => inspectorListeners.delete(listener)
        },
      })
    } catch (error) {
      await receiver.close()
      await Promise.all(forwarding.forwarders.map((forwarder) => forwarder.stop(0)))
      throw error
    }
  }

  callbacks.onListening({
    url: receiver.url,
    dataDir: settings.dataDir,
    auth: describeAuth(auth),
    toleranceSeconds: settings.toleranceSeconds,
    tls: Boolean(settings.tls),
    loopback: isLoopbackHost(settings.host),
    ...(token ? {token} : {}),
    forwarding: forwarding.descriptions,
    warnings: [
      ...forwarding.warnings,
      ...(settings.retryMismatched ? ['a signature that matches no Secret Token is answered 503, so that Zoom retries it: for the minutes of a regeneration; without --retry-mismatched once serve has the new token'] : []),
    ],
    ...(inspector ? {ui: inspector.url} : {}),
  })

  // What reading the window's keys found is known once they are loaded, after serve is listening.
  void store.indexed().then(() => {
    if (store.skippedLines) callbacks.onWarning(`${store.skippedLines} torn line(s) in the store skipped: a write cut short by a crash (the delivery was never acknowledged)`)
    if (store.indexFailure) callbacks.onWarning(store.indexFailure)
  })

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'))
    process.once('SIGTERM', () => resolve('SIGTERM'))
  })
  await inspector?.close()
  await receiver.close()
  await Promise.all(forwarding.forwarders.map((forwarder) => forwarder.stop(10_000)))
  return {signal, counts}
}

/** What the inspector lists live for an outcome: stored deliveries, and rejected requests (never stored). */
function liveEntry(outcome: DeliveryOutcome): LiveEntry | undefined {
  if (outcome.result === 'challenge') return undefined
  const verdict = outcome.result === 'error' || outcome.result === 'rejected' ? 'rejected' : outcome.result
  return {
    id: outcome.recordId ?? `rejected-${Date.parse(outcome.receivedAt)}`,
    receivedAt: outcome.receivedAt,
    eventType: outcome.eventType,
    verdict,
    status: outcome.status === 200 ? undefined : outcome.status,
    reason: outcome.reason,
    detail: outcome.detail,
    durationMs: Math.round(outcome.durationMs * 100) / 100,
    accountId: outcome.accountId,
    from: outcome.remoteAddress,
    ...(outcome.duplicateOf ? {duplicateOf: outcome.duplicateOf} : {}),
  }
}
