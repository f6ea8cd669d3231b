import {Args, Flags} from '@oclif/core'

import {ZoomctlCommand} from '../cli/base-command.js'
import {authFlags, authOptionsFrom, dataDirFlag, elasticFlags, localTokenHint, otherServeHint, tlsClientFlags, tokenForLocalTarget} from '../cli/flags.js'
import {interruptOn} from '../cli/interrupt.js'
import {replaySelection, replaySelectionFlags} from '../cli/replay-options.js'
import {parseDuration, parseHeader, resolveAuth} from '../config/index.js'
import {formatReplay} from '../output/replay.js'
import {startProgressBar} from '../output/progress.js'
import {DEFAULT_PATH, DEFAULT_PORT} from '../receiver/index.js'
import {runReplay} from '../replay/replay.js'
import {countSelected} from '../replay/select.js'
import {confirmAtTerminal} from '../output/confirm.js'
import {checkEndpointUrl} from '../sender/client.js'
import {createDispatcher, safeOrigin} from '../sender/index.js'
import {assertAuthComplete} from '../zoom/auth.js'

export default class Replay extends ZoomctlCommand {
  static override summary = 'Send captured deliveries again, re-signed, to any endpoint'
  static override description = `Reads deliveries from serve's data dir (accepted, refused or dead-letter), a store file, a run file of simulate --record, an NDJSON file of bare Zoom bodies, or standard input (-), selects them (--id, --event, --since/--until, --limit, --last), and sends each again signed with a fresh timestamp and the target's auth mode, byte for byte unless --set changes it. As fast as --concurrency allows, at --rate, or re-enacting the capture's timing with --speed. --checkpoint makes it resumable: started again with the same file, it sends nothing that was acknowledged. At a terminal it first says how many deliveries it will send, and asks (--yes does not); piped, or with --json, it never asks, so that scripts run unattended. Refused deliveries and dead letters of a data dir that the endpoint acknowledged are recorded in its replayed.ndjson: validate --local then counts them as delivered. Exit 1 if any delivery failed, 130 when interrupted.`

  static override examples = [
    '<%= config.bin %> replay --url https://hooks.example.com/zoom-webhook',
    '<%= config.bin %> replay ./zoomctl-data --from refused --url http://127.0.0.1:8181/zoom-webhook',
    '<%= config.bin %> replay --last 1',
    '<%= config.bin %> replay export.ndjson --event meeting.started --since 2h --rate 50',
    '<%= config.bin %> replay ./zoomctl-data --speed 10 --checkpoint replay.json',
    '<%= config.bin %> replay --from-es --es-url https://localhost:9200 --since 2h --url https://hooks.example.com/zoom-webhook',
    "jq -c '.body // (.rawBody | fromjson)' store.ndjson | <%= config.bin %> replay - --dry-run",
  ]

  static override strict = false
  static override args = {
    sources: Args.string({description: "data dirs, store or NDJSON files, or - for standard input (default: serve's data dir)", ignoreStdin: true}),
  }

  static override flags = {
    url: Flags.string({description: 'endpoint to send to', default: `http://127.0.0.1:${DEFAULT_PORT}${DEFAULT_PATH}`, env: 'ZOOMCTL_URL'}),
    ...replaySelectionFlags,
    concurrency: Flags.integer({description: 'deliveries in flight at once', default: 10, min: 1, max: 1000}),
    rate: Flags.integer({description: 'deliveries per second (0: as fast as possible)', default: 0, min: 0}),
    header: Flags.string({description: 'add a header: "Name: value"', multiple: true}),
    checkpoint: Flags.string({description: 'resumable: record what was acknowledged here, and skip it when started again'}),
    record: Flags.string({description: 'append one line per delivery sent to this file, for validate --run'}),
    'dry-run': Flags.boolean({description: 'print each request as a curl command instead of sending it', default: false}),
    yes: Flags.boolean({description: 'do not ask before sending (at a terminal, replay says how many it will send and asks; piped or with --json it never asks)', default: false}),
    timeout: Flags.string({description: 'give up on one request after this long', default: '10s', env: 'ZOOMCTL_TIMEOUT'}),
    'data-dir': dataDirFlag('data dir used when no source is named'),
    ...elasticFlags,
    ...tlsClientFlags,
    ...authFlags,
  }

  async run(): Promise<unknown> {
    const {argv, flags} = await this.parse(Replay)
    checkEndpointUrl(flags.url)
    const {sources, filter, speed, selection} = await replaySelection(argv as string[], flags)
    // A data dir replayed to a local serve is most often that serve's own: its token is looked for there first.
    const dataDirs = [...sources.flatMap((source) => (source.kind === 'store' ? [source.dataDir] : [])), flags['data-dir']]
    const token = await tokenForLocalTarget(flags, flags.url, dataDirs)
    const auth = resolveAuth(authOptionsFrom(token.flags))
    try {
      assertAuthComplete(auth, 'send', localTokenHint(flags.url, dataDirs))
    } catch (error) {
      // Nothing to send needs no token: an empty selection says so, rather than asking for one.
      if ((await countSelected(sources, filter)) !== 0) throw error
    }
    // Counted before anything is sent for a person: the number they confirm, the progress bar's total, the
    // N of "X of N". A script (--json) is not asked and shows no bar: a second pass over a million stored
    // deliveries would only delay it, so its N is what the run planned, or counted afterwards if interrupted.
    const selected = flags['dry-run'] || !this.human ? undefined : await countSelected(sources, filter)
    if (selected !== undefined && selected > 0 && this.human) {
      const what = `${selected} ${selected === 1 ? 'delivery' : 'deliveries'} from ${(argv as string[]).length ? (argv as string[]).join(', ') : `${flags['data-dir']} (${flags.from})`} to ${safeOrigin(flags.url)}`
      if (selected > 1 && !flags.yes && (await confirmAtTerminal(`Replay ${what}?`)) === false) {
        this.log('nothing sent')
        return {url: safeOrigin(flags.url), selected, sent: 0, declined: true}
      }
      process.stderr.write(`replaying ${what}\n`)
    }
    const interrupt = interruptOn(['SIGINT'])
    const dispatcher = createDispatcher({insecure: flags.insecure, caFile: flags.ca, timeoutMs: parseDuration(flags.timeout, '--timeout'), connections: flags.concurrency, origin: new URL(flags.url).origin})
    const bar = startProgressBar(selected ?? filter.last ?? filter.limit, this.human && !flags['dry-run'])
    try {
      const report = await runReplay({
        sources,
        filter,
        url: flags.url,
        auth,
        dispatcher,
        concurrency: flags.concurrency,
        rate: flags.rate,
        speed,
        overrides: flags.set ?? [],
        checkpointPath: flags.checkpoint,
        selection,
        recordPath: flags.record,
        extraHeaders: Object.fromEntries((flags.header ?? []).map(parseHeader)),
        dryRun: flags['dry-run'] ? (curl) => this.log(curl) : undefined,
        signal: interrupt.signal,
        onProgress: ({done, succeeded}) => bar.update(done, succeeded),
        selected,
      }).finally(() => bar.stop())
      const hint = otherServeHint(token, Boolean(report.statusCounts['401']))
      if (this.human && !flags['dry-run']) this.log(formatReplay(report, safeOrigin(flags.url), hint))
      const total = flags['dry-run'] ? undefined : (report.selected ?? (report.interrupted ? await countSelected(sources, filter) : report.planned + report.alreadyAcknowledged))
      const result = {url: safeOrigin(flags.url), ...report, ...(total === undefined ? {} : {selected: total}), ...(hint ? {hint} : {})}
      if (report.interrupted) process.exitCode = 130
      return report.failed ? this.failed(result) : result
    } finally {
      interrupt.release()
      await dispatcher.close()
    }
  }
}
