import {ZoomctlCommand} from '../../cli/base-command.js'
import {configPath, loadConfig} from '../../config/file.js'
import {maskedValues} from '../../config/settings.js'
import {style} from '../../output/style.js'
import {renderTable} from '../../output/table.js'

export default class ConfigShow extends ZoomctlCommand {
  static override summary = 'Show the settings of the config file, secrets masked'
  static override examples = ['<%= config.bin %> config show', '<%= config.bin %> config show --config ./prod.yaml --json']

  async run(): Promise<unknown> {
    const {flags} = await this.parse(ConfigShow)
    const file = loadConfig(configPath(flags.config))
    const values = maskedValues(file)
    if (this.human) {
      this.log(style.dim(`${file.path}${file.exists ? '' : ' (does not exist yet: zoomctl setup or zoomctl config set writes it)'}`))
      if (Object.keys(values).length) this.log(renderTable(['setting', 'value', 'line'], Object.entries(values).map(([key, value]) => [key, JSON.stringify(value), String(file.lines[key] ?? '')])))
    }
    return {path: file.path, exists: file.exists, settings: values}
  }
}
