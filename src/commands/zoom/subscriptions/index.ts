import {ZoomctlCommand} from '../../../cli/base-command.js'
import {withZoomApi, zoomFlags} from '../../../cli/zoom-flags.js'
import {Flags} from '@oclif/core'
import {formatSubscriptions} from '../../../output/zoom.js'
import {startProgress} from '../../../output/spinner.js'
import {listSubscriptions} from '../../../zoom/api/subscriptions.js'

export default class ZoomSubscriptions extends ZoomctlCommand {
  static override summary = "List the Zoom app's event subscriptions: URL, events, and whether zoomctl or the build flow made each"
  static override examples = ['<%= config.bin %> zoom subscriptions', '<%= config.bin %> zoom subscriptions --json']

  static override flags = {
    ...zoomFlags,
    'zoom-subscription-name': Flags.string({description: "the name of zoomctl's own subscription", default: 'zoomctl', helpGroup: 'ZOOM'}),
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(ZoomSubscriptions)
    const progress = startProgress("reading the app's event subscriptions", this.human)
    const subscriptions = await withZoomApi(flags, (api) => listSubscriptions(api, flags['zoom-account-id'])).finally(() => progress.stop())
    if (this.human) this.log(formatSubscriptions(subscriptions, flags['zoom-subscription-name']))
    return {subscriptions}
  }
}
