import {Flags} from '@oclif/core'

import {ZoomctlCommand} from '../cli/base-command.js'
import {dataDirFlag, elasticFlags, elasticSettingsFrom} from '../cli/flags.js'
import {withZoomApi, zoomAppIdFrom, zoomFlags} from '../cli/zoom-flags.js'
import {OptionError, parseTimePoint} from '../config/index.js'
import {dataDirExists} from '../deliveries/list.js'
import {formatReconcile} from '../output/reconcile.js'
import {startProgress} from '../output/spinner.js'
import {reconcile} from '../reconcile/reconcile.js'

export default class Reconcile extends ZoomctlCommand {
  static override summary = "Zoom's webhook logs against what arrived: what Zoom delivered that is not there, what failed for good, with the replay or the fix"
  static override description = `Reads the Zoom app's webhook logs for a window (Zoom keeps 7 days; ZOOM_APP_ID names the app) and looks for each delivery in serve's store (--data-dir) and/or Elasticsearch (the Elasticsearch flags), by the same key serve deduplicates with (event type, event_ts, object ids). It lists what Zoom counts as delivered that never arrived (an Elastic Agent answers before it indexes), what failed and will not be retried (any 4xx, or retries exhausted), and what still has a Zoom retry coming; the bodies Zoom's log kept are written to an NDJSON file, with the zoomctl replay command that sends them. Exit 1 when something is missing.`

  static override examples = [
    '<%= config.bin %> reconcile --since 24h',
    '<%= config.bin %> reconcile --since 2d --es-url https://es.example.com:9200 --json',
  ]

  static override flags = {
    since: Flags.string({description: 'from: a duration ago (24h, 3d) or an ISO date (at most 7 days ago: what Zoom keeps)', default: '24h'}),
    until: Flags.string({description: 'until: a duration ago or an ISO date', default: 'now'}),
    'data-dir': dataDirFlag("serve's data dir (looked in when it exists)"),
    'replay-file': Flags.string({description: 'where to write the bodies to replay (NDJSON)', default: 'zoomctl-reconcile.ndjson'}),
    ...zoomFlags,
    ...elasticFlags,
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(Reconcile)
    const appId = zoomAppIdFrom(flags)
    const elastic = await elasticSettingsFrom(flags)
    const dataDir = (await dataDirExists(flags['data-dir'])) ? flags['data-dir'] : undefined
    if (!dataDir && !elastic) throw new OptionError(`nothing to reconcile against: no data dir at ${flags['data-dir']} and no Elasticsearch`, {hint: "name serve's data dir (--data-dir, ZOOMCTL_DATA_DIR) and/or Elasticsearch (--es-url, ELASTICSEARCH_HOSTS)"})
    const since = parseTimePoint(flags.since, undefined, '--since')
    const until = parseTimePoint(flags.until, undefined, '--until')
    if (since >= until) throw new OptionError('--since must be before --until')
    const progress = startProgress('reconciling', this.human)
    const report = await withZoomApi(flags, (api) => reconcile({api, appId, since, until, dataDir, elastic, replayFile: flags['replay-file'], onStep: (text) => progress.update(text)})).finally(() => progress.stop())
    if (this.human) this.log(formatReconcile(report))
    return report.counts['acknowledged-missing'] + report.counts['failed-for-good'] ? this.failed(report) : report
  }
}
