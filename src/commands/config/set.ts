import {Args} from '@oclif/core'

import {ZoomctlCommand} from '../../cli/base-command.js'
import {configPath, SECRET_KEYS, writeConfig} from '../../config/file.js'
import {OptionError} from '../../config/parse.js'
import {readSecretValue} from '../../config/secret-input.js'
import {knownSettings, parseSettingValue} from '../../config/settings.js'
import {statusMark} from '../../output/checks.js'
import {style} from '../../output/style.js'

export default class ConfigSet extends ZoomctlCommand {
  static override summary = 'Set one setting in the config file (a flag name and its value)'
  static override readsConfigFile = false
  static override description = 'The file is created with mode 0600 in a 0700 directory. Secrets are better given as env:NAME or file:PATH than as values; a secret given no value is asked for without echo at a terminal, or read from standard input, so that it stays out of the shell history.'
  static override examples = [
    '<%= config.bin %> config set port 8443',
    '<%= config.bin %> config set secret-token env:ZOOM_WEBHOOK_SECRET_TOKEN',
    '<%= config.bin %> config set secret-token            # asks for it, without echo',
    'pbpaste | <%= config.bin %> config set secret-token',
    '<%= config.bin %> config set es-url https://localhost:9200',
  ]

  static override args = {
    key: Args.string({description: 'a flag name, e.g. port, es-url, secret-token', required: true}),
    // Standard input is a secret's value, read by the command (not by oclif as an argument).
    value: Args.string({description: 'its value (a secret left out is asked for, or read from standard input)', required: false, ignoreStdin: true}),
  }

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(ConfigSet)
    const settings = knownSettings(this.config.commands as never)
    const setting = settings.get(args.key)
    if (args.value === undefined && setting && !SECRET_KEYS.has(args.key)) throw new OptionError(`missing VALUE: the value of ${args.key}`, {hint: `zoomctl config set ${args.key} <value>`})
    // A secret read from the prompt or standard input is a string as typed ("0123" stays so): quoted for the YAML reading.
    const text = args.value ?? (setting ? JSON.stringify(await readSecretValue(args.key)) : '')
    const value = parseSettingValue(args.key, text, setting?.flag, [...settings.keys()])
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
