import {indexedDocumentForBytes} from '../mapping/index.js'
import {type AuthSettings, modeHeader} from '../zoom/auth.js'
import {URL_VALIDATION_EVENT} from '../zoom/challenge.js'
import {type BurstReport, runBurst} from './burst.js'
import {type ChallengeReport, checkUrlValidation} from './challenge-check.js'
import {type ClientOptions, createDispatcher, safeOrigin} from './client.js'
import {appendRunRecords, runRecord} from './record.js'
import {type PlannedDelivery, type SentDelivery, sendInOrder} from './simulation.js'

export interface SimulationRun {
  url: string
  auth: AuthSettings
  deliveries: PlannedDelivery[]
  /** The run is the URL-validation challenge alone. */
  challenge: boolean
  dryRun: boolean
  burst?: {count?: number; rate?: number; concurrency?: number; durationMs: number}
  explain: boolean
  integrationVersion?: string
  record?: string
  client: Omit<ClientOptions, 'connections'>
  /** The clock of receive times in explained documents (pinned with --now). */
  now: () => number
  /** Ctrl-C in a burst: start nothing new, report what was sent. */
  signal?: AbortSignal
}

/** One request of a dry run: what would be sent (the mode's secret header redacted). */
export interface DryRunRequest {
  event: string
  url: string
  method: 'POST'
  headers: Record<string, string>
  body: string
  document?: unknown
}

export type SequenceResult = Omit<SentDelivery, 'body' | 'sentAt'> & {document?: unknown}

/** What a run did, per mode; `result` is what --json prints. */
export type SimulationReport =
  | {mode: 'dry-run'; failed: false; result: {dryRun: true; requests: DryRunRequest[]}}
  | {mode: 'challenge'; failed: boolean; result: {urlValidation: ChallengeReport}}
  | {mode: 'sequence'; failed: boolean; result: {url: string; sent: number; succeeded: number; failed: number; late: number; deliveries: SequenceResult[]; interrupted?: true}}
  | {mode: 'burst'; failed: boolean; result: {url: string; burst: BurstReport; interrupted: boolean}}

export interface SimulationCallbacks {
  /** Each dry-run request as it is made, with the prepared bytes for a curl line. */
  onRequest?: (request: DryRunRequest, prepared: {headers: Record<string, string>; body: Buffer}) => void
  /** Each answer of a sequential run, as it comes. */
  onResult?: (result: SentDelivery) => void
  /** Burst: deliveries done so far, and how many of them were accepted. */
  onProgress?: (done: number, succeeded: number) => void
}

/**
 * A simulate run in whichever mode the flags chose: print the requests (dry run), the URL-validation
 * challenge, one delivery after another, or a burst. Returns the report; renders nothing.
 */
export async function runSimulation(run: SimulationRun, callbacks: SimulationCallbacks = {}): Promise<SimulationReport> {
  if (run.dryRun) return dryRun(run, callbacks)
  const dispatcher = createDispatcher({...run.client, connections: run.burst?.concurrency, origin: new URL(run.url).origin})
  try {
    if (run.challenge) {
      const report = await checkUrlValidation(run.url, run.auth, dispatcher)
      return {mode: 'challenge', failed: !report.ok, result: {urlValidation: report}}
    }
    if (run.burst) return await burst(run, run.burst, dispatcher, callbacks)
    return await sequence(run, dispatcher, callbacks)
  } finally {
    await dispatcher.close()
  }
}

/** Whether the planned run is the challenge alone (it is answered, not stored). */
export function isChallengeRun(events: string[]): boolean {
  return events.length === 1 && events[0] === URL_VALIDATION_EVENT
}

function dryRun(run: SimulationRun, callbacks: SimulationCallbacks): SimulationReport {
  const secretHeader = modeHeader(run.auth)
  const requests = run.deliveries.map(({event, make}) => {
    const prepared = make()
    const headers = {...prepared.headers}
    if (secretHeader) headers[secretHeader[0]] = '[redacted]'
    const document = run.explain ? indexedDocumentForBytes(prepared.body, {receivedAt: new Date(run.now()), integrationVersion: run.integrationVersion}) : undefined
    const request: DryRunRequest = {event, url: run.url, method: 'POST', headers, body: prepared.body.toString('utf8'), ...(document ? {document} : {})}
    callbacks.onRequest?.(request, prepared)
    return request
  })
  return {mode: 'dry-run', failed: false, result: {dryRun: true, requests}}
}

async function sequence(run: SimulationRun, dispatcher: ReturnType<typeof createDispatcher>, callbacks: SimulationCallbacks): Promise<SimulationReport> {
  const sent = await sendInOrder(run.url, run.deliveries, dispatcher, (result) => callbacks.onResult?.(result), run.signal)
  if (run.record) await appendRunRecords(run.record, sent.map((delivery) => runRecord(delivery.event, delivery.sentAt, delivery.status, delivery.body)))
  const deliveries = sent.map(({body, sentAt: _sentAt, ...result}) => ({
    ...result,
    ...(run.explain ? {document: indexedDocumentForBytes(body, {receivedAt: new Date(run.now()), integrationVersion: run.integrationVersion})} : {}),
  }))
  const failed = deliveries.filter((result) => !result.ok).length
  const late = deliveries.filter((result) => result.late).length
  // Ctrl-C before the last one (a retry's spacing, say): what was sent, marked as interrupted.
  const interrupted = run.signal?.aborted && sent.length < run.deliveries.length ? {interrupted: true as const} : {}
  return {mode: 'sequence', failed: failed > 0, result: {url: safeOrigin(run.url), sent: deliveries.length, succeeded: deliveries.length - failed, failed, late, deliveries, ...interrupted}}
}

async function burst(run: SimulationRun, options: NonNullable<SimulationRun['burst']>, dispatcher: ReturnType<typeof createDispatcher>, callbacks: SimulationCallbacks): Promise<SimulationReport> {
  const count = options.count ?? (options.durationMs > 0 ? Number.MAX_SAFE_INTEGER : run.deliveries.length)
  const report = await runBurst({
    signal: run.signal,
    url: run.url,
    makeDelivery: (index) => run.deliveries[index % run.deliveries.length]!.make(),
    count,
    rate: options.rate ?? 0,
    concurrency: options.concurrency ?? 10,
    durationMs: options.durationMs,
    dispatcher,
    onProgress: callbacks.onProgress,
  })
  const interrupted = Boolean(run.signal?.aborted)
  return {mode: 'burst', failed: !interrupted && (report.failed > 0 || report.sent === 0), result: {url: safeOrigin(run.url), burst: report, interrupted}}
}
