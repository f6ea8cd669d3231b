import {Args, Flags} from '@oclif/core'

import {ZoomctlCommand} from '../../cli/base-command.js'
import {dataDirFlag, integrationVersion, integrationVersionFlag} from '../../cli/flags.js'
import {tooShortForId} from '../../deliveries/ids.js'
import {assertDataDir, showDelivery} from '../../deliveries/list.js'
import {UserError} from '../../errors.js'
import {formatDetail} from '../../output/deliveries.js'
import {startProgress} from '../../output/spinner.js'

export default class DeliveriesShow extends ZoomctlCommand {
  static override summary = 'Show one delivery: headers, body, the document Elastic indexes, and why it was refused'
  static override examples = ['<%= config.bin %> deliveries show 3f2c…', '<%= config.bin %> deliveries show 3f2c… --data-dir /var/lib/zoomctl --json']

  static override args = {
    id: Args.string({description: 'the delivery id, or its first characters (zoomctl deliveries lists them)', required: true}),
  }

  static override flags = {
    'data-dir': dataDirFlag("serve's data dir"),
    'show-secrets': Flags.boolean({description: "show meeting passwords, download tokens and other secrets of the body (redacted by default)", default: false}),
    'integration-version': integrationVersionFlag,
  }

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(DeliveriesShow)
    if (tooShortForId(args.id)) throw new UserError(`"${args.id}" is too short to name a delivery: give at least 4 characters of its id`, {code: 'id-too-short', hint: 'zoomctl deliveries lists the ids (the first 8 characters are always enough)'})
    await assertDataDir(flags['data-dir'])
    // An id is searched for in every day file, newest first: about a second for a million deliveries.
    const progress = startProgress(`looking for ${args.id} in ${flags['data-dir']}`, this.human)
    const detail = await showDelivery(flags['data-dir'], args.id, {integrationVersion: integrationVersion(flags['integration-version']), showSecrets: flags['show-secrets']}).finally(() => progress.stop())
    if (!detail) throw new UserError(`no delivery ${args.id} in ${flags['data-dir']}`, {code: 'not-found', hint: 'zoomctl deliveries lists the ids'})
    if (this.human) this.log(formatDetail(detail))
    return detail
  }
}
