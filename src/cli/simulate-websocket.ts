import {randomInt} from 'node:crypto'

import {Flags} from '@oclif/core'

import {OptionError, parseDuration, parseTimePoint} from '../config/index.js'
import {formatZoomSideEvent, formatZoomSideListening, formatZoomSideReport} from '../output/simulate-websocket.js'
import {BodyFactory, readPayloadFile, selectEvents} from '../sender/index.js'
import {runZoomSide, type ZoomSideReport} from '../websocket/zoom-side.js'

/** simulate --websocket: zoomctl listens as Zoom's side, and a consumer connects to it. */
export const simulateWebSocketFlags = {
  websocket: Flags.boolean({description: "act as Zoom's side of a WebSocket subscription: listen (token endpoint and socket) and send the events to the consumer that connects", default: false, helpGroup: 'WEBSOCKET'}),
  'ws-host': Flags.string({description: 'with --websocket: address to listen on', default: '127.0.0.1', helpGroup: 'WEBSOCKET'}),
  'ws-port': Flags.integer({description: 'with --websocket: port to listen on (0 picks a free one)', default: 8183, min: 0, max: 65535, helpGroup: 'WEBSOCKET'}),
  'zoom-subscription-id': Flags.string({description: 'with --websocket: the subscription id the consumer must give', default: 'zoomctl-simulated', env: 'ZOOM_WEBSOCKET_SUBSCRIPTION_ID', helpGroup: 'WEBSOCKET'}),
  'zoom-client-id': Flags.string({description: 'with --websocket: the client ID the token endpoint checks (any when not given)', env: 'ZOOM_CLIENT_ID', helpGroup: 'WEBSOCKET'}),
  'zoom-client-secret': Flags.string({description: 'with --websocket: the client secret it checks', env: 'ZOOM_CLIENT_SECRET', helpGroup: 'WEBSOCKET'}),
  wait: Flags.string({description: 'with --websocket: wait this long for a consumer to connect (and to reconnect)', default: '2m', helpGroup: 'WEBSOCKET'}),
  'drop-after': Flags.integer({description: 'with --websocket: close the socket once after this many events (tests the consumer\'s reconnection)', min: 1, helpGroup: 'WEBSOCKET'}),
  linger: Flags.string({description: 'with --websocket: keep the socket open this long after the last event, answering heartbeats', default: '3s', helpGroup: 'WEBSOCKET'}),
}

export interface SimulateWebSocketFlagValues {
  all: boolean
  category?: string
  file?: string[]
  set?: string[]
  count?: number
  seed?: number
  now?: string
  'ws-host': string
  'ws-port': number
  'zoom-subscription-id': string
  'zoom-client-id'?: string
  'zoom-client-secret'?: string
  wait: string
  'drop-after'?: number
  linger: string
}

/** Flags of simulate that mean nothing over the socket: said rather than ignored. */
const HTTP_ONLY = ['dry-run', 'explain', 'rate', 'concurrency', 'duration', 'timestamp-offset', 'record', 'retries', 'header'] as const

/** Plans the events as simulate does (names, --all, --category, --file, --count, --seed, --now, --set) and runs Zoom's side. */
export async function simulateOverWebSocket(names: string[], flags: SimulateWebSocketFlagValues & Record<string, unknown>, out: {human: boolean; log: (line: string) => void; signal: AbortSignal}): Promise<ZoomSideReport> {
  const given = HTTP_ONLY.filter((name) => flags[name] !== undefined && flags[name] !== false && !(name === 'timestamp-offset' && flags[name] === 0) && !(name === 'retries' && flags[name] === 0))
  if (given.length) throw new OptionError(`--websocket sends over a socket: --${given.join(', --')} ${given.length > 1 ? 'are' : 'is'} for HTTP deliveries`)
  const files = flags.file ?? []
  if (!files.length && names.length === 0 && !flags.all && !flags.category) throw new OptionError('name at least one event type, or use --all, --category or --file', {hint: 'zoomctl events lists the types; e.g. zoomctl simulate meeting.started'})
  if (flags['zoom-client-secret'] && !flags['zoom-client-id']) throw new OptionError('--zoom-client-secret goes with --zoom-client-id')
  const specs = files.length ? [] : selectEvents({names, all: flags.all, category: flags.category})
  const pinned = flags.now === undefined ? undefined : parseTimePoint(flags.now, undefined, '--now').getTime()
  const factory = new BodyFactory(flags.seed ?? randomInt(2 ** 31), flags.set, pinned === undefined ? Date.now : () => pinned)
  const payloads: Buffer[] = []
  for (const file of files) {
    const payload = await readPayloadFile(file)
    if (!payload.json) throw new OptionError(`${file} is not JSON: Zoom's WebSocket carries the body as a JSON string`)
    payloads.push(payload.bytes)
  }
  const count = flags.count ?? (payloads.length || specs.length)
  const bodies = Array.from({length: count}, (_, i) => (payloads.length ? payloads[i % payloads.length]! : Buffer.from(factory.body(specs[i % specs.length]!))))
  return runZoomSide(
    {
      host: flags['ws-host'],
      port: flags['ws-port'],
      subscriptionId: flags['zoom-subscription-id'],
      clientId: flags['zoom-client-id'],
      clientSecret: flags['zoom-client-secret'],
      bodies,
      waitMs: parseDuration(flags.wait, '--wait'),
      dropAfter: flags['drop-after'],
      lingerMs: parseDuration(flags.linger, '--linger'),
      signal: out.signal,
    },
    {
      listening: (info) => (out.human ? out.log(formatZoomSideListening(info)) : undefined),
      event: (event) => {
        const line = out.human ? formatZoomSideEvent(event) : undefined
        if (line) out.log(line)
      },
    },
  ).then((report) => {
    if (out.human) out.log(formatZoomSideReport(report))
    return report
  })
}
