import {type ChildProcess, execFile, spawn} from 'node:child_process'
import {mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {createInterface} from 'node:readline'

import {signatureHeaders} from '../../src/zoom/signature.js'

export const BIN = join(import.meta.dirname, '../../bin/run.js')
export const SECRET = 'e2e-secret-token'

/** The directories a test file made: removed after it (test/helpers/cleanup.ts). A full run made some 800, and left them. */
const madeDirs = new Set<string>()

export function removeTempDirs(): void {
  for (const dir of madeDirs) rmSync(dir, {recursive: true, force: true})
  madeDirs.clear()
}

/** A new directory under the system's temporary one, removed once the test file is done. */
export function tempDir(prefix = 'zoomctl-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  madeDirs.add(dir)
  return dir
}

/** No config file of the machine's user leaks into a test: an empty config dir of its own. */
export const ISOLATED = {XDG_CONFIG_HOME: tempDir('zoomctl-xdg-'), ZOOMCTL_CONFIG: ''}

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs the built CLI as a user would, without a TTY. */
export function runCli(args: string[], env: Record<string, string> = {}, input?: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      // Wide columns: oclif wraps error messages at the terminal width otherwise.
      {env: {...process.env, ...ISOLATED, NO_COLOR: '1', OCLIF_COLUMNS: '300', ZOOM_WEBHOOK_SECRET_TOKEN: SECRET, ...env}, maxBuffer: 64 * 1024 * 1024},
      (error, stdout, stderr) => {
        resolve({code: error ? ((error as {code?: number}).code ?? 1) : 0, stdout, stderr})
      },
    )
    if (input !== undefined) child.stdin?.end(input)
  })
}

export interface ServeProcess {
  url: string
  dataDir: string
  process: ChildProcess
  lines: string[]
  /** Resolves with the exit code. */
  exited: Promise<number | null>
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

/** Starts `zoomctl serve --json` on a free port and waits for its "listening" line. */
export async function startServe(args: string[] = [], env: Record<string, string> = {}): Promise<ServeProcess> {
  const dataDir = args.includes('--data-dir') ? args[args.indexOf('--data-dir') + 1]! : tempDir()
  const child = spawn(process.execPath, [BIN, 'serve', '--json', '--port', '0', ...(args.includes('--data-dir') ? [] : ['--data-dir', dataDir]), ...args], {
    env: {...process.env, ...ISOLATED, NO_COLOR: '1', ZOOM_WEBHOOK_SECRET_TOKEN: SECRET, ...env},
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines: string[] = []
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const url = await new Promise<string>((resolve, reject) => {
    const reader = createInterface({input: child.stdout})
    reader.on('line', (line) => {
      lines.push(line)
      const parsed = JSON.parse(line) as {type: string; url?: string}
      if (parsed.type === 'listening') resolve(parsed.url!)
    })
    void exited.then((code) => reject(new Error(`serve exited with ${code}: ${stderr}`)))
  })
  return {
    url,
    dataDir,
    process: child,
    lines,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal)
      return exited
    },
  }
}


export interface StoredRecord {
  id: string
  eventType?: string
  rawBody: string
  headers: Record<string, string>
  duplicateOf?: string
  dedupeKey?: string
  refusal?: {status: number; reason: string}
  document?: Record<string, unknown>
}

/** Every record of one kind in a data dir, read straight from the NDJSON files. */
export function readStore(dataDir: string, kind: 'events' | 'refused' = 'events'): StoredRecord[] {
  const dir = join(dataDir, kind)
  let files: string[]
  try {
    files = readdirSync(dir).filter((name) => name.endsWith('.ndjson')).sort()
  } catch {
    return []
  }
  return files.flatMap((file) =>
    readFileSync(join(dir, file), 'utf8')
      .split('\n')
      .filter((line) => line.trim())
      .map(storedRecord),
  )
}

/**
 * A store line as its record, decoded here independently of the store's code: format 2 keeps the body
 * unescaped as the last member, its bodySize bytes before the closing brace.
 */
function storedRecord(line: string): StoredRecord {
  const parsed = JSON.parse(line) as StoredRecord & {v?: number; bodySize?: number; body?: unknown}
  if (parsed.v !== 2) return parsed
  const bytes = Buffer.from(line, 'utf8')
  const {v: _v, body: _body, bodySize, ...record} = parsed
  return {...record, rawBody: bytes.subarray(bytes.length - 1 - bodySize!, bytes.length - 1).toString('utf8')}
}

/** Polls until the condition holds; fails the test with what it waited for after timeoutMs. */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 30_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** Signs and posts a body as Zoom would, straight from the test; the status answered. */
export async function deliver(url: string, body: string, secret = SECRET): Promise<number> {
  const response = await fetch(url, {method: 'POST', headers: {'content-type': 'application/json; charset=utf-8', ...signatureHeaders(secret, body)}, body})
  await response.text()
  return response.status
}
