import {Args} from '@oclif/core'

import {ZoomctlCommand} from '../../cli/base-command.js'
import {configPath, SECRET_KEYS, writeConfig} from '../../config/file.js'
import {OptionError} from '../../config/parse.js'
import {knownSettings, parseSettingValue} from '../../config/settings.js'
import {statusMark} from '../../output/checks.js'
import {style} from '../../output/style.js'

export default class ConfigSet extends ZoomctlCommand {
  static override summary = 'Set one setting in the config file (a flag name and its value)'
  static override readsConfigFile = false
  static override description = 'The file is created with mode 0600 in a 0700 directory. Secrets are better given as env:NAME or file:PATH than as values.'
  static override examples = [
    '<%= config.bin %> config set port 8443',
    '<%= config.bin %> config set secret-token env:ZOOM_WEBHOOK_SECRET_TOKEN',
    '<%= config.bin %> config set es-url https://localhost:9200',
  ]

  static override args = {
    key: Args.string({description: 'a flag name, e.g. port, es-url, secret-token', required: true}),
    value: Args.string({description: 'its value', required: true}),
  }

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(ConfigSet)
    const settings = knownSettings(this.config.commands as never)
    const setting = settings.get(args.key)
    const value = parseSettingValue(args.key, args.value, setting?.flag, [...settings.keys()])
    await this.checkWithFlag(args.key, value, setting!.commands[0]!)
    const path = configPath(flags.config)
    await writeConfig(path, {[args.key]: value})
    const shown = SECRET_KEYS.has(args.key) && typeof value === 'string' && !/^(env|file):/.test(value) ? '********' : JSON.stringify(value)
    if (this.human) this.log(`${statusMark('pass')} ${args.key} = ${shown} in ${path} ${style.dim(`(used by ${setting!.commands.join(', ')})`)}`)
    return {path, key: args.key, value: shown}
  }

  /** The flag's own parser (an integer, its bounds …) judges the value now, not the next command that reads it. */
  private async checkWithFlag(key: string, value: unknown, commandId: string): Promise<void> {
    const command = await this.config.findCommand(commandId.replace(/ /g, ':'))?.load()
    const flag = command?.flags?.[key] as {type?: string; parse?: (input: string, context: unknown, options: unknown) => Promise<unknown>} | undefined
    if (flag?.type !== 'option' || !flag.parse || typeof value === 'object') return
    try {
      await flag.parse(String(value), this, flag)
    } catch (error) {
      const reason = (error as Error).message
      throw new OptionError(`${key}: ${reason.charAt(0).toLowerCase()}${reason.slice(1)}`)
    }
  }
}
