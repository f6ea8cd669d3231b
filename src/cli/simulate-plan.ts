import {randomInt} from 'node:crypto'

import type {EventSpec} from '../catalog/catalog.js'
import {OptionError, parseDuration, parseHeader, resolveAuth} from '../config/index.js'
import {BodyFactory, planDeliveries, type PlannedDelivery, readPayloadFile, selectEvents} from '../sender/index.js'
import {prepareDelivery} from '../sender/prepare.js'
import {conflictingFlags, withRetries} from '../sender/simulation.js'
import {assertAuthComplete, type AuthSettings} from '../zoom/auth.js'
import {type AuthFlagValues, authOptionsFrom, integrationVersion, tokenForLocalTarget} from './flags.js'

export interface SimulateFlagValues extends AuthFlagValues {
  url: string
  all: boolean
  category?: string
  file?: string
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
  'integration-version'?: string
}

export interface SimulationPlan {
  auth: AuthSettings
  version?: string
  specs: EventSpec[]
  deliveries: PlannedDelivery[]
  burst: boolean
}

/** Every simulate flag checked (conflicts, auth, events, file) and the run planned, before anything is sent. */
export async function simulationPlan(names: string[], flags: SimulateFlagValues): Promise<SimulationPlan> {
  const auth = resolveAuth(authOptionsFrom(await tokenForLocalTarget(flags, flags.url)))
  const version = integrationVersion(flags['integration-version'])
  const extraHeaders = Object.fromEntries((flags.header ?? []).map(parseHeader))
  if (!flags.file && names.length === 0 && !flags.all && !flags.category) {
    throw new OptionError('name at least one event type, or use --all, --category or --file (zoomctl events lists the types)')
  }
  const burst = flags.count !== undefined || flags.rate !== undefined || flags.duration !== undefined || flags.concurrency !== undefined
  const conflict =
    conflictingFlags({names, all: flags.all, category: flags.category, file: flags.file, set: flags.set, burst, dryRun: flags['dry-run'], explain: flags.explain, record: flags.record}) ??
    (flags.retries && (burst || flags['dry-run']) ? '--retries goes with a sequential run: leave out the burst flags and --dry-run' : undefined)
  if (conflict) throw new OptionError(conflict)
  if (!flags['dry-run']) assertAuthComplete(auth, 'send')
  else if (!auth.secretToken) throw new OptionError('a dry run still signs: give the secret token (--secret-token or ZOOM_WEBHOOK_SECRET_TOKEN)')
  const specs = flags.file ? [] : selectEvents({names, all: flags.all, category: flags.category})
  const file = flags.file ? await readPayloadFile(flags.file) : undefined
  const factory = new BodyFactory(flags.seed ?? randomInt(2 ** 31), flags.set)
  const planned = planDeliveries({specs, file, factory, auth, timestampOffset: flags['timestamp-offset'], extraHeaders})
  const deliveries = withRetries(planned, flags.retries, parseDuration(flags['retry-spacing']), (bytes) => prepareDelivery(bytes, auth, {extraHeaders}))
  return {auth, version, specs, deliveries, burst}
}
