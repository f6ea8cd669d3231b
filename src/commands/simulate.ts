import {Args, Flags} from '@oclif/core'

import {categories} from '../catalog/catalog.js'
import {ZoomctlCommand} from '../cli/base-command.js'
import {appTokenFlag, authFlags, dataDirFlag, integrationVersionFlag, tlsClientFlags} from '../cli/flags.js'
import {servingElsewhere, simulationHint, simulationRun} from '../cli/simulate-plan.js'
import {interruptOn} from '../cli/interrupt.js'
import {simulateOverWebSocket, simulateWebSocketFlags} from '../cli/simulate-websocket.js'
import {startProgressBar} from '../output/progress.js'
import {style} from '../output/style.js'
import {formatBurstSummary, formatChallenge, formatDryRunRequest, formatSequenceSummary, sequenceRows} from '../output/simulate.js'
import {DEFAULT_PATH, DEFAULT_PORT} from '../receiver/index.js'
import {checkEndpointUrl, safeOrigin} from '../sender/client.js'
import {runSimulation} from '../sender/run-simulation.js'
import {DEFAULT_DATA_DIR} from '../store/index.js'

export default class Simulate extends ZoomctlCommand {
  static override summary = 'Send correctly signed synthetic Zoom events to an endpoint'
  static override description = `Builds a realistic body for each event type from the catalog (fresh ids and times, identities shared across the run), signs it exactly as Zoom does, adds the auth mode's header on top, and POSTs it. Name event types, or use --all or --category; --count/--rate/--concurrency/--duration turn it into a burst that reports throughput and latency against Zoom's 3 s budget. Naming endpoint.url_validation sends the challenge and checks the answer. --seed with --now makes the same bodies byte for byte.`

  static override examples = [
    '<%= config.bin %> simulate meeting.started meeting.participant_joined',
    '<%= config.bin %> simulate --all --url https://hooks.example.com/zoom-webhook',
    '<%= config.bin %> simulate endpoint.url_validation --url https://hooks.example.com/zoom-webhook',
    '<%= config.bin %> simulate meeting.participant_joined --count 5000 --rate 500 --concurrency 50',
    'ZOOMCTL_AUTH_VALUE=… <%= config.bin %> simulate --file payload.json --file other.json --auth header',
    '<%= config.bin %> simulate meeting.created --set payload.object.topic="Board meeting" --dry-run',
    '<%= config.bin %> simulate meeting.started --seed 7 --now 2026-01-01T00:00:00Z --dry-run',
    '<%= config.bin %> simulate --websocket --all --ws-port 8183',
  ]

  static override strict = false
  static override args = {
    events: Args.string({description: 'event types to send (zoomctl events lists them)', required: false, ignoreStdin: true}),
  }

  static override flags = {
    url: Flags.string({description: 'endpoint to send to', default: `http://127.0.0.1:${DEFAULT_PORT}${DEFAULT_PATH}`, env: 'ZOOMCTL_URL'}),
    all: Flags.boolean({description: 'every event type in the catalog (but the URL-validation challenge)', default: false}),
    category: Flags.string({description: 'every event type of one category', options: categories()}),
    file: Flags.string({description: 'send this payload file exactly as it is, signed byte for byte (- for standard input); may be given more than once', multiple: true}),
    set: Flags.string({description: 'override a field of each body: path=value (value read as JSON when it is)', multiple: true}),
    header: Flags.string({description: 'add a header: "Name: value"', multiple: true}),
    'dry-run': Flags.boolean({description: 'print each request as a curl command instead of sending it', default: false}),
    explain: Flags.boolean({description: "show the document Elastic's Zoom integration should index for each event", default: false}),
    count: Flags.integer({description: 'burst: number of deliveries to send (cycling through the chosen events)', min: 1}),
    rate: Flags.integer({description: 'burst: deliveries per second (0: as fast as possible); without --count or --duration, each chosen event goes once', min: 0}),
    concurrency: Flags.integer({description: 'burst: deliveries in flight at once', min: 1, max: 1000}),
    duration: Flags.string({description: 'burst: stop after this long (e.g. 30s, 2m)'}),
    'timestamp-offset': Flags.integer({description: 'shift x-zm-request-timestamp by this many seconds (e.g. -600 to test a stale retry)', default: 0}),
    record: Flags.string({description: 'append one line per delivery sent to this file, for validate --run'}),
    retries: Flags.integer({description: "send each delivery again this many times, same bytes, signed afresh, as Zoom's retries", default: 0, min: 0, max: 10}),
    'retry-spacing': Flags.string({description: 'wait between a delivery and its retries (Zoom: 5, 20, 60 min)', default: '1s'}),
    seed: Flags.integer({description: 'seed for the generated ids and names (default: random)'}),
    now: Flags.string({description: "pin the bodies' clock (event_ts, times in payloads): an ISO date, or a duration ago (2h); x-zm-request-timestamp stays the real time so that receivers accept it"}),
    timeout: Flags.string({description: 'give up on one request after this long (above 3 s, to measure how late)', default: '10s', env: 'ZOOMCTL_TIMEOUT'}),
    'integration-version': integrationVersionFlag,
    'data-dir': dataDirFlag('where a local serve keeps the secret token it made, used when none is given'),
    app: Flags.string({description: 'sign as this Zoom app: its Secret Token from app-token (as a serve shared by several apps takes them)', helpGroup: 'AUTH'}),
    'app-token': appTokenFlag,
    ...tlsClientFlags,
    ...authFlags,
    ...simulateWebSocketFlags,
  }

  async run(): Promise<unknown> {
    const {argv, flags} = await this.parse(Simulate)
    if (flags.websocket) return this.overWebSocket(argv as string[], flags)
    checkEndpointUrl(flags.url)
    const {run, token} = await simulationRun(argv as string[], flags)
    const origin = safeOrigin(flags.url)
    const rows = sequenceRows(run.deliveries)
    // A burst's total is known unless only --duration bounds it: then the bar counts without an ETA.
    const total = flags.count ?? (flags.duration ? undefined : run.deliveries.length)
    const progress = startProgressBar(total, this.human && Boolean(run.burst) && !run.dryRun)
    if (this.human && !run.dryRun && !run.burst && !run.challenge) this.log(rows.header)
    // Ctrl-C (or SIGTERM) ends a burst or a sequence cleanly: the summary of what was sent, then exit 130.
    const interrupt = interruptOn()
    const report = await runSimulation(
      {...run, signal: interrupt.signal},
      {
        onRequest: (request, prepared) => this.human && this.log(formatDryRunRequest(request, prepared, run.auth)),
        onResult: (result) => this.human && this.log(rows.row(result)),
        onProgress: (done, succeeded) => progress.update(done, succeeded),
      },
    ).finally(() => {
      progress.stop()
      interrupt.release()
    })
    if (this.human && report.mode === 'challenge') this.log(formatChallenge(report.result.urlValidation, origin))
    if (this.human && report.mode === 'sequence') this.log(formatSequenceSummary(report.result, origin))
    if (this.human && report.mode === 'burst') this.log(formatBurstSummary(report.result))
    if ((report.mode === 'burst' || report.mode === 'sequence') && report.result.interrupted) process.exitCode = 130
    const hint = simulationHint(report, flags['timestamp-offset'], token) ?? (await servingElsewhere(report, flags.url, [flags['data-dir'], process.env.ZOOMCTL_DATA_DIR ?? DEFAULT_DATA_DIR]))
    if (hint && this.human) this.log(style.yellow(`hint: ${hint}`))
    const result = hint ? {...report.result, hint} : report.result
    return report.failed ? this.failed(result) : result
  }

  /** simulate --websocket: Ctrl-C ends it with what was sent (exit 130). */
  private async overWebSocket(names: string[], flags: Parameters<typeof simulateOverWebSocket>[1]): Promise<unknown> {
    const interrupt = interruptOn()
    const report = await simulateOverWebSocket(names, flags, {human: this.human, log: (line) => this.log(line), signal: interrupt.signal}).finally(() => interrupt.release())
    if (report.stoppedEarly === 'interrupted') process.exitCode = 130
    return report.failed && report.stoppedEarly !== 'interrupted' ? this.failed(report) : report
  }
}
