import {Args} from '@oclif/core'

import {ZoomctlCommand} from '../../cli/base-command.js'
import {configPath, loadConfig, writeConfig} from '../../config/file.js'
import {closestName} from '../../config/parse.js'
import {statusMark} from '../../output/checks.js'
import {style} from '../../output/style.js'

export default class ConfigUnset extends ZoomctlCommand {
  static override summary = 'Remove one setting from the config file (the flag default, or its env var, applies again)'
  static override readsConfigFile = false
  static override examples = ['<%= config.bin %> config unset port', '<%= config.bin %> config unset es-url --config ./prod.yaml']

  static override args = {
    key: Args.string({description: 'the setting to remove (zoomctl config show lists them)', required: true}),
  }

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(ConfigUnset)
    const path = configPath(flags.config)
    const file = loadConfig(path)
    const removed = args.key in file.values
    // Removing what is not there leaves the file as it was: a script may unset without checking first.
    if (removed) await writeConfig(path, {[args.key]: undefined})
    if (this.human) {
      if (removed) this.log(`${statusMark('pass')} ${args.key} removed from ${path}`)
      else {
        const near = closestName(args.key, Object.keys(file.values))
        this.log(style.dim(`${args.key} is not set in ${path}${file.exists ? '' : ' (no such file)'}${near ? `: did you mean ${near}?` : ''}`))
      }
    }
    return {path, key: args.key, removed}
  }
}
