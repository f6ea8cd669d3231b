import {ZoomctlCommand} from '../../cli/base-command.js'
import {configPath, loadConfig} from '../../config/file.js'
import {settingRows} from '../../config/settings.js'
import {style} from '../../output/style.js'
import {renderTable} from '../../output/table.js'

export default class ConfigShow extends ZoomctlCommand {
  static override summary = 'Show the settings of the config file, secrets masked, and which commands use each'
  static override readsConfigFile = false
  static override examples = ['<%= config.bin %> config show', '<%= config.bin %> config show --config ./prod.yaml --json']

  async run(): Promise<unknown> {
    const {flags} = await this.parse(ConfigShow)
    const file = loadConfig(configPath(flags.config))
    const rows = settingRows(file, this.config.commands as never)
    const unknown = rows.filter((row) => row.unknown).map((row) => row.key)
    if (this.human) {
      this.log(style.dim(`${file.path}${file.exists ? '' : ' (does not exist yet: zoomctl setup or zoomctl config set writes it)'}`))
      if (rows.length) {
        const usedBy = (row: (typeof rows)[number]) => (row.unknown ? style.red('no command: unknown setting') : row.usedBy.join(', ') || style.dim('none (only asked by setup)'))
        this.log(renderTable(['setting', 'value', 'line', 'used by'], rows.map((row) => [row.key, JSON.stringify(row.value), String(row.line ?? ''), usedBy(row)])))
      }
      if (unknown.length) this.log(style.yellow(`every command but config refuses this file while it holds ${unknown.join(', ')}: zoomctl config unset ${unknown[0]}`))
    }
    return {path: file.path, exists: file.exists, settings: Object.fromEntries(rows.map((row) => [row.key, row.value])), ...(unknown.length ? {unknown} : {})}
  }
}
