import {Args} from '@oclif/core'

import {ZoomctlCommand} from '../../../cli/base-command.js'
import {withZoomApi, zoomFlags} from '../../../cli/zoom-flags.js'
import {UserError} from '../../../errors.js'
import {formatSubscription} from '../../../output/zoom.js'
import {startProgress} from '../../../output/spinner.js'
import {getSubscription} from '../../../zoom/api/subscriptions.js'

export default class ZoomSubscriptionsShow extends ZoomctlCommand {
  static override summary = 'Show one event subscription: its URL, every event by category, who made it'
  static override examples = ['<%= config.bin %> zoom subscriptions show 0ZAaJY4dQ52BbwI9PArBLQ']

  static override args = {
    id: Args.string({description: 'the subscription ID (zoomctl zoom subscriptions lists them)', required: true}),
  }

  static override flags = {...zoomFlags}

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(ZoomSubscriptionsShow)
    const progress = startProgress(`reading subscription ${args.id}`, this.human)
    const subscription = await withZoomApi(flags, (api) => getSubscription(api, flags['zoom-account-id'], args.id)).finally(() => progress.stop())
    if (!subscription) throw new UserError(`the Zoom app has no event subscription ${args.id}`, {code: 'not-found', hint: 'zoomctl zoom subscriptions lists them'})
    if (this.human) this.log(formatSubscription(subscription))
    return subscription
  }
}
