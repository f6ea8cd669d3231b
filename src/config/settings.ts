import {parse as parseYaml} from 'yaml'

import {checkValue, type ConfigFile, type FlagShape, isPlainMap, SECRET_KEYS, secretsInClear} from './file.js'
import {closestNames, OptionError} from './parse.js'

/** Every setting a config file may hold: the flags of all commands, with the commands that take each. */
export function knownSettings(commands: Array<{id: string; flags?: Record<string, unknown>}>): Map<string, {flag: FlagShape & {description?: string}; commands: string[]}> {
  const settings = new Map<string, {flag: FlagShape & {description?: string}; commands: string[]}>()
  for (const command of commands) {
    for (const [name, flag] of Object.entries(command.flags ?? {})) {
      if (name === 'json' || name === 'config' || name === 'help') continue
      const entry = settings.get(name) ?? {flag: flag as FlagShape, commands: [] as string[]}
      entry.commands.push(command.id.replace(/:/g, ' '))
      settings.set(name, entry)
    }
  }
  return settings
}

/** A value typed on the command line, read as YAML (8181 is a number, true a boolean), checked against its flag. */
export function parseSettingValue(key: string, text: string, flag: FlagShape | undefined, known: string[] = []): unknown {
  if (!flag) {
    const near = closestNames(key, known)
    throw new OptionError(`unknown setting "${key}"`, {hint: `${near.length ? `did you mean ${near.join(' or ')}? ` : ''}settings are flag names: zoomctl <command> --help lists them`})
  }
  let value: unknown = text
  try {
    value = parseYaml(text)
  } catch {
    // A plain string.
  }
  if (flag.type === 'option' && typeof value !== 'string' && typeof value !== 'number' && !Array.isArray(value)) value = text
  checkValue(key, value, flag, {path: 'the value given', exists: true, values: {}, lines: {}, exposed: false})
  return value
}

/**
 * The file's settings for display: secrets masked whatever their YAML shape (a string, a number, a list, a
 * map), under whatever key they are nested; references (env:, file:) shown as written.
 */
export function maskedValues(file: ConfigFile): Record<string, unknown> {
  return masked(file.values) as Record<string, unknown>
}

/** Walks the file's values: a secret's value, found under any key at any depth, is masked by maskedSecret. */
function masked(value: unknown, key?: string): unknown {
  if (key !== undefined && SECRET_KEYS.has(key) && value !== null && value !== undefined) return maskedSecret(value, key)
  if (Array.isArray(value)) return value.map((item) => masked(item))
  if (isPlainMap(value)) return Object.fromEntries(Object.entries(value).map(([name, child]) => [name, masked(child, name)]))
  return value
}

/** Secrets whose value is a map of names to secrets: the names are shown, each secret masked on its own. */
const MAPS_OF_SECRETS = new Set(['app-token'])

/** A reference (env:, file:) as written; app-token's map value by value; anything else (a string, a number, a list, a map) as ********. */
function maskedSecret(value: unknown, key: string): unknown {
  if (MAPS_OF_SECRETS.has(key) && isPlainMap(value)) return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, maskedSecret(item, '')]))
  return typeof value === 'string' && !secretsInClear(value) ? value : '********'
}

/** A setting of the file as config show lists it: its value (masked), its line, and which commands use it. */
export interface SettingRow {
  key: string
  value: unknown
  line?: number
  /** No command has this flag (a typo, or a setting of another version): every command refuses the file. */
  unknown: boolean
  /** The commands that take it from the file (setup and config have the flag but never read it there). */
  usedBy: string[]
}

export function settingRows(file: ConfigFile, commands: Array<{id: string; flags?: Record<string, unknown>; readsConfigFile?: boolean}>): SettingRow[] {
  const masked = maskedValues(file)
  const known = knownSettings(commands)
  const readers = knownSettings(commands.filter((command) => command.readsConfigFile !== false))
  return Object.keys(file.values).map((key) => ({
    key,
    value: masked[key],
    ...(file.lines[key] ? {line: file.lines[key]} : {}),
    unknown: !known.has(key),
    usedBy: readers.get(key)?.commands ?? [],
  }))
}
