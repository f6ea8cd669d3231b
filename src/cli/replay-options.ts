import {existsSync} from 'node:fs'

import {Flags} from '@oclif/core'

import {OptionError, parseTimePoint} from '../config/index.js'
import {type SourceSpec, sourceFromArgument, STORE_PARTS, type StorePart} from '../deliveries/source.js'
import type {DeliveryFilter} from '../replay/select.js'
import {type ElasticFlagValues, elasticSettingsFrom} from './flags.js'

/** What replay sends: where from, and which (read by replaySelection). */
export const replaySelectionFlags = {
    from: Flags.string({description: 'which part of a data dir', options: Object.keys(STORE_PARTS), default: 'accepted'}),
    id: Flags.string({description: 'a delivery id, or its first characters (zoomctl deliveries lists them; repeat for more)', multiple: true}),
    event: Flags.string({description: 'only this event type (repeat for more)', multiple: true}),
    since: Flags.string({description: 'received at or after: a duration ago (2h) or an ISO date'}),
    until: Flags.string({description: 'received at or before'}),
    limit: Flags.integer({description: 'at most this many', min: 1}),
    last: Flags.integer({description: 'the last N that match (--last 1: retry the latest)', min: 1}),
    speed: Flags.string({description: "re-enact the capture's spacing, this many times faster (1: as it happened)", exclusive: ['rate']}),
    set: Flags.string({description: 'change a field of each body: path=value (the body is then re-serialised)', multiple: true}),
    'from-es': Flags.boolean({description: 'read the deliveries from Elasticsearch (--since/--until; event.original when kept, else rebuilt from zoom.*)', default: false}),
}

export interface ReplayFlagValues extends ElasticFlagValues {
  from: string
  'from-es': boolean
  'data-dir': string
  id?: string[]
  event?: string[]
  since?: string
  until?: string
  limit?: number
  last?: number
  speed?: string
  set?: string[]
}

/** What to replay, checked before anything is sent (exit 2 on bad input). */
export async function replaySelection(names: string[], flags: ReplayFlagValues): Promise<{sources: SourceSpec[]; filter: DeliveryFilter; speed?: number; selection: string}> {
  const speed = flags.speed === undefined ? undefined : Number(flags.speed)
  if (speed !== undefined && !(speed > 0)) throw new OptionError('--speed takes a positive number, e.g. 1 (as captured) or 10 (ten times faster)')
  if (flags.limit && flags.last) throw new OptionError('--limit and --last both choose how many: give one')
  const part = flags.from as StorePart
  const from = names.length ? names : [flags['data-dir']]
  if (!names.length && !flags['from-es'] && !existsSync(flags['data-dir'])) {
    throw new OptionError(`nothing named to replay, and no data dir at ${flags['data-dir']}`, {
      hint: "name a data dir, an NDJSON file or - (standard input), point --data-dir (ZOOMCTL_DATA_DIR) at serve's, or use --from-es",
    })
  }
  const sources = flags['from-es'] ? [await elasticSource(flags)] : await Promise.all(from.map((name) => sourceFromArgument(name, part)))
  const filter: DeliveryFilter = {
    ids: flags.id,
    events: flags.event,
    // From Elasticsearch the window is the query's.
    since: flags.since && !flags['from-es'] ? parseTimePoint(flags.since, undefined, '--since') : undefined,
    until: flags.until && !flags['from-es'] ? parseTimePoint(flags.until, undefined, '--until') : undefined,
    limit: flags.limit,
    last: flags.last,
  }
  // A checkpoint is resumed only by the same replay.
  const selection = JSON.stringify({names: from, part, fromEs: flags['from-es'], filter: {...filter, since: flags.since, until: flags.until}, set: flags.set ?? []})
  return {sources, filter, speed, selection}
}

async function elasticSource(flags: ReplayFlagValues): Promise<SourceSpec> {
  const settings = await elasticSettingsFrom(flags)
  if (!settings) throw new OptionError('--from-es needs Elasticsearch: --es-url (or ELASTICSEARCH_HOSTS, --cloud-id)')
  const until = flags.until ? parseTimePoint(flags.until, undefined, '--until') : new Date()
  return {kind: 'elasticsearch', settings, window: {since: parseTimePoint(flags.since ?? '1h', until.getTime(), '--since'), until}}
}
