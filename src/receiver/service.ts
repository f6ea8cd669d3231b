import {access, unlink} from 'node:fs/promises'

import {isLoopbackHost, loadOrCreateLocalToken, localTokenPath} from '../config/local-token.js'
import {type ForwardEvent, type ForwardSettings, type StartedForwarding, startForwarding} from '../forward/index.js'
import {FileStore, removeUnusedDataDir} from '../store/index.js'
import {FileLock, serveLockPath} from '../store/lock.js'
import {RejectionLog, type RejectionCounts} from '../store/rejections.js'
import {type AuthSettings, assertAuthComplete, describeAuth} from '../zoom/auth.js'
import type {DeliveryOutcome} from './delivery-handler.js'
import {ServeMetrics} from './metrics.js'
import {RevalidationWatch} from './revalidation.js'
import {startReceiver} from './server.js'
import {type CertificateEvent, watchCertificate} from './tls-reload.js'
import type {LiveEntry, RunningInspector} from '../ui/server.js'
import type {RunningIngest, SocketEvent, WebSocketSettings} from '../websocket/ingest.js'

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
  /** With the files they were read from: reloaded when these change, and on SIGHUP. */
  tls?: {cert: Buffer; key: Buffer; certFile?: string; keyFile?: string}
  integrationVersion?: string
  forward: ForwardSettings
  /** The inspector page, on its own address. */
  ui?: {host: string; port: number}
  /** The clock the re-validation watch reads (tests move it). */
  now?: () => number
  /** Zoom's WebSocket, consumed beside the HTTP receiver (serve --websocket). */
  websocket?: WebSocketSettings
  /** Said with the banner: settings that were given but change nothing as serve runs. */
  warnings?: string[]
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
  /** serve --websocket: the socket's endpoint (no token), subscription, and its state once the first attempt is over. */
  websocket?: {endpoint: string; subscriptionId: string; state: string; grant?: string; lastError?: string}
  /** The config file serve's settings came from, null for none (the command adds it: see ZoomctlCommand). */
  config?: string | null
}

export interface ServeCallbacks {
  onOutcome: (outcome: DeliveryOutcome) => void
  onForward: (event: ForwardEvent) => void
  onListening: (started: ServeStarted) => void
  /** Something found after start-up that the user should know (torn lines in the store …). */
  onWarning: (message: string) => void
  /** A certificate reloaded or refused (--tls-cert/--tls-key changed, or SIGHUP). */
  onCertificate?: (event: CertificateEvent) => void
  /** serve --websocket: the socket connected, closed, or is retried. */
  onSocket?: (event: SocketEvent) => void
  /** After Ctrl-C (or SIGTERM): what serve still waits for before it exits. */
  onStopping?: (message: string) => void
}

/** How long a stopping serve waits for the batches in flight to its sinks. */
const STOP_GRACE_MS = 500

export type Counts = Record<DeliveryOutcome['result'], number>

/** How long doctor's probe waits for serve's sinks to say whether they answer. */
const PROBE_CHECK_MS = 5000

/** Rejections that are not deliveries at all (a scanner's GET, another path): not logged among refused deliveries. */
const NOT_DELIVERIES = new Set(['wrong-path', 'wrong-method', 'bad-target'])

/** What /healthz says of refused requests: how many, why, and when the last came. */
function publicCounts(counts: RejectionCounts): Record<string, unknown> {
  return {total: counts.rejected, since: counts.since, byReason: counts.byReason, ...(counts.lastRejected ? {last: counts.lastRejected} : {}), probes: counts.probes}
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
  const revalidation = await new RevalidationWatch(settings.dataDir, settings.now).load()
  const forwardStatus = () => forwarding?.forwarders.map((forwarder) => forwarder.status()) ?? []
  const metrics = new ServeMetrics({forwarding: forwardStatus, revalidation})
  let ingest: RunningIngest | undefined
  let listening = false
  const earlySocketEvents: SocketEvent[] = []
  // One path for every outcome, webhook or WebSocket: counted, measured, told, and listed live by the inspector.
  const onOutcome = (outcome: DeliveryOutcome) => {
    counts[outcome.result]++
    metrics.observe(outcome)
    if (outcome.result === 'probe' || (outcome.result === 'rejected' && !NOT_DELIVERIES.has(outcome.reason ?? ''))) {
      const verdict = outcome.result === 'probe' || outcome.probe ? 'probe' : 'rejected'
      rejections.record({at: outcome.receivedAt, verdict, from: outcome.remoteAddress, status: outcome.status, reason: outcome.reason ?? 'unknown', ...(outcome.eventType ? {eventType: outcome.eventType} : {})})
    }
    // Zoom's challenges (not doctor's) are recorded in the data dir: their absence for 72 h is worth a warning.
    if (outcome.result === 'challenge' && !outcome.probe) {
      revalidation.record(outcome.receivedAt, outcome.app).catch((error: unknown) => callbacks.onWarning(`could not record the URL validation in the data dir: ${(error as Error).message}`))
    }
    callbacks.onOutcome(outcome)
    if (inspectorListeners.size) {
      const entry = liveEntry(outcome)
      if (entry) for (const listener of inspectorListeners) listener(entry)
    }
  }
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
      tls: settings.tls ? {cert: settings.tls.cert, key: settings.tls.key} : undefined,
      integrationVersion: settings.integrationVersion,
      onOutcome,
      ...(forwarding.acknowledger ? {acknowledge: (record) => forwarding!.acknowledger!.acknowledge(record)} : {}),
      // Bounded: doctor waits for this answer.
      onProbe: () => Promise.race([Promise.all(forwarding!.forwarders.map((forwarder) => forwarder.checkSink())).then(() => undefined), new Promise<void>((resolve) => setTimeout(resolve, PROBE_CHECK_MS).unref())]),
      health: () => {
        const urlValidation = revalidation.status()
        return {
          dedupe: {state: store.isIndexed ? 'ready' : 'loading', keys: store.indexSize},
          // Counts, reasons and times only: /healthz is public, addresses and event types stay in the data dir.
          rejected: publicCounts(rejections.current()),
          store: store.writeStats,
          ...(forwarding?.acknowledger ? {ackAfterIndex: {...forwarding.acknowledger.stats, fallback: forwarding.acknowledger.settings.fallback}} : {}),
          ...(forwarding?.forwarders.length ? {forwarding: forwardStatus()} : {}),
          ...(ingest ? {websocket: ingest.health()} : {}),
          urlValidation,
          // Still 200 and ok: a restart would not bring Zoom back, and a load balancer must keep sending.
          ...(urlValidation.hint ? {warnings: [urlValidation.hint]} : {}),
        }
      },
      metrics: () => metrics.exposition(),
    })
    if (settings.websocket) {
      // Loaded only for --websocket: a webhook receiver does not need ws.
      const {startWebSocketIngest} = await import('../websocket/ingest.js')
      try {
        ingest = await startWebSocketIngest({
          settings: settings.websocket,
          dataDir: settings.dataDir,
          healthUrl: new URL('/healthz', receiver.url).toString(),
          store,
          auth,
          integrationVersion: settings.integrationVersion,
          onOutcome,
          // What happens before the banner is told after it (the banner says whether the socket is connected).
          onSocket: (event) => (listening ? callbacks.onSocket?.(event) : earlySocketEvents.push(event)),
          onWarning: callbacks.onWarning,
        })
      } catch (error) {
        await receiver.close()
        throw error
      }
    }
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
        subscribe: (listener) => {
          inspectorListeners.add(listener)
          return () => inspectorListeners.delete(listener)
        },
      })
    } catch (error) {
      await ingest?.stop()
      await receiver.close()
      await Promise.all(forwarding.forwarders.map((forwarder) => forwarder.stop(0)))
      await lock.release()
      throw error
    }
  }
  // The next serve on this data dir is told where this one listens.
  await lock.update({url: receiver.url})

  listening = true
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
      ...(settings.warnings ?? []),
      ...forwarding.warnings,
      ...(revalidation.status().hint ? [revalidation.status().hint!] : []),
      ...(settings.retryMismatched ? ['a signature that matches no Secret Token is answered 503, so that Zoom retries it: for the minutes of a regeneration; without --retry-mismatched once serve has the new token'] : []),
    ],
    ...(inspector ? {ui: inspector.url} : {}),
    ...(ingest ? {websocket: socketSummary(ingest)} : {}),
  })
  // The banner said the socket is connected: the connection that made it so needs no line of its own.
  if (earlySocketEvents.at(-1)?.type === 'connected' && ingest?.health().state === 'connected') earlySocketEvents.pop()
  for (const event of earlySocketEvents.splice(0)) callbacks.onSocket?.(event)

  // What the background connection to Elasticsearch found is said after the listening line, never before it.
  void forwarding.reportConnections()
  // What reading the window's keys found is known once they are loaded, after serve is listening.
  void store.indexed().then(() => {
    if (store.skippedLines) callbacks.onWarning(`${store.skippedLines} torn line(s) in the store skipped: a write cut short by a crash (the delivery was never acknowledged)`)
    if (store.indexFailure) callbacks.onWarning(store.indexFailure)
  })

  const {tls} = settings
  const unwatch =
    tls?.certFile && tls.keyFile
      ? watchCertificate({certFile: tls.certFile, keyFile: tls.keyFile}, tls, (pair) => receiver.setCertificate(pair), (event) =>
          event.type === 'certificate-refused' ? callbacks.onWarning(`new certificate refused (${event.trigger}): ${event.error}`) : callbacks.onCertificate?.(event),
        )
      : undefined
  // A SIGHUP (systemd's ExecReload, kill -HUP) never stops serve, with or without a certificate to reload.
  const ignoreHangup = () => {}
  process.on('SIGHUP', ignoreHangup)

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'))
    process.once('SIGTERM', () => resolve('SIGTERM'))
  })
  unwatch?.()
  process.off('SIGHUP', ignoreHangup)
  // Ctrl-C is answered within a second: a batch in flight to a sink that does not answer is abandoned (it stays in the store).
  const waitingFor = forwarding.forwarders.filter((forwarder) => forwarder.inFlight > 0)
  if (waitingFor.length) callbacks.onStopping?.(`stopping: waiting up to ${STOP_GRACE_MS / 1000} s for ${waitingFor.map((forwarder) => `${forwarder.inFlight} ${forwarder.inFlight === 1 ? 'delivery' : 'deliveries'} in flight to ${forwarder.sinkName}`).join(' and ')}; what is not confirmed stays in the store and goes at the next start`)
  await inspector?.close()
  // Before the receiver: closing it closes the store, where the socket's last events are going.
  await ingest?.stop()
  await receiver.close()
  await Promise.all(forwarding.forwarders.map((forwarder) => forwarder.stop(STOP_GRACE_MS)))
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

function socketSummary(ingest: RunningIngest): NonNullable<ServeStarted['websocket']> {
  const status = ingest.health()
  return {endpoint: status.endpoint, subscriptionId: status.subscriptionId, state: status.state, ...(status.grant ? {grant: status.grant} : {}), ...(status.lastError ? {lastError: status.lastError} : {})}
}
