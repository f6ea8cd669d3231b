import {Args, Flags} from '@oclif/core'

import {runValidate} from '../checks/validate.js'
import {ZoomctlCommand} from '../cli/base-command.js'
import {dataDirFlag, elasticFlags, elasticSettingsFrom, integrationVersion, integrationVersionFlag} from '../cli/flags.js'
import {OptionError, parseDuration, parseTimePoint} from '../config/index.js'
import {renderChecks} from '../output/checks.js'
import {startProgress} from '../output/spinner.js'
import {style} from '../output/style.js'
import {isReportStream, REPORT_STREAMS} from '../zoom/reports.js'

export default class Validate extends ZoomctlCommand {
  static override summary = 'Prove that Zoom events reached Elasticsearch the way the integration indexes them'
  static override description = `Checks the cluster, your privileges, the Zoom integration's assets (index template, pipelines and their version, the data stream), then the documents of a time window: how many per event.action, whether each has the fields the integration fills for its type at that version (user.email, source.ip …), and documents with error.message. With --run it finds every delivery of a simulate --record run and compares each document field by field with what zoomctl predicts. With --local it runs the same checks on serve's store (the data dir: the argument, --data-dir, ZOOMCTL_DATA_DIR or ./zoomctl-data), with no Elasticsearch, and counts what serve kept back (deliveries it refused, dead letters of its forwarding), which only a replay sends on. With --data-stream activity, operation or meeting_activity it checks that audit stream's documents the same way (user.email, source.ip … per event.action), and --run finds each record simulate-api --record served. Exit 0 when nothing failed, 1 when a check failed, 2 on bad input.`

  static override examples = [
    '<%= config.bin %> validate --es-url https://localhost:9200 --ca-cert http_ca.crt',
    '<%= config.bin %> validate --since 1h --event meeting.started --event meeting.participant_joined --require user.email',
    '<%= config.bin %> simulate --all --record run.ndjson && <%= config.bin %> validate --run run.ndjson --wait 60s',
    '<%= config.bin %> validate --since 2h --duplicates',
    '<%= config.bin %> validate --local',
    '<%= config.bin %> validate --local ./zoomctl-data --since 1d --event meeting.started',
    '<%= config.bin %> simulate-api --record served.ndjson & <%= config.bin %> validate --data-stream activity --since 30d --run served.ndjson --wait 5m',
  ]

  static override args = {
    'data-dir': Args.string({description: "serve's data dir to check (implies --local)", ignoreStdin: true}),
  }

  static override flags = {
    since: Flags.string({description: 'start of the window: a duration ago (15m, 2h, 1d) or an ISO date', default: '15m'}),
    until: Flags.string({description: 'end of the window (default: now)'}),
    event: Flags.string({description: 'an event type that must have arrived (repeat for more)', multiple: true}),
    require: Flags.string({description: 'a field every document must have, e.g. user.email (repeat for more)', multiple: true}),
    run: Flags.string({description: 'a run file written by simulate --record: find each delivery and compare its document'}),
    wait: Flags.string({description: 'with --run: keep looking until all are indexed, at most this long (e.g. 60s)'}),
    // Not exclusive with --es-url: an exported ELASTICSEARCH_HOSTS must not forbid checking the store.
    local: Flags.boolean({description: "check serve's store instead of Elasticsearch (the Elasticsearch flags are then left unused)", default: false}),
    'data-dir': dataDirFlag("serve's data dir for --local, when the argument does not name one"),
    duplicates: Flags.boolean({
      description: 'check instead that each Zoom event of the window was indexed once: copies counted by the dedupe key serve --es-url puts in every document (logs-zoom.webhook-* and --pre-map\'s logs-zoomctl.webhook-*)',
      default: false,
      exclusive: ['run', 'event', 'require'],
    }),
    verbose: Flags.boolean({char: 'v', description: 'show every detail line (each field and its share)', default: false}),
    'integration-version': integrationVersionFlag,
    'data-stream': Flags.string({description: "the integration's data stream to check: webhook, or an audit stream (its --run is a file of simulate-api --record)", options: ['webhook', ...REPORT_STREAMS], default: 'webhook'}),
    ...elasticFlags,
  }

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(Validate)
    const localDir = flags.local || args['data-dir'] ? (args['data-dir'] ?? flags['data-dir']) : undefined
    const until = flags.until ? parseTimePoint(flags.until, undefined, '--until') : new Date()
    const since = parseTimePoint(flags.since, until.getTime(), '--since')
    if (since >= until) throw new OptionError('--since must come before --until')
    if (flags.duplicates && localDir) throw new OptionError('--duplicates counts documents in Elasticsearch: serve\'s store marks its copies itself (zoomctl deliveries)')
    if (flags.wait && !flags.run) throw new OptionError('--wait goes with --run: it waits for the run\'s deliveries to be indexed')
    const elastic = localDir ? undefined : await elasticSettingsFrom(flags)
    if (!elastic && !localDir) {
      throw new OptionError('name Elasticsearch with --es-url (or ELASTICSEARCH_HOSTS, --cloud-id), or check serve\'s store with --local')
    }
    if (elastic?.insecure && this.human) process.stderr.write(style.yellow('warning: --es-insecure accepts any certificate from Elasticsearch\n'))
    const progress = startProgress('validating', this.human)
    const report = await runValidate({
      elastic,
      localDir,
      window: {since, until},
      events: flags.event ?? [],
      require: flags.require ?? [],
      integrationVersion: integrationVersion(flags['integration-version']),
      runFile: flags.run,
      waitMs: flags.wait ? parseDuration(flags.wait, '--wait') : 0,
      duplicates: flags.duplicates,
      onProgress: (text) => progress.update(text),
      dataStream: isReportStream(flags['data-stream']) ? flags['data-stream'] : undefined,
    }).finally(() => progress.stop())
    if (this.human) {
      this.log(style.dim(`${report.target}, ${report.window.since} → ${report.window.until}, integration ${report.integrationVersion}`))
      this.log(renderChecks(report.checks, report.summary, {verbose: flags.verbose}))
    }
    return report.summary.ok ? report : this.failed(report)
  }
}
