import {ZoomctlCommand} from '../../cli/base-command.js'
import {configPath} from '../../config/file.js'

export default class ConfigPath extends ZoomctlCommand {
  static override summary = 'Print where the config file is read from (--config, ZOOMCTL_CONFIG, ./zoomctl.yaml, ~/.config/zoomctl/config.yaml)'
  static override readsConfigFile = false

  async run(): Promise<unknown> {
    const {flags} = await this.parse(ConfigPath)
    const path = configPath(flags.config)
    if (this.human) this.log(path)
    return {path}
  }
}
