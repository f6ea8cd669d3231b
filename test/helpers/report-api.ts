import {type ChildProcess, spawn} from 'node:child_process'
import {createInterface} from 'node:readline'

import {BIN, ISOLATED} from './cli.js'

export interface SimulateApiProcess {
  url: string
  listening: {url: string; seed: number; records: Record<string, number>; madeUp: {accountId?: string; clientId?: string; clientSecret?: string}}
  lines: Array<Record<string, unknown>>
  process: ChildProcess
  stop(): Promise<number | null>
}

/** Starts the built `zoomctl simulate-api --json --port 0` and waits for its listening line. */
export async function startSimulateApi(args: string[] = [], env: Record<string, string> = {}): Promise<SimulateApiProcess> {
  const child = spawn(process.execPath, [BIN, 'simulate-api', '--json', '--port', '0', ...args], {env: {...process.env, ...ISOLATED, NO_COLOR: '1', ...env}, stdio: ['ignore', 'pipe', 'pipe']})
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const lines: Array<Record<string, unknown>> = []
  const listening = await new Promise<SimulateApiProcess['listening']>((resolve, reject) => {
    createInterface({input: child.stdout}).on('line', (line) => {
      const parsed = JSON.parse(line) as Record<string, unknown>
      lines.push(parsed)
      if (parsed.type === 'listening') resolve(parsed as unknown as SimulateApiProcess['listening'])
    })
    void exited.then((code) => reject(new Error(`simulate-api exited with ${code}: ${stderr}`)))
  })
  return {
    url: listening.url,
    listening,
    lines,
    process: child,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM')
      return exited
    },
  }
}
