import {Args} from '@oclif/core'

import {ZoomctlCommand} from '../../cli/base-command.js'
import {withZoomApi, zoomFlags} from '../../cli/zoom-flags.js'
import {UserError} from '../../errors.js'
import {startProgress} from '../../output/spinner.js'
import {deleteSubscription, getSubscription} from '../../zoom/api/subscriptions.js'
import {isBuildFlow} from '../../zoom/subscription/plan.js'

export default class ZoomDelete extends ZoomctlCommand {
  static override summary = 'Delete an event subscription made through the API (Zoom stops delivering its events)'
  static override examples = ['<%= config.bin %> zoom delete 0ZAaJY4dQ52BbwI9PArBLQ']

  static override args = {
    id: Args.string({description: 'the subscription ID (zoomctl zoom subscriptions lists them)', required: true}),
  }

  static override flags = {...zoomFlags}

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(ZoomDelete)
    const progress = startProgress(`deleting subscription ${args.id}`, this.human)
    const deleted = await withZoomApi(flags, async (api) => {
      const subscription = await getSubscription(api, flags['zoom-account-id'], args.id)
      if (!subscription) throw new UserError(`the Zoom app has no event subscription ${args.id}`, {code: 'not-found', hint: 'zoomctl zoom subscriptions lists them'})
      if (isBuildFlow(subscription)) throw new UserError(`${args.id} was made in the Marketplace's build flow, which Zoom's API cannot change`, {code: 'zoom-build-flow', hint: 'remove it in the Marketplace: Manage → your app → Feature → Event Subscriptions'})
      await deleteSubscription(api, args.id)
      return subscription
    }).finally(() => progress.stop())
    if (this.human) this.log(`Deleted ${deleted.id} (${deleted.url}, ${deleted.events.length} events).`)
    return {deleted: deleted.id, url: deleted.url}
  }
}
