import {Flags} from '@oclif/core'

import {ZoomctlCommand} from '../../cli/base-command.js'
import {authFlags} from '../../cli/flags.js'
import {customHeaderFrom, withZoomApi, zoomFlags, zoomSubscriptionFlags} from '../../cli/zoom-flags.js'
import {OptionError} from '../../config/index.js'
import {formatPlan} from '../../output/zoom.js'
import {startProgress} from '../../output/spinner.js'
import {applySubscription} from '../../zoom/subscription/apply.js'
import {desiredSubscription, listOf} from '../../zoom/subscription/desired.js'

export default class ZoomApply extends ZoomctlCommand {
  static override summary = "Make the Zoom app's event subscription match the config file: create it, replace it (URL or events changed), or nothing"
  static override description = `Reads the desired subscription from the config file (setup --zoom writes it) or the flags: the URL Zoom delivers to (zoom-webhook-url), the events Elastic maps in zoom-categories (or exactly zoom-events), and a custom header for an endpoint that checks one. It finds zoomctl's own subscription by its name, and plans like Terraform: create, replace (Zoom changes neither URL nor events in place: a new one is created, then the old one deleted), or unchanged. Before Zoom is asked to create one, it checks that the URL answers Zoom's challenge with the secret token. Subscriptions made in the Marketplace's build flow are reported, never touched. --dry-run prints the plan and changes nothing.`

  static override examples = ['<%= config.bin %> zoom apply --dry-run', '<%= config.bin %> zoom apply --zoom-webhook-url https://hooks.example.com/zoom-webhook --zoom-categories meeting,webinar,recording']

  static override flags = {
    ...zoomFlags,
    ...zoomSubscriptionFlags,
    'secret-token': authFlags['secret-token'],
    'dry-run': Flags.boolean({description: 'print the plan; change nothing', default: false}),
    replace: Flags.boolean({description: "replace zoomctl's subscription even when it looks the same (Zoom never shows a custom header's value)", default: false}),
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(ZoomApply)
    const url = flags['zoom-webhook-url']
    if (!url) throw new OptionError('no webhook URL to subscribe', {hint: 'give --zoom-webhook-url (ZOOMCTL_ZOOM_WEBHOOK_URL), or write it once: zoomctl config set zoom-webhook-url https://…'})
    const desired = desiredSubscription({
      name: flags['zoom-subscription-name'],
      url,
      categories: listOf(flags['zoom-categories']),
      events: listOf(flags['zoom-events']),
      customHeader: customHeaderFrom(flags['zoom-custom-header']),
    })
    const progress = startProgress('planning', this.human)
    const outcome = await withZoomApi(flags, (api) =>
      applySubscription(api, flags['zoom-account-id'], desired, {dryRun: flags['dry-run'], forceReplace: flags.replace, secretToken: flags['secret-token'], onStep: (text) => progress.update(text)}),
    ).finally(() => progress.stop())
    if (this.human) this.log(formatPlan(outcome.plan, {applied: outcome.applied, done: outcome.done}))
    return outcome
  }
}
