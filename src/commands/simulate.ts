import {Args, Flags} from '@oclif/core'

import {ZoomctlCommand} from '../cli/base-command.js'
import {authFlags, integrationVersionFlag, tlsClientFlags} from '../cli/flags.js'
import {simulationPlan} from '../cli/simulate-plan.js'
import {parseDuration} from '../config/index.js'
import {indexedDocumentForBytes} from '../mapping/index.js'
import {describeAnswer, explainDocument} from '../output/explain.js'
import {formatBurst, formatMs} from '../output/format.js'
import {startProgress} from '../output/spinner.js'
import {statusColor, style} from '../output/style.js'
import {renderTable} from '../output/table.js'
import {DEFAULT_PATH, DEFAULT_PORT} from '../receiver/index.js'
import {checkUrlValidation, createDispatcher, type PlannedDelivery, runBurst, safeOrigin, sendInOrder, toCurl} from '../sender/index.js'
import {checkEndpointUrl} from '../sender/client.js'
import {appendRunRecords, runRecord} from '../sender/record.js'
import {type AuthSettings, modeHeader} from '../zoom/auth.js'
import {URL_VALIDATION_EVENT} from '../zoom/challenge.js'

export default class Simulate extends ZoomctlCommand {
  static override summary = 'Send correctly signed synthetic Zoom events to an endpoint'
  static override description = `Builds a realistic body for each event type from the catalog (fresh ids and times, identities shared across the run), signs it exactly as Zoom does, adds the auth mode's header on top, and POSTs it. Name event types, or use --all or --category; --count/--rate/--concurrency/--duration turn it into a burst that reports throughput and latency against Zoom's 3 s budget. Naming endpoint.url_validation sends the challenge and checks the answer.`

  static override examples = [
    '<%= config.bin %> simulate meeting.started meeting.participant_joined',
    '<%= config.bin %> simulate --all --url https://hooks.example.com/zoom-webhook',
    '<%= config.bin %> simulate endpoint.url_validation --url https://hooks.example.com/zoom-webhook',
    '<%= config.bin %> simulate meeting.participant_joined --count 5000 --rate 500 --concurrency 50',
    'ZOOMCTL_AUTH_VALUE=… <%= config.bin %> simulate --file payload.json --auth header',
    '<%= config.bin %> simulate meeting.created --set payload.object.topic="Board meeting" --dry-run',
  ]

  static override strict = false
  static override args = {
    events: Args.string({description: 'event types to send (zoomctl events lists them)', required: false, ignoreStdin: true}),
  }

  static override flags = {
    url: Flags.string({description: 'endpoint to send to', default: `http://127.0.0.1:${DEFAULT_PORT}${DEFAULT_PATH}`, env: 'ZOOMCTL_URL'}),
    all: Flags.boolean({description: 'every event type in the catalog (but the URL-validation challenge)', default: false}),
    category: Flags.string({description: 'every event type of one category (meeting, webinar, recording, user, account, chat_channel, chat_message, phone, zoomroom)'}),
    file: Flags.string({description: 'send this payload file exactly as it is, signed byte for byte (- for standard input)'}),
    set: Flags.string({description: 'override a field of each body: path=value (value read as JSON when it is)', multiple: true}),
    header: Flags.string({description: 'add a header: "Name: value"', multiple: true}),
    'dry-run': Flags.boolean({description: 'print each request as a curl command instead of sending it', default: false}),
    explain: Flags.boolean({description: "show the document Elastic's Zoom integration should index for each event", default: false}),
    count: Flags.integer({description: 'burst: number of deliveries to send (cycling through the chosen events)', min: 1}),
    rate: Flags.integer({description: 'burst: deliveries per second (0: as fast as possible)', min: 0}),
    concurrency: Flags.integer({description: 'burst: deliveries in flight at once', min: 1, max: 1000}),
    duration: Flags.string({description: 'burst: stop after this long (e.g. 30s, 2m)'}),
    'timestamp-offset': Flags.integer({description: 'shift x-zm-request-timestamp by this many seconds (e.g. -600 to test a stale retry)', default: 0}),
    record: Flags.string({description: 'append one line per delivery sent to this file, for validate --run'}),
    retries: Flags.integer({description: "send each delivery again this many times, same bytes, signed afresh, as Zoom's retries", default: 0, min: 0, max: 10}),
    'retry-spacing': Flags.string({description: 'wait between a delivery and its retries (Zoom: 5, 20, 60 min)', default: '1s'}),
    seed: Flags.integer({description: 'seed for the generated ids (default: random)'}),
    timeout: Flags.string({description: 'give up on one request after this long (above 3 s, to measure how late)', default: '10s', env: 'ZOOMCTL_TIMEOUT'}),
    'integration-version': integrationVersionFlag,
    ...tlsClientFlags,
    ...authFlags,
  }

  async run(): Promise<unknown> {
    const {argv, flags} = await this.parse(Simulate)
    checkEndpointUrl(flags.url)
    const {auth, version, specs, deliveries, burst} = await simulationPlan(argv as string[], flags)

    if (flags['dry-run']) return this.dryRun(flags.url, deliveries, auth, flags.explain, version)

    const dispatcher = createDispatcher({insecure: flags.insecure, caFile: flags.ca, timeoutMs: parseDuration(flags.timeout), connections: flags.concurrency})
    try {
      if (specs.length === 1 && specs[0]!.event === URL_VALIDATION_EVENT) return await this.challenge(flags.url, auth, dispatcher)
      if (burst) return await this.burst(flags, deliveries, dispatcher)
      return await this.sendEach(flags.url, deliveries, dispatcher, flags.explain, version, flags.record)
    } finally {
      await dispatcher.close()
    }
  }

  private dryRun(url: string, deliveries: PlannedDelivery[], auth: AuthSettings, explain: boolean, version?: string) {
    const secretHeader = modeHeader(auth)
    const requests = deliveries.map(({event, make}) => {
      const prepared = make()
      const headers = {...prepared.headers}
      if (secretHeader) headers[secretHeader[0]] = '[redacted]'
      const document = explain ? indexedDocumentForBytes(prepared.body, {receivedAt: new Date(), integrationVersion: version}) : undefined
      if (this.human) {
        this.log(style.dim(`# ${event}`))
        this.log(toCurl(url, prepared, secretHeader ? {name: secretHeader[0], mode: auth.mode} : undefined))
        if (document) this.log(explainDocument(document, '#   '))
      }
      return {event, url, method: 'POST', headers, body: prepared.body.toString('utf8'), ...(document ? {document} : {})}
    })
    return {dryRun: true, requests}
  }

  private async challenge(url: string, auth: AuthSettings, dispatcher: ReturnType<typeof createDispatcher>) {
    const report = await checkUrlValidation(url, auth, dispatcher)
    if (this.human) {
      if (report.ok) this.log(`${style.green('✔')} URL validation passed: ${safeOrigin(url)} answered the challenge correctly in ${formatMs(report.latencyMs)}`)
      else this.log(`${style.red('✘')} URL validation failed: ${report.reason}`)
    }
    return report.ok ? {urlValidation: report} : this.failed({urlValidation: report})
  }

  private async sendEach(url: string, deliveries: PlannedDelivery[], dispatcher: ReturnType<typeof createDispatcher>, explain: boolean, version?: string, record?: string) {
    // Rows appear as answers come: a slow endpoint is seen at once, not after the whole run.
    const label = (delivery: {event: string; retry?: number}) => (delivery.retry ? `${delivery.event} (retry ${delivery.retry})` : delivery.event)
    const width = Math.max(5, ...deliveries.map((delivery) => label(delivery).length))
    if (this.human) this.log(renderTable(['event'.padEnd(width), 'status', 'latency', 'answer'], []))
    const sent = await sendInOrder(url, deliveries, dispatcher, (result) => {
      if (!this.human) return
      const status = result.status === undefined ? 'error' : result.late ? `${result.status} late` : String(result.status)
      const color = result.late ? style.red : statusColor(result.status)
      this.log([label(result).padEnd(width), color(status.padEnd(6)), formatMs(result.latencyMs).padEnd(7), result.error ?? describeAnswer(result.answer)].join('  '))
    })
    if (record) await appendRunRecords(record, sent.map((delivery) => runRecord(delivery.event, delivery.sentAt, delivery.status, delivery.body)))
    const results = sent.map(({body, sentAt: _sentAt, ...result}) => ({
      ...result,
      ...(explain ? {document: indexedDocumentForBytes(body, {receivedAt: new Date(), integrationVersion: version})} : {}),
    }))
    const failed = results.filter((result) => !result.ok).length
    const late = results.filter((result) => result.late).length
    if (this.human) {
      if (explain) for (const result of results) this.log(`\n${style.bold(result.event)}\n${explainDocument(result.document)}`)
      const all = results.length === 1 ? 'the delivery was' : `all ${results.length} deliveries were`
      if (late) this.log(style.red(`${late} answered after Zoom's 3 s: Zoom counts that as failed and retries`))
      this.log(failed ? style.red(`${failed} of ${results.length} failed`) : style.green(`${all} accepted by ${safeOrigin(url)}`))
    }
    const summary = {url: safeOrigin(url), sent: results.length, succeeded: results.length - failed, failed, late, deliveries: results}
    return failed ? this.failed(summary) : summary
  }

  private async burst(
    flags: {url: string; count?: number; rate?: number; concurrency?: number; duration?: string},
    deliveries: PlannedDelivery[],
    dispatcher: ReturnType<typeof createDispatcher>,
  ) {
    const durationMs = flags.duration ? parseDuration(flags.duration) : 0
    const count = flags.count ?? (durationMs > 0 ? Number.MAX_SAFE_INTEGER : deliveries.length)
    const label = Number.isFinite(count) && count < Number.MAX_SAFE_INTEGER ? `${count}` : `for ${flags.duration}`
    const progress = startProgress(`burst: ${label} deliveries to ${safeOrigin(flags.url)}`, this.human)
    // Ctrl-C (or SIGTERM) ends the burst cleanly: the summary of what was sent, then exit 130.
    const interrupt = new AbortController()
    const stop = () => interrupt.abort()
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
    const report = await runBurst({
      signal: interrupt.signal,
      url: flags.url,
      makeDelivery: (index) => deliveries[index % deliveries.length]!.make(),
      count,
      rate: flags.rate ?? 0,
      concurrency: flags.concurrency ?? 10,
      durationMs,
      dispatcher,
      onProgress: (done) => {
        if (done % 100 === 0) progress.update(`burst: ${done} sent`)
      },
    })
    progress.stop()
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
    if (this.human) {
      if (interrupt.signal.aborted) this.log(style.yellow(`interrupted after ${report.sent} deliveries`))
      this.log(formatBurst(report))
      this.log(report.failed ? style.red(`${report.failed} of ${report.sent} deliveries failed`) : style.green(`all ${report.sent} deliveries accepted`))
    }
    const summary = {url: safeOrigin(flags.url), burst: report, interrupted: interrupt.signal.aborted}
    if (interrupt.signal.aborted) {
      process.exitCode = 130
      return summary
    }
    return report.failed || report.sent === 0 ? this.failed(summary) : summary
  }
}
