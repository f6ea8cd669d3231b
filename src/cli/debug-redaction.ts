import {SECRET_KEYS} from '../config/file.js'

/** The values given on the command line to flags that hold secrets (`--secret-token X` and `--secret-token=X`). */
export function secretArgValues(argv: readonly string[], secretFlags: ReadonlySet<string> = SECRET_KEYS): string[] {
  const values: string[] = []
  argv.forEach((arg, index) => {
    const [name, inline] = arg.startsWith('--') ? [arg.slice(2).split('=', 1)[0]!, arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : undefined] : ['', undefined]
    if (!secretFlags.has(name)) return
    const value = inline ?? argv[index + 1]
    if (value) values.push(value)
  })
  return values
}

/** `text` with every secret value replaced by ********. */
export function redactValues(text: string, secrets: readonly string[]): string {
  let out = text
  for (const secret of secrets) out = out.split(secret).join('********')
  return out
}

/**
 * With DEBUG set, oclif's debug lines print the command line (process.argv, "runCommand", "init … argv"),
 * a secret given as a flag among it. Everything written to stderr then has those values masked: the only
 * way to reach lines written by oclif itself, before any command runs.
 */
export function redactSecretsFromDebugOutput(argv: readonly string[] = process.argv): void {
  const secrets = secretArgValues(argv)
  if (!secrets.length) return
  const write = process.stderr.write.bind(process.stderr) as (chunk: unknown, ...rest: unknown[]) => boolean
  process.stderr.write = ((chunk: unknown, ...rest: unknown[]) => write(typeof chunk === 'string' ? redactValues(chunk, secrets) : Buffer.isBuffer(chunk) ? redactValues(chunk.toString('utf8'), secrets) : chunk, ...rest)) as typeof process.stderr.write
}
