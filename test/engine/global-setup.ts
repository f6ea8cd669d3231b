/**
 * Starts one real search engine (OpenSearch 2.19, from Maven Central) for the whole test run, behind a
 * loopback proxy that adds `x-elastic-product: Elasticsearch`, the one header the official client needs
 * that OpenSearch does not send. Tests read its URL with inject('engineUrl'); it is '' only when the
 * machine has no java or mvn, or ZOOMCTL_TEST_ENGINE=off. Anything else that goes wrong fails the run.
 */
import {execFileSync, spawn, spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync, statSync} from 'node:fs'
import {createServer, request, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {join} from 'node:path'
import {createInterface} from 'node:readline'

import type {TestProject} from 'vitest/node'

declare module 'vitest' {
  export interface ProvidedContext {
    engineUrl: string
  }
}

const here = import.meta.dirname

function available(command: string): boolean {
  return spawnSync(command, ['-version'], {stdio: 'ignore'}).status === 0
}

/** The node's classpath, resolved by Maven once and kept until the pom changes. */
function classpath(): string {
  const target = join(here, 'target')
  const file = join(target, 'classpath.txt')
  const pom = join(here, 'pom.xml')
  if (!existsSync(file) || statSync(file).mtimeMs < statSync(pom).mtimeMs) {
    mkdirSync(target, {recursive: true})
    execFileSync('mvn', ['-q', '-B', 'dependency:build-classpath', `-Dmdep.outputFile=${file}`], {cwd: here, stdio: ['ignore', 'ignore', 'inherit'], timeout: 600_000})
  }
  return readFileSync(file, 'utf8').trim()
}

/** Passes everything through, adding the product header to every answer. */
function productProxy(engine: string): Promise<Server> {
  const server = createServer((incoming, outgoing) => {
    const forward = request(`${engine}${incoming.url}`, {method: incoming.method, headers: incoming.headers}, (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, {...answer.headers, 'x-elastic-product': 'Elasticsearch'})
      answer.pipe(outgoing)
    })
    forward.on('error', (error) => outgoing.writeHead(502).end(String(error)))
    incoming.pipe(forward)
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)))
}

/** The engine and its proxy, started; '' when this machine cannot run it. Used by the test run and by npm run bench. */
export async function startEngine(): Promise<{url: string; stop: () => Promise<void>} | undefined> {
  if (process.env.ZOOMCTL_TEST_ENGINE === 'off' || !available('java') || !available('mvn')) return undefined
  const cp = classpath()
  const node = spawn('java', ['-Xmx512m', '-cp', cp, join(here, 'Launcher.java')], {stdio: ['ignore', 'pipe', 'pipe']})
  let log = ''
  node.stderr.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)))
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the search engine did not start in 180 s:\n${log}`)), 180_000)
    createInterface({input: node.stdout}).on('line', (line) => {
      const match = /^zoomctl-engine http (\d+)$/.exec(line)
      if (match) {
        clearTimeout(timer)
        resolve(Number(match[1]))
      }
    })
    node.once('exit', (code) => reject(new Error(`the search engine exited with ${code}:\n${log}`)))
  })
  const proxy = await productProxy(`http://127.0.0.1:${port}`)
  return {
    url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    async stop() {
      await new Promise((resolve) => proxy.close(resolve))
      const exited = new Promise((resolve) => node.once('exit', resolve))
      node.kill('SIGTERM')
      await exited
    },
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | void> {
  const engine = await startEngine()
  project.provide('engineUrl', engine?.url ?? '')
  return engine?.stop
}
