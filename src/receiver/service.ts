import {randomBytes} from 'node:crypto'
import {access, unlink} from 'node:fs/promises'
import {join} from 'node:path'

import {isLoopbackHost, loadOrCreateLocalToken, localTokenPath} from '../config/local-token.js'
import {type ForwardEvent, type ForwardSettings, type StartedForwarding, startForwarding} from '../forward/index.js'
import {FileStore, removeUnusedDataDir} from '../store/index.js'
import {FileLock} from '../store/lock.js'
import {RejectionLog, type RejectionCounts} from '../store/rejections.js'
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
  /** The config file serve's settings came from, null for none (the command adds it: see ZoomctlCommand). */
  config?: string | null
}

export interface ServeCallbacks {
  onOutcome: (outcome: DeliveryOutcome) => void
  onForward: (event: ForwardEvent) => void
  onListening: (started: ServeStarted) => void
  /** Something found after start-up that the user should know (torn lines in the store …). */
  onWarning: (message: string) => void
}

export type Counts = Record<DeliveryOutcome['result'], number>

/** How long doctor's probe waits for serve's sinks to say whether they answer. */
const PROBE_CHECK_MS = 5000

/** Rejections that are not deliveries at all (a scanner's GET, another path): not logged among refused deliveries. */
const NOT_DELIVERIES = new Set(['wrong-path', 'wrong-method', 'bad-target'])

/** What /healthz says of refused requests: how many, why, and when the last came. */
function publicCounts(counts: RejectionCounts): Record<string, unknown> {
  return {total: counts.rejected, since: counts.since, byReason: counts.byReason, ...(counts.lastRejected ? {last: counts.lastRejected} : {}), probes: counts.probes}
}

/** The lock a serve holds on its data dir while it runs (see FileLock): pid, host, since, URL. */
export function serveLockPath(dataDir: string): string {
  return join(dataDir, 'serve.lock')
}

/** Runs the receiver (and its forwarders) until SIGINT/SIGTERM; in-flight requests and batches finish first. */
export async function runServe(settings: ServeSettings, callbacks: ServeCallbacks): Promise<{signal: NodeJS.Signals; counts: Counts}> {
  let token: ServeStarted['token']
  let auth = settings.auth
  const dataDirWasThere = await access(settings.dataDir).then(() => true, () => false)
  // One writer per data dir: two serves would interleave the same day files, cursors and dedupe keys.
  const lock = await FileLock.acquire(serveLockPath(settings.dataDir), {holder: 'zoomctl serve', guards: `the data dir ${settings.dataDir}`, instead: 'give this serve another --data-dir'}).catch(async (error: unknown) => {
    if (!dataDirWasThere) await removeUnusedDataDir(settings.dataDir)
    throw error
  })
  if (settings.generateToken && !auth.secretToken) {
    const local = await loadOrCreateLocalToken(settings.dataDir)
    auth = {...auth, secretToken: local.token}
    token = {file: localTokenPath(settings.dataDir), created: local.created}
  }
  // A serve that never listened leaves nothing behind: a token made for it was never used (the next start
  // makes one), and a data dir it made is empty (a mistyped --data-dir on a taken port leaves no trace).
  const undoStart = async () => {
    await lock.release()
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
  const store = await FileStore.open(settings.dataDir, {sync: settings.fsync, dedupeWindowMs: settings.dedupeWindowMs}).catch(async (error: unknown) => {
    await undoStart()
    throw error
  })
  const counts: Counts = {accepted: 0, duplicate: 0, challenge: 0, refused: 0, rejected: 0, error: 0, probe: 0}
  // Requests refused as unauthenticated leave no record in the store: counted and logged apart, bounded.
  const rejections = await RejectionLog.open(settings.dataDir)
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
      onOutcome: (outcome) => {
        counts[outcome.result]++
        if (outcome.result === 'probe' || (outcome.result === 'rejected' && !NOT_DELIVERIES.has(outcome.reason ?? ''))) {
          const verdict = outcome.result === 'probe' || outcome.probe ? 'probe' : 'rejected'
          rejections.record({at: outcome.receivedAt, verdict, from: outcome.remoteAddress, status: outcome.status, reason: outcome.reason ?? 'unknown', ...(outcome.eventType ? {eventType: outcome.eventType} : {})})
        }
        callbacks.onOutcome(outcome)
        if (inspectorListeners.size) {
          const entry = liveEntry(outcome)
          if (entry) for (const listener of inspectorListeners) listener(entry)
        }
      },
      // Bounded: doctor waits for this answer.
      onProbe: () => Promise.race([Promise.all(forwarding!.forwarders.map((forwarder) => forwarder.checkSink())).then(() => undefined), new Promise<void>((resolve) => setTimeout(resolve, PROBE_CHECK_MS).unref())]),
      health: () => ({
        dedupe: {state: store.isIndexed ? 'ready' : 'loading', keys: store.indexSize},
        // Counts, reasons and times only: /healthz is public, addresses and event types stay in the data dir.
        rejected: publicCounts(rejections.current()),
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
      await lock.release()
      throw error
    }
  }
  // The next serve on this data dir is told where this one listens.
  await lock.update({url: receiver.url})

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
  await rejections.close()
  await lock.release()
  return {signal, counts}
}

/** What the inspector lists live for an outcome: stored deliveries, and rejected requests (never stored). */
function liveEntry(outcome: DeliveryOutcome): LiveEntry | undefined {
  if (outcome.result === 'challenge' || outcome.result === 'probe') return undefined
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
