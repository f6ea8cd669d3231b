import {Args, Flags} from '@oclif/core'

import {ZoomctlCommand} from '../cli/base-command.js'
import {authFlags, authOptionsFrom, dataDirFlag, integrationVersion, integrationVersionFlag, tokenForLocalTarget, uiFlags} from '../cli/flags.js'
import {resolveAuth} from '../config/index.js'
import {dataDirExists} from '../deliveries/list.js'
import {DEFAULT_DATA_DIR} from '../store/index.js'
import {style} from '../output/style.js'
import {startInspector} from '../ui/server.js'

export default class Ui extends ZoomctlCommand {
  static override summary = 'The inspector page for a data dir: deliveries, verdicts, documents, re-send'
  static override description = 'The page serve --ui shows, for a store serve is not running on (or another process writes): it follows the files for new deliveries. Re-send needs --url (else it is off, and the start says so); to a local serve it is signed with the token serve keeps in the data dir, as replay does.'
  static override examples = ['<%= config.bin %> ui', '<%= config.bin %> ui /var/lib/zoomctl --ui-port 9000']

  static override args = {
    'data-dir': Args.string({description: "serve's data dir (default: --data-dir)", ignoreStdin: true}),
  }

  static override flags = {
    url: Flags.string({description: 're-send goes here', env: 'ZOOMCTL_URL'}),
    'ui-host': uiFlags['ui-host'],
    'ui-port': uiFlags['ui-port'],
    'integration-version': integrationVersionFlag,
    'data-dir': dataDirFlag("serve's data dir, when the argument does not name one"),
    ...authFlags,
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Ui)
    const dataDir = args['data-dir'] ?? flags['data-dir']
    // Re-sent to a local serve, signed with the token it keeps in the data dir shown (as replay does), unless one is given.
    const lookup = flags.url ? await tokenForLocalTarget(flags, flags.url, [dataDir, process.env.ZOOMCTL_DATA_DIR ?? DEFAULT_DATA_DIR]) : {flags}
    const auth = resolveAuth(authOptionsFrom(lookup.flags))
    const inspector = await startInspector({
      host: flags['ui-host'],
      port: flags['ui-port'],
      dataDir,
      receiverUrl: flags.url,
      auth,
      integrationVersion: integrationVersion(flags['integration-version']),
    })
    const resend = !flags.url
      ? 'off: give --url (or ZOOMCTL_URL) to re-send'
      : auth.mode === 'signature' && !auth.secretToken
        ? `to ${flags.url}, unsigned: no secret token given or found in ${dataDir} (ZOOM_WEBHOOK_SECRET_TOKEN)`
        : `to ${flags.url}${lookup.tokenFile ? `, signed with the token in ${lookup.tokenFile}` : ''}`
    if (this.human) {
      const missing = (await dataDirExists(dataDir)) ? '' : style.yellow(' (not there yet: the page fills as serve stores deliveries there)')
      process.stderr.write(`${style.bold('zoomctl inspector')} on ${style.cyan(inspector.url)} for ${dataDir}${missing}\n  re-send: ${resend}\n${style.dim('  Ctrl-C to stop')}\n`)
    } else process.stdout.write(`${JSON.stringify({type: 'listening', url: inspector.url, dataDir, resend})}\n`)
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve())
      process.once('SIGTERM', () => resolve())
    })
    await inspector.close()
  }
}
