import {Args, Flags} from '@oclif/core'

import {ZoomctlCommand} from '../cli/base-command.js'
import {authFlags, authOptionsFrom, dataDirFlag, integrationVersion, integrationVersionFlag, uiFlags} from '../cli/flags.js'
import {resolveAuth} from '../config/index.js'
import {dataDirExists} from '../deliveries/list.js'
import {style} from '../output/style.js'
import {startInspector} from '../ui/server.js'

export default class Ui extends ZoomctlCommand {
  static override summary = 'The inspector page for a data dir: deliveries, verdicts, documents, re-send'
  static override description = 'The page serve --ui shows, for a store serve is not running on (or another process writes): it follows the files for new deliveries. Re-send needs --url (or goes nowhere).'
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
    const inspector = await startInspector({
      host: flags['ui-host'],
      port: flags['ui-port'],
      dataDir,
      receiverUrl: flags.url,
      auth: resolveAuth(authOptionsFrom(flags)),
      integrationVersion: integrationVersion(flags['integration-version']),
    })
    if (this.human) {
      const missing = (await dataDirExists(dataDir)) ? '' : style.yellow(' (not there yet: the page fills as serve stores deliveries there)')
      process.stderr.write(`${style.bold('zoomctl inspector')} on ${style.cyan(inspector.url)} for ${dataDir}${missing}\n${style.dim('  Ctrl-C to stop')}\n`)
    } else process.stdout.write(`${JSON.stringify({type: 'listening', url: inspector.url, dataDir})}\n`)
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve())
      process.once('SIGTERM', () => resolve())
    })
    await inspector.close()
  }
}
