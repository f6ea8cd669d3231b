import {randomInt} from 'node:crypto'

import {Args, Flags} from '@oclif/core'

import {ZoomctlCommand} from '../../cli/base-command.js'
import {observedPaths} from '../../catalog/catalog.js'
import {parseTimePoint} from '../../config/index.js'
import {style} from '../../output/style.js'
import {BodyFactory, selectEvents} from '../../sender/index.js'

export default class EventsShow extends ZoomctlCommand {
  static override summary = 'Print the body zoomctl would send for an event type'
  static override description = 'The body goes to standard output; what the event is, and which keys come from real deliveries rather than Zoom\'s schema, to standard error. --seed with --now makes the same body byte for byte.'
  static override examples = ['<%= config.bin %> events show meeting.participant_joined', '<%= config.bin %> events show recording.completed --seed 7 --now 2026-01-01T00:00:00Z > body.json']

  static override args = {
    event: Args.string({description: 'event type', required: true, ignoreStdin: true}),
  }

  static override flags = {
    seed: Flags.integer({description: 'seed for the generated ids (default: random)'}),
    set: Flags.string({description: 'override a field: path=value', multiple: true}),
    now: Flags.string({description: "pin the body's clock (event_ts, times in the payload): an ISO date, or a duration ago (2h); with --seed the body repeats byte for byte"}),
  }

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(EventsShow)
    const [spec] = selectEvents({names: [args.event]})
    const pinned = flags.now === undefined ? undefined : parseTimePoint(flags.now, undefined, '--now').getTime()
    const body = new BodyFactory(flags.seed ?? randomInt(2 ** 31), flags.set, pinned === undefined ? Date.now : () => pinned).build(spec!)
    if (this.human) {
      // The body alone on stdout (it is often redirected to a file); what it is and where its keys come from on stderr.
      process.stderr.write(`${style.bold(spec!.event)}: ${spec!.description}\n${style.dim(`keys from ${spec!.source}`)}\n`)
      const observed = observedPaths(spec!)
      if (observed.length) process.stderr.write(style.dim(`seen in real deliveries, not in Zoom's schema (${spec!.observed!.source}): ${observed.join(', ')}\n`))
      this.log(JSON.stringify(body, null, 2))
    }
    return body
  }
}
