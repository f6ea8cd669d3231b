#!/usr/bin/env node
// Benchmarks (npm run bench): the receiver on loopback under bursts, and the pure hot paths.
// Numbers, not assertions: compare runs on the same machine. Sends only to 127.0.0.1, bounded in count.
import {spawn} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {createInterface} from 'node:readline'

import {allEvents} from '../../dist/catalog/catalog.js'
import {buildEventBody} from '../../dist/catalog/payload.js'
import {createScenario} from '../../dist/catalog/scenario.js'
import {runIngestPipeline} from '../../dist/mapping/index.js'
import {BodyFactory, createDispatcher, prepareDelivery, runBurst} from '../../dist/sender/index.js'
import {signBody, verifySignature} from '../../dist/zoom/signature.js'

const SECRET = 'bench-secret'
const BIN = join(import.meta.dirname, '../../bin/run.js')

function hotPath(name, iterations, fn) {
  for (let i = 0; i < Math.min(1000, iterations); i++) fn(i)
  const started = process.hrtime.bigint()
  for (let i = 0; i < iterations; i++) fn(i)
  const ns = Number(process.hrtime.bigint() - started)
  console.log(`${name.padEnd(40)} ${(iterations / (ns / 1e9)).toFixed(0).padStart(10)} ops/s  ${(ns / iterations / 1000).toFixed(1).padStart(8)} µs/op`)
}

async function startServe(extraArgs) {
  const dataDir = mkdtempSync(join(tmpdir(), 'zoomctl-bench-'))
  const child = spawn(process.execPath, [BIN, 'serve', '--json', '--port', '0', '--data-dir', dataDir, ...extraArgs], {
    env: {...process.env, ZOOM_WEBHOOK_SECRET_TOKEN: SECRET},
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const url = await new Promise((resolve, reject) => {
    createInterface({input: child.stdout}).on('line', (line) => {
      const parsed = JSON.parse(line)
      if (parsed.type === 'listening') resolve(parsed.url)
    })
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}`)))
  })
  return {
    url,
    async stop() {
      child.kill('SIGTERM')
      await new Promise((resolve) => child.once('exit', resolve))
      rmSync(dataDir, {recursive: true, force: true})
    },
  }
}

async function receiverBench(label, serveArgs, count, concurrency) {
  const serve = await startServe(serveArgs)
  const factory = new BodyFactory(1)
  const specs = allEvents().filter((spec) => spec.event !== 'endpoint.url_validation')
  const dispatcher = createDispatcher({connections: concurrency})
  try {
    const report = await runBurst({
      url: serve.url,
      makeDelivery: (index) => prepareDelivery(factory.body(specs[index % specs.length]), {mode: 'signature', secretToken: SECRET}),
      count,
      rate: 0,
      concurrency,
      durationMs: 0,
      dispatcher,
    })
    const l = report.latencyMs
    console.log(
      `${label.padEnd(40)} ${report.throughputPerSecond.toFixed(0).padStart(6)}/s  p50 ${l.p50.toFixed(1)} ms  p99 ${l.p99.toFixed(1)} ms  max ${l.max.toFixed(1)} ms  ok ${report.succeeded}/${report.sent}`,
    )
  } finally {
    await dispatcher.close()
    await serve.stop()
  }
}

console.log('# pure code (one core)')
const scenario = createScenario(1)
const specs = allEvents()
const bodies = specs.map((spec) => buildEventBody(spec, scenario, Date.now()))
const raw = bodies.map((body) => Buffer.from(JSON.stringify(body)))
hotPath('build a catalog body', 50_000, (i) => buildEventBody(specs[i % specs.length], scenario, Date.now()))
hotPath('sign a body', 100_000, (i) => signBody(SECRET, 1_764_000_000, raw[i % raw.length]))
const signatures = raw.map((body) => signBody(SECRET, 1_764_000_000, body))
hotPath('verify a signature', 100_000, (i) =>
  verifySignature({secret: SECRET, signature: signatures[i % raw.length], timestamp: '1764000000', rawBody: raw[i % raw.length], toleranceSeconds: 0}),
)
hotPath('map a body (ingest pipeline)', 50_000, (i) => runIngestPipeline({zoom: bodies[i % bodies.length]}))

console.log('\n# receiver on loopback (client and server share the 2 cores)')
for (const concurrency of [1, 10, 50]) await receiverBench(`serve, fsync, concurrency ${concurrency}`, [], 3000, concurrency)
await receiverBench('serve, --no-fsync, concurrency 50', ['--no-fsync'], 3000, 50)
