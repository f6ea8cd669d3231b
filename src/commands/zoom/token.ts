import {Flags} from '@oclif/core'

import {ZoomctlCommand} from '../../cli/base-command.js'
import {zoomFlags, zoomOAuthClientFrom} from '../../cli/zoom-flags.js'
import {formatZoomToken} from '../../output/zoom.js'
import {startProgress} from '../../output/spinner.js'

export default class ZoomToken extends ZoomctlCommand {
  static override summary = "Check the Zoom app's credentials: ask Zoom for a token and print what it may do (its scopes), never the token"
  static override examples = ['ZOOM_ACCOUNT_ID=… ZOOM_CLIENT_ID=… ZOOM_CLIENT_SECRET=… <%= config.bin %> zoom token', '<%= config.bin %> zoom token --grant client_credentials --json']

  static override flags = {
    ...zoomFlags,
    grant: Flags.string({description: 'account_credentials (a Server-to-Server OAuth app) or client_credentials (the app\'s own token)', options: ['account_credentials', 'client_credentials'], default: 'account_credentials'}),
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(ZoomToken)
    const oauth = zoomOAuthClientFrom(flags, {grant: flags.grant as 'account_credentials' | 'client_credentials'})
    const progress = startProgress(`asking ${new URL(oauth.tokenUrl).host} for a token`, this.human)
    try {
      const token = await oauth.token().finally(() => progress.stop())
      const result = {grant: token.grant, expiresAt: new Date(token.expiresAt).toISOString(), scopes: token.scopes}
      if (this.human) this.log(formatZoomToken(result))
      return result
    } finally {
      await oauth.close()
    }
  }
}
