import {randomInt} from 'node:crypto'

import {appSecret, OptionError, parseAppTokens, parseDuration, parseHeader, parseTimePoint, resolveAuth} from '../config/index.js'
import {BodyFactory, planDeliveries, readPayloadFile, selectEvents} from '../sender/index.js'
import {refusedConnection} from '../sender/client.js'
import {prepareDelivery} from '../sender/prepare.js'
import {isChallengeRun, type SimulationReport, type SimulationRun} from '../sender/run-simulation.js'
import {conflictingFlags, withRetries} from '../sender/simulation.js'
import {isLoopbackHost} from '../config/local-token.js'
import {lockHolder, serveLockPath} from '../store/lock.js'
import {assertAuthComplete} from '../zoom/auth.js'
import {type AuthFlagValues, authOptionsFrom, integrationVersion, type LocalTokenLookup, localTokenHint, otherServeHint, tokenForLocalTarget} from './flags.js'

export interface SimulateFlagValues extends AuthFlagValues {
  url: string
  all: boolean
  category?: string
  file?: string[]
  set?: string[]
  header?: string[]
  'dry-run': boolean
  explain: boolean
  count?: number
  rate?: number
  concurrency?: number
  duration?: string
  'timestamp-offset': number
  record?: string
  retries: number
  'retry-spacing': string
  seed?: number
  now?: string
  timeout: string
  insecure: boolean
  ca?: string
  'integration-version'?: string
  'data-dir': string
  app?: string
  'app-token'?: string[]
}

/**
 * Every simulate flag checked (conflicts, auth, events, files) and the run planned, before anything is sent;
 * and where the secret token came from, when it was a local serve's.
 */
export async function simulationRun(names: string[], flags: SimulateFlagValues): Promise<{run: Omit<SimulationRun, 'signal'>; token: LocalTokenLookup}> {
  // --app NAME: that app's Secret Token signs, in place of --secret-token.
  const signing = flags.app ? {...flags, 'secret-token': appSecret(parseAppTokens(flags['app-token']), flags.app)} : flags
  const token = await tokenForLocalTarget(signing, flags.url, [flags['data-dir']])
  const auth = resolveAuth(authOptionsFrom(token.flags))
  const version = integrationVersion(flags['integration-version'])
  const extraHeaders = Object.fromEntries((flags.header ?? []).map(parseHeader))
  const files = flags.file ?? []
  if (!files.length && names.length === 0 && !flags.all && !flags.category) {
    throw new OptionError('name at least one event type, or use --all, --category or --file', {hint: 'zoomctl events lists the types; e.g. zoomctl simulate meeting.started'})
  }
  const burst = flags.count !== undefined || flags.rate !== undefined || flags.duration !== undefined || flags.concurrency !== undefined
  const conflict =
    conflictingFlags({names, all: flags.all, category: flags.category, files, set: flags.set, burst, dryRun: flags['dry-run'], explain: flags.explain, record: flags.record}) ??
    (flags.retries && (burst || flags['dry-run']) ? '--retries goes with a sequential run: leave out the burst flags and --dry-run' : undefined)
  if (conflict) throw new OptionError(conflict)
  // A mistyped event type is said first: it is the mistake to fix, whatever else is missing.
  const specs = files.length ? [] : selectEvents({names, all: flags.all, category: flags.category})
  if (!flags['dry-run']) assertAuthComplete(auth, 'send', localTokenHint(flags.url, [flags['data-dir']]))
  else if (!auth.secretToken) throw new OptionError('a dry run still signs: give the secret token (--secret-token or ZOOM_WEBHOOK_SECRET_TOKEN)', {hint: localTokenHint(flags.url, [flags['data-dir']])})
  const payloads = []
  for (const file of files) payloads.push(await readPayloadFile(file))
  // A pinned clock (--now) moves by a millisecond a body, as a real one would in a burst; with --seed the bodies repeat.
  const pinned = flags.now === undefined ? undefined : parseTimePoint(flags.now, undefined, '--now').getTime()
  const now = pinned === undefined ? Date.now : () => pinned
  const factory = new BodyFactory(flags.seed ?? randomInt(2 ** 31), flags.set, now)
  const planned = planDeliveries({specs, files: payloads, factory, auth, timestampOffset: flags['timestamp-offset'], extraHeaders})
  const deliveries = withRetries(planned, flags.retries, parseDuration(flags['retry-spacing'], '--retry-spacing'), (bytes) => prepareDelivery(bytes, auth, {extraHeaders}))
  const durationMs = flags.duration ? parseDuration(flags.duration, '--duration') : 0
  const run = {
    url: flags.url,
    auth,
    deliveries,
    challenge: isChallengeRun(specs.map((spec) => spec.event)),
    dryRun: flags['dry-run'],
    ...(burst ? {burst: {count: flags.count, rate: flags.rate, concurrency: flags.concurrency, durationMs}} : {}),
    explain: flags.explain,
    integrationVersion: version,
    record: flags.record,
    client: {insecure: flags.insecure, caFile: flags.ca, timeoutMs: parseDuration(flags.timeout, '--timeout')},
    now,
  }
  return {run, token}
}

/**
 * What to say after a run whose endpoint answered 401: about the timestamp when it was shifted on purpose
 * (--timestamp-offset), else about whose token signed it (one read from a local serve's data dir).
 */
export function simulationHint(report: SimulationReport, timestampOffset: number, token: LocalTokenLookup): string | undefined {
  return timestampOffset !== 0 ? staleTimestampHint(timestampOffset, answered401(report)) : otherServeHint(token, answered401(report))
}

/**
 * The connection was refused at a local URL while a zoomctl serve of this machine's data dir listens on
 * another: where it is (its serve.lock knows), to send there instead. undefined otherwise.
 */
export async function servingElsewhere(report: SimulationReport, url: string, dataDirs: string[]): Promise<string | undefined> {
  const wasRefused = report.mode === 'sequence' ? report.result.deliveries.some((result) => refusedConnection(result.error)) : report.mode === 'burst' && Object.keys(report.result.burst.errors).some(refusedConnection)
  if (!wasRefused || !URL.canParse(url) || !isLoopbackHost(new URL(url).hostname)) return undefined
  for (const dataDir of new Set(dataDirs)) {
    const serving = (await lockHolder(serveLockPath(dataDir)))?.url
    if (serving && serving !== url) return `the zoomctl serve of ${dataDir} listens on ${serving}: --url ${serving}`
  }
  return undefined
}

/** What a 401 to --timestamp-offset means: the receiver checked the timestamp, as Zoom's own receivers should. */
function staleTimestampHint(offset: number, refused: boolean): string | undefined {
  if (!refused) return undefined
  return `x-zm-request-timestamp was shifted by ${offset} s (--timestamp-offset): a 401 is the endpoint refusing a stale timestamp, as it should; a zoomctl serve keeps such a delivery under refused/, and --tolerance widens what it accepts`
}

/** Whether the endpoint answered 401 to any delivery: with a token read from a local serve's data dir, most likely another serve's. */
function answered401(report: SimulationReport): boolean {
  if (report.mode === 'sequence') return report.result.deliveries.some((result) => result.status === 401)
  if (report.mode === 'burst') return Boolean(report.result.burst.statusCounts['401'])
  return report.mode === 'challenge' && report.result.urlValidation.status === 401
}
