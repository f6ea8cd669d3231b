import {Command, Errors, Flags} from '@oclif/core'

import {asArguments, checkValue, type ConfigFile, configPath, describeConfigFile, type FlagShape, isPlainMap, loadConfig, resolveReference, resolveSecretText, SECRET_KEYS} from '../config/file.js'
import {closestName, closestNames, OptionError} from '../config/parse.js'
import {UserError} from '../errors.js'
import {style} from '../output/style.js'

/**
 * Every zoomctl command: --json (oclif's enableJsonFlag); expected errors as one line of what went wrong
 * and one of what to do; exit 2 for bad input, 1 for other failures, with or without --json.
 */
export abstract class ZoomctlCommand extends Command {
  static override enableJsonFlag = true
  /**
   * Whether the config file's settings become this command's flags. Not for setup (it writes the file and
   * asks afresh) nor the config commands (they manage the file, and must work on one holding a mistake).
   */
  static readsConfigFile = true
  static override baseFlags = {
    config: Flags.string({description: 'config file (default: ./zoomctl.yaml, else ~/.config/zoomctl/config.yaml)', env: 'ZOOMCTL_CONFIG', helpGroup: 'GLOBAL'}),
  }

  /**
   * Whether the command says which config file it read in output of its own (serve's banner and its
   * --json listening line) rather than on a line of stderr at start.
   */
  static saysConfigFileItself = false

  /** The settings this run took from the config file, and where: an error about one of them says so. */
  private readonly fromFile = new Map<string, string>()

  /** The config file this run read (its path), or null when there was none; undefined for a command that reads none. */
  protected configFileRead: string | null | undefined

  /**
   * The config file's values become arguments before parsing, for the flags of this command that neither
   * the command line nor their env var set: precedence flag > env > file > default, in one place.
   */
  override async init(): Promise<void> {
    await super.init()
    if (!(this.ctor as typeof ZoomctlCommand).readsConfigFile) return
    const explicit = this.argv.find((arg, i) => this.argv[i - 1] === '--config') ?? this.argv.find((arg) => arg.startsWith('--config='))?.slice(9) ?? (process.env.ZOOMCTL_CONFIG || undefined)
    // An error here is reported by catch() like any other, and run() does not start.
    const file: ConfigFile = loadConfig(configPath(explicit))
    // A file named on purpose that is not there is a typo: starting with defaults instead would hide it.
    if (explicit && !file.exists) throw missingConfigFile(file.path, this.argv.some((arg) => arg === '--config' || arg.startsWith('--config=')))
    this.configFileRead = file.exists ? file.path : null
    if (this.human && !(this.ctor as typeof ZoomctlCommand).saysConfigFileItself) process.stderr.write(`${style.dim(describeConfigFile(this.configFileRead))}\n`)
    if (!file.exists) return
    const flags = (this.ctor.flags ?? {}) as Record<string, FlagShape & {env?: string}>
    const known = new Set(['config', ...this.config.commands.flatMap((command) => Object.keys(command.flags ?? {}))])
    const injected: string[] = []
    for (const [key, value] of Object.entries(file.values)) {
      if (!known.has(key)) {
        const near = closestName(key, [...known])
        throw new OptionError(`${file.path} line ${file.lines[key]}: unknown setting "${key}"`, {hint: `${near ? `did you mean ${near}? Correct it` : 'correct it'}, or remove it with zoomctl config unset ${key} (settings are flag names: zoomctl <command> --help lists them)`})
      }
      const flag = flags[key]
      if (!flag || key === 'config') continue
      // A map (app-token: {sales: env:…}) is a flag given once per entry, as NAME=VALUE, each resolved.
      if (flag.multiple && isPlainMap(value)) {
        if (this.argv.some((arg) => arg === `--${key}` || arg.startsWith(`--${key}=`))) continue
        const where = `${file.path} line ${file.lines[key]}`
        // --flag=value: a multiple flag given as two words would take the command's arguments after it too.
        for (const [name, item] of Object.entries(value)) injected.push(`--${key}=${name}=${String(resolveSecretText(item, `${key}.${name} (${where})`))}`)
        this.fromFile.set(key, where)
        continue
      }
      checkValue(key, value, flag, file)
      const given = this.argv.some((arg) => arg === `--${key}` || arg.startsWith(`--${key}=`) || arg === `--no-${key}`)
      // An env var set to nothing does not count: the file applies.
      if (given || (flag.env && process.env[flag.env])) continue
      injected.push(...asArguments(key, resolveReference(value, key, file), flag))
      this.fromFile.set(key, `${file.path} line ${file.lines[key]}`)
    }
    if (file.exposed) process.stderr.write(`${style.yellow('warning:')} ${file.path} holds secrets and others can read it: chmod 600 ${file.path}\n`)
    this.argv = [...injected, ...this.argv]
  }

  protected override async catch(error: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<unknown> {
    const {code, message, hint, exit} = this.fromConfigFile(this.withFlagSuggestion(error, describeError(error)))
    if (exit === undefined) {
      // A bug: oclif prints the stack (DEBUG=* shows more).
      return super.catch(error)
    }
    process.exitCode = exit
    const clean = redactSecrets(message, this.argv, this.secretEnv)
    if (this.jsonEnabled()) {
      this.logJson({error: {code, message: clean, ...(hint ? {hint: redactSecrets(hint, this.argv, this.secretEnv)} : {})}})
      return
    }
    const lines = [`${style.red('Error:')} ${clean}`]
    if (hint) lines.push(`${style.dim('Try:')} ${redactSecrets(hint, this.argv, this.secretEnv)}`)
    process.stderr.write(`${lines.join('\n')}\n`)
  }

  /**
   * An unknown flag close to one of this command's: name it ("--concurency" → "--concurrency"). Else an
   * argument that starts with "-" and was taken for a flag: a Zoom ID may (base64url), and goes after --.
   */
  private withFlagSuggestion(error: Error & {flags?: string[]}, described: DescribedError): DescribedError {
    const given = errorClass(error) === 'NonExistentFlagsError' ? error.flags : undefined
    if (!given?.length) return described
    const names = ['json', ...Object.keys({...this.ctor.flags, ...this.ctor.baseFlags})]
    const suggestions = given.flatMap((flag) => closestNames(flag.replace(/^--|=.*$/g, ''), names))
    if (suggestions.length > 0) return {...described, hint: `did you mean ${suggestions.map((name) => `--${name}`).join(given.length > 1 ? ', ' : ' or ')}? (--help lists the flags)`}
    // One dash and more than one letter after it: no flag of zoomctl's is spelt so.
    const argument = Object.keys(this.ctor.args ?? {}).length ? given.find((flag) => /^-[^-]./.test(flag)) : undefined
    if (argument === undefined) return described
    return {...described, hint: `an argument that starts with "-" (a Zoom ID can) goes after --, as in: ${this.config.bin} ${(this.id ?? '').replaceAll(':', ' ')} -- ${argument}`}
  }

  /** A flag value oclif refused that came from the config file, not the command line: say where it is written. */
  private fromConfigFile(described: DescribedError): DescribedError {
    if (!described.fromParser) return described
    const key = /--([a-z][a-z0-9-]*)/.exec(described.message)?.[1]
    const where = key === undefined ? undefined : this.fromFile.get(key)
    if (!where) return described
    return {...described, message: `${described.message} (${key}, from ${where})`, hint: `correct ${key} in the config file (zoomctl config show lists its settings), or give --${key}`}
  }

  /** oclif's own error JSON spreads the parse state (every flag value) into stdout: never use it. */
  override toErrorJson(error: unknown): unknown {
    const {code, message} = describeError(error as Error)
    return {error: {code, message: redactSecrets(message, this.argv, this.secretEnv)}}
  }

  /** The env vars of every command's secret flags: derived from the flags, not listed again. */
  private get secretEnv(): string[] {
    const flags = [...this.config.commands.map((command) => command.flags ?? {}), this.ctor.flags ?? {}] as Array<Record<string, {env?: string}>>
    return [...new Set(flags.flatMap((set) => Object.entries(set).filter(([name, flag]) => SECRET_KEYS.has(name) && flag.env).map(([, flag]) => flag.env!)))]
  }

  /** Ends the command with exit status 1 while still printing its result (under --json too). */
  protected failed<T>(result: T): T {
    process.exitCode = 1
    return result
  }

  /** True when output goes to a person: not --json. */
  protected get human(): boolean {
    return !this.jsonEnabled()
  }
}

/** A config file named by --config or ZOOMCTL_CONFIG that does not exist: exit 2, with how to make one. */
export function missingConfigFile(path: string, byFlag: boolean): OptionError {
  return new OptionError(`the config file ${path} (${byFlag ? '--config' : 'ZOOMCTL_CONFIG'}) does not exist`, {
    code: 'no-config-file',
    hint: `check the path; zoomctl setup --config ${path} or zoomctl config set KEY VALUE --config ${path} creates it${byFlag ? '' : '; unset ZOOMCTL_CONFIG to use ./zoomctl.yaml'}`,
  })
}

interface DescribedError {
  code: string
  message: string
  hint?: string
  /** undefined: not an expected error. */
  exit?: number
  /** oclif's parser refused a flag or argument (rather than a command's own check). */
  fromParser?: boolean
}

type ParseError = Error & {exitCode?: number; oclif?: {exit?: number}; code?: string; args?: Array<{name?: string; description?: string}>}

function describeError(error: ParseError): DescribedError {
  if (error instanceof UserError) return {code: error.code, message: error.message, hint: error.hint, exit: error.exitCode}
  // Ctrl-C at a question (@inquirer/prompts): interrupted, nothing done.
  if (error.name === 'ExitPromptError') return {code: 'interrupted', message: 'interrupted: nothing was done', exit: 130}
  // oclif's parser errors (unknown flag, bad option value, missing argument …) are bad input, as a UserError's.
  if ('parse' in error || /^(CLIParseError|FailedFlagValidationError|NonExistentFlagsError|UnexpectedArgsError|RequiredArgsError|FlagInvalidOptionError|ArgInvalidOptionError)$/.test(errorClass(error))) {
    const aboutArguments = /^(RequiredArgsError|UnexpectedArgsError)$/.test(errorClass(error))
    return {code: 'input', message: parseErrorMessage(error), hint: aboutArguments ? 'see --help for the arguments' : 'see --help for the flags and their values', exit: 2, fromParser: true}
  }
  if (error instanceof Errors.ExitError) return {code: 'exit', message: error.message, exit: error.oclif.exit ?? 1}
  if (error instanceof Errors.CLIError) {
    if (error.oclif?.exit === 2) return {code: 'input', message: flagValueMessage(firstLine(error.message)), hint: 'see --help for the flags and their values', exit: 2, fromParser: true}
    return {code: 'error', message: firstLine(error.message), exit: error.oclif?.exit ?? 1}
  }
  return {code: 'internal', message: error.message}
}

/**
 * oclif's parse errors in zoomctl's words: what is missing or wrong, the flag or argument first. oclif's
 * own lists its missing arguments on lines of their own, which read as one garbled line once joined.
 */
function parseErrorMessage(error: ParseError): string {
  if (errorClass(error) === 'RequiredArgsError' && error.args?.length) {
    const names = error.args.map((arg) => (arg.name ?? 'argument').toUpperCase())
    if (error.args.length === 1) return `missing ${names[0]}${error.args[0]!.description ? `: ${error.args[0]!.description}` : ''}`
    return `missing ${names.join(' and ')}: ${error.args.map((arg, i) => `${names[i]} is ${arg.description ?? 'required'}`).join('; ')}`
  }
  const message = firstLine(error.message)
  const option = /^Expected (--[a-z][a-z0-9-]*)=(.*) to be one of: (.*)$/.exec(message)
  if (option) return `${option[1]}: "${option[2]}" is not one of ${option[3]}`
  const unknown = /^Nonexistent flags?: (.*)$/.exec(message)
  if (unknown) return `unknown flag${unknown[1]!.includes(',') ? 's' : ''} ${unknown[1]}`
  const unexpected = /^Unexpected arguments?: (.*)$/.exec(message)
  if (unexpected) return `unexpected argument${unexpected[1]!.includes(',') ? 's' : ''}: ${unexpected[1]}`
  return message
}

/** oclif's parse errors keep Error's name: their class tells them apart. */
function errorClass(error: Error): string {
  return error.constructor.name
}

/** oclif's "Parsing --port Expected an integer …" and "Flag --count expects a value" as sentences about the flag ("--port: expected …"). */
function flagValueMessage(message: string): string {
  const noValue = /^Flag (--[a-z][a-z0-9-]*) expects a value$/.exec(message)
  if (noValue) return `${noValue[1]} expects a value`
  const parsing = /^Parsing (--[a-z][a-z0-9-]*) (\w)(.*)$/.exec(message)
  return parsing ? `${parsing[1]}: ${parsing[2]!.toLowerCase()}${parsing[3]}` : message
}

function firstLine(text: string): string {
  // oclif appends "See more help with --help" and wraps: keep the sentence.
  return text.split('\n').filter((line) => line.trim() && !/See more help with/.test(line)).join(' ').replace(/\s+/g, ' ').trim()
}

/** Replaces every secret value that reached this process (by flag or env var) in a text meant for output. */
export function redactSecrets(text: string, argv: string[], secretEnv: string[], env: NodeJS.ProcessEnv = process.env): string {
  const values = new Set<string>()
  for (const name of secretEnv) {
    const value = env[name]
    if (value && value.length >= 3) values.add(value)
  }
  argv.forEach((arg, index) => {
    for (const flag of SECRET_KEYS) {
      const value = arg === `--${flag}` ? argv[index + 1] : arg.startsWith(`--${flag}=`) ? arg.slice(flag.length + 3) : undefined
      if (!value) continue
      values.add(value)
      // NAME=SECRET (app-token): the secret alone too.
      if (flag === 'app-token' && value.includes('=')) values.add(value.slice(value.indexOf('=') + 1))
    }
  })
  let out = text
  for (const value of [...values].sort((a, b) => b.length - a.length)) {
    if (value) out = out.split(value).join('[redacted]')
  }
  return out
}
