import {readFileSync, statSync} from 'node:fs'
import {homedir} from 'node:os'
import {join} from 'node:path'

import {isMap, isScalar, LineCounter, parseDocument} from 'yaml'

import {writeFileAtomic} from '../store/atomic.js'
import {fileProblem} from './files.js'
import {OptionError} from './parse.js'

/**
 * zoomctl's one config file: YAML whose keys are the commands' flag names (port, es-url, secret-token …).
 * Every command reads it; a flag on the command line wins, then its env var, then the file, then the
 * default. Secrets may be written as `env:NAME` or `file:PATH` instead of their values.
 */
export interface ConfigFile {
  path: string
  exists: boolean
  /** As written (references not resolved). */
  values: Record<string, unknown>
  /** Line of each key, for error messages. */
  lines: Record<string, number>
  /** Readable by others although it holds secrets in clear. */
  exposed: boolean
}

/** Flags whose values are secrets: masked by config show, redacted from errors, a reason to keep the file 0600. */
export const SECRET_KEYS = new Set(['secret-token', 'previous-secret-token', 'auth-value', 'basic-password', 'bearer-token', 'api-key', 'password', 'forward-header', 'kibana-api-key', 'kibana-password', 'agent-secret', 'app-token', 'zoom-client-secret', 'zoom-custom-header'])

/** --config, else ZOOMCTL_CONFIG, else ./zoomctl.yaml when it exists, else the user's config dir (XDG). */
export function configPath(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  if (explicit) return explicit
  if (env.ZOOMCTL_CONFIG) return env.ZOOMCTL_CONFIG
  const local = join(cwd, 'zoomctl.yaml')
  try {
    statSync(local)
    return local
  } catch {
    // Not here: the user's config dir.
  }
  return userConfigPath(env)
}

/** The config file in the user's config dir (XDG), read when there is no ./zoomctl.yaml. */
export function userConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'zoomctl', 'config.yaml')
}

/** Which config file a command read, as it says at start: its path, or that there was none. */
export function describeConfigFile(path: string | null): string {
  return path ? `config: ${path}` : `config: none (no ./zoomctl.yaml, no ${userConfigPath()})`
}

export function loadConfig(path: string): ConfigFile {
  let text: string
  let mode = 0
  try {
    text = readFileSync(path, 'utf8')
    mode = statSync(path).mode
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {path, exists: false, values: {}, lines: {}, exposed: false}
    throw new OptionError(`cannot read the config file ${path}: ${fileProblem(error)}`)
  }
  const lineCounter = new LineCounter()
  const document = parseDocument(text, {lineCounter})
  if (document.errors.length) {
    const first = document.errors[0]!
    throw new OptionError(`${path} is not valid YAML: ${first.message.split('\n')[0]}`, {hint: 'fix the file, or write it with zoomctl config set KEY VALUE'})
  }
  const values: Record<string, unknown> = {}
  const lines: Record<string, number> = {}
  if (document.contents !== null && document.contents !== undefined) {
    if (!isMap(document.contents)) throw new OptionError(`${path} must be a mapping of settings (key: value), one per line`)
    for (const item of document.contents.items) {
      const key = isScalar(item.key) ? String(item.key.value) : String(item.key)
      values[key] = (item.value as {toJSON?: () => unknown} | null)?.toJSON?.() ?? (isScalar(item.value) ? item.value.value : item.value)
      const offset = (item.key as {range?: [number, number, number]} | null)?.range?.[0] ?? 0
      lines[key] = lineCounter.linePos(offset).line
    }
  }
  const holdsSecret = Object.entries(values).some(([key, value]) => SECRET_KEYS.has(key) && secretsInClear(value))
  return {path, exists: true, values, lines, exposed: holdsSecret && (mode & 0o077) !== 0}
}

/** A secret setting's value written as it is, not as a reference: a string, or a map's values (app-token). */
export function secretsInClear(value: unknown): boolean {
  if (typeof value === 'string') return !/^(env|file):/.test(value)
  return isPlainMap(value) && Object.values(value).some((item) => secretsInClear(item))
}

export function isPlainMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** An `env:NAME` or `file:PATH` reference, resolved; any other value as it is. */
export function resolveReference(value: unknown, key: string, file: ConfigFile, env: NodeJS.ProcessEnv = process.env): unknown {
  return resolveSecretText(value, `${key} (${file.path} line ${file.lines[key] ?? '?'})`, env)
}

/** resolveReference for a value from anywhere (a flag's NAME=env:VAR): `where` names it in an error. */
export function resolveSecretText(value: unknown, where: string, env: NodeJS.ProcessEnv = process.env): unknown {
  if (typeof value !== 'string') return value
  if (value.startsWith('env:')) {
    const name = value.slice(4)
    const resolved = env[name]
    if (resolved === undefined) throw new OptionError(`${where} refers to the env var ${name}, which is not set`)
    return resolved
  }
  if (value.startsWith('file:')) {
    try {
      return readFileSync(value.slice(5), 'utf8').trim()
    } catch (error) {
      throw new OptionError(`${where} refers to ${value.slice(5)}, which cannot be read: ${fileProblem(error)}`)
    }
  }
  return value
}

/** Sets (or, with undefined, removes) keys, keeping the file's comments; mode 0600 in a 0700 dir. */
export async function writeConfig(path: string, changes: Record<string, unknown>): Promise<void> {
  let text = ''
  try {
    text = readFileSync(path, 'utf8')
  } catch {
    text = '# zoomctl settings: keys are flag names (zoomctl <command> --help). Secrets may be env:NAME or file:PATH.\n'
  }
  const document = parseDocument(text)
  if (document.contents === null || document.contents === undefined) document.contents = document.createNode({}) as unknown as typeof document.contents
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) document.delete(key)
    else document.set(key, value)
  }
  await writeFileAtomic(path, document.toString())
}

/** A flag as the config file sees it: enough to check a value and to pass it on. */
export interface FlagShape {
  type: 'boolean' | 'option'
  multiple?: boolean
  options?: readonly string[]
  env?: string
  allowNo?: boolean
}

/** Checks a value against its flag; an error names the key, the line and what is allowed. */
export function checkValue(key: string, value: unknown, flag: FlagShape, file: ConfigFile): void {
  const where = file.lines[key] === undefined ? key : `${key} in ${file.path} line ${file.lines[key]}`
  const values = Array.isArray(value) ? value : [value]
  if (Array.isArray(value) && !flag.multiple) throw new OptionError(`${where}: takes one value, not a list`)
  for (const item of values) {
    if (flag.type === 'boolean' && typeof item !== 'boolean') throw new OptionError(`${where}: use true or false`)
    if (flag.type === 'option' && typeof item === 'object') throw new OptionError(`${where}: use a plain value`)
    if (flag.options && !flag.options.includes(String(item))) throw new OptionError(`${where}: "${item}" is not one of ${flag.options.join(', ')}`)
  }
}

/** The command-line arguments that give a config value to a flag. */
export function asArguments(key: string, value: unknown, flag: FlagShape): string[] {
  if (flag.type === 'boolean') return value ? [`--${key}`] : flag.allowNo ? [`--no-${key}`] : []
  return (Array.isArray(value) ? value : [value]).flatMap((item) => [`--${key}`, String(item)])
}
