import {Args, Flags} from '@oclif/core'

import {ZoomctlCommand} from '../../cli/base-command.js'
import {dataDirFlag} from '../../cli/flags.js'
import {parseTimePoint} from '../../config/index.js'
import {assertDataDir, dataDirExists, type DeliveryEntry, listDeliveries} from '../../deliveries/list.js'
import {followDeliveries} from '../../deliveries/follow.js'
import {matchingTotal} from '../../deliveries/total.js'
import {entryRow, formatEntries, formatRejectedSummary} from '../../output/deliveries.js'
import {readRejectionCounts} from '../../store/rejections.js'
import {startProgress} from '../../output/spinner.js'
import {style} from '../../output/style.js'

export default class Deliveries extends ZoomctlCommand {
  static override summary = 'List what serve received: time, event type, verdict, id'
  static override description = `Reads serve's data dir (accepted, refused and dead-letter deliveries; serve --websocket's gaps: intervals without the socket, whose events Zoom never delivered; with --verdict rejected, the requests serve refused as unauthenticated, of which it keeps no body: time, address, claimed event type, reason) and lists the last --limit that match the filters, oldest first. --follow goes on printing new ones while serve runs. zoomctl deliveries show ID shows one in full.`
  static override examples = [
    '<%= config.bin %> deliveries',
    '<%= config.bin %> deliveries --verdict refused --since 1h',
    '<%= config.bin %> deliveries --event meeting.participant_joined --follow',
    '<%= config.bin %> deliveries --json | jq -r ".[].id"',
  ]

  static override args = {
    'data-dir': Args.string({description: "serve's data dir (default: --data-dir)", ignoreStdin: true}),
  }

  static override flags = {
    verdict: Flags.string({description: "only these verdicts (gap: an interval without serve --websocket's socket; rejected: refused as unauthenticated, not stored; probe: doctor test events)", options: ['accepted', 'duplicate', 'refused', 'dead-letter', 'gap', 'rejected', 'probe'], multiple: true}),
    event: Flags.string({description: 'only this event type (repeat for more)', multiple: true}),
    since: Flags.string({description: 'received at or after: a duration ago (1h) or an ISO date'}),
    until: Flags.string({description: 'received at or before'}),
    limit: Flags.integer({description: 'at most this many, the latest', default: 50, min: 1}),
    follow: Flags.boolean({char: 'f', description: 'keep printing new deliveries as serve records them: dead letters and gaps too, and the requests it refused as unauthenticated when --verdict asks for them (Ctrl-C to stop)', default: false}),
    'data-dir': dataDirFlag("serve's data dir, when the argument does not name one"),
  }

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(Deliveries)
    const filter = {
      verdicts: flags.verdict as DeliveryEntry['verdict'][] | undefined,
      events: flags.event,
      since: flags.since ? parseTimePoint(flags.since, undefined, '--since') : undefined,
      until: flags.until ? parseTimePoint(flags.until, undefined, '--until') : undefined,
    }
    const dataDir = args['data-dir'] ?? flags['data-dir']
    if (!flags.follow) {
      await assertDataDir(dataDir)
      // A filter that few deliveries match reads far back in a big store: seconds, said on the terminal.
      const progress = startProgress(`reading deliveries in ${dataDir}`, this.human)
      const entries = await listDeliveries(dataDir, filter, flags.limit).finally(() => progress.stop())
      // Cut at --limit: say of how many, so that a listing never looks like the whole store.
      const total = entries.length === flags.limit ? await matchingTotal(dataDir, filter) : entries.length
      if (this.human) this.log(formatEntries(entries, total))
      // Not stored, so not listed unless asked for: said below the list, the most common failure being a wrong Secret Token.
      const summary = this.human && !flags.verdict?.includes('rejected') ? formatRejectedSummary(await readRejectionCounts(dataDir)) : undefined
      if (summary) this.log(summary)
      return entries
    }
    // Following is a stream: one line (or one JSON object) per delivery, until Ctrl-C.
    if (this.human) process.stderr.write(style.dim(`following new deliveries in ${dataDir}${(await dataDirExists(dataDir)) ? '' : ' (not there yet: serve creates it when it starts)'}; Ctrl-C to stop\n`))
    const stop = new AbortController()
    process.once('SIGINT', () => stop.abort())
    for await (const entry of followDeliveries(dataDir, filter, stop.signal)) {
      process.stdout.write(this.human ? `${entryRow(entry).join('  ')}\n` : `${JSON.stringify(entry)}\n`)
    }
    process.exitCode = 130
  }
}
