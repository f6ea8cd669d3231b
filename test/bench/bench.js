#!/usr/bin/env node
// npm run bench: zoomctl side by side with a bare Node server and peers, in one run, on loopback only.
// Figures, never assertions: compare the ratios of one run (absolute numbers move with the machine).
// BENCH_SECONDS (default 6) per receiver run, after BENCH_WARMUP (default 2) seconds of load not counted,
// BENCH_RUNS (default 5) runs per receiver, BENCH_STARTUP (default 1000000) stored deliveries for serve's
// start-up, BENCH_REPLAY (default 100000) deliveries for the replay row.
import {execFile, execFileSync, spawn, spawnSync} from 'node:child_process'
import {closeSync, constants, fdatasyncSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {createInterface} from 'node:readline'
import {promisify} from 'node:util'

import autocannon from 'autocannon'

import {allEvents, findEvent} from '../../dist/catalog/catalog.js'
import {buildEventBody, eventBodyWriter} from '../../dist/catalog/payload.js'
import {createScenario} from '../../dist/catalog/scenario.js'
import {indexedDocument} from '../../dist/mapping/index.js'
import {runBurst} from '../../dist/sender/burst.js'
import {BodyFactory, createDispatcher, prepareDelivery} from '../../dist/sender/index.js'
import {dedupeKey} from '../../dist/store/dedupe.js'
import {recordLine, recordLineParts} from '../../dist/store/records.js'
import {signBody, verifySignature} from '../../dist/zoom/signature.js'

const SECRET = 'bench-secret'
const execFileAsync = promisify(execFile)
const ROOT = join(import.meta.dirname, '../..')
const BIN = join(ROOT, 'bin/run.js')
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6)
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2)
const REPLAY = Number(process.env.BENCH_REPLAY ?? 100_000)
const RUNS = Number(process.env.BENCH_RUNS ?? 5)
const STARTUP = Number(process.env.BENCH_STARTUP ?? 1_000_000)
const CONNECTIONS = 50
const env = {...process.env, ZOOM_WEBHOOK_SECRET_TOKEN: SECRET, NO_COLOR: '1'}
const temps = []
// BENCH_ONLY=senders,hotpaths runs those sections alone; names: receivers, slow-disk, latency, senders, startup,
// serve-startup, replay, forwarding, scale (the real engine), hotpaths.
const ONLY = process.env.BENCH_ONLY?.split(',')
const section = (name) => !ONLY || ONLY.includes(name)

/**
 * The gigabyte a large store's writing leaves in the page cache goes to disk before the run that is
 * measured, not during it (the kernel's writeback would take CPU and disk from whatever runs then).
 */
function settleDisk() {
  spawnSync('sync')
}

function temp() {
  const dir = mkdtempSync(join(tmpdir(), 'zoomctl-bench-'))
  temps.push(dir)
  return dir
}

/** A serve data dir holding `count` stored deliveries spread over `days` day files (today backwards). */
function writeStore(dataDir, count, days = 1, firstDay = Date.now()) {
  for (const kind of ['events', 'refused']) execFileSync('mkdir', ['-p', join(dataDir, kind)])
  const factory = new BodyFactory(3)
  const specs = allEvents().filter((spec) => spec.event !== 'endpoint.url_validation')
  const bodies = Array.from({length: 1000}, (_, i) => factory.body(specs[i % specs.length]))
  const perDay = Math.ceil(count / days)
  for (let day = 0, n = 0; day < days && n < count; day++) {
    const at = firstDay - day * 86_400_000
    const file = join(dataDir, 'events', `${new Date(at).toISOString().slice(0, 10)}.ndjson`)
    writeFileSync(file, '')
    let lines = []
    for (let i = 0; i < perDay && n < count; i++, n++) {
      const rawBody = bodies[n % bodies.length]
      const parsed = JSON.parse(rawBody)
      lines.push(recordLine({id: `d${n}`, receivedAt: new Date(at + i).toISOString(), source: {address: '127.0.0.1'}, method: 'POST', path: '/zoom-webhook', headers: {}, eventType: parsed.event, eventTs: parsed.event_ts, dedupeKey: dedupeKey({...parsed, event_ts: n}, Buffer.from(rawBody))}, Buffer.from(rawBody), true).toString().trimEnd())
      if (lines.length === 10_000) writeFileSync(file, lines.splice(0).join('\n') + '\n', {flag: 'a'})
    }
    if (lines.length) writeFileSync(file, lines.join('\n') + '\n', {flag: 'a'})
  }
}

/** A server in its own process, started and waited for on its "listening" JSON line. */
async function start(args, extraEnv = {}) {
  const child = spawn(process.execPath, args, {env: {...env, ...extraEnv}, stdio: ['ignore', 'pipe', 'inherit']})
  const url = await new Promise((resolve, reject) => {
    const lines = createInterface({input: child.stdout})
    lines.on('line', (line) => {
      if (!line.startsWith('{')) return
      const parsed = JSON.parse(line)
      if (parsed.type !== 'listening') return
      // From here on its output is only drained: parsing a line per delivery would take CPU from the load generator in this process.
      lines.close()
      child.stdout.resume()
      resolve(parsed.url)
    })
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}`)))
  })
  return {
    url,
    pid: child.pid,
    async stop() {
      child.kill('SIGTERM')
      await new Promise((resolve) => child.once('exit', resolve))
    },
  }
}

/** A storing receiver's records written and syncs made so far (serve's /healthz, the plain-code row's /stats); undefined for the others. */
async function writeStats(url) {
  for (const path of ['/healthz', '/stats']) {
    try {
      const answer = await fetch(new URL(path, url))
      if (!answer.ok) continue
      const stats = await answer.json()
      const store = stats.store ?? stats
      if (typeof store.records === 'number' && typeof store.syncs === 'number') return store
    } catch {
      // Not this receiver's.
    }
  }
  return undefined
}

/** How long this disk takes to write a small append through to the disk, as the store's batches are (O_DSYNC; fdatasync where there is none). */
function syncedAppendLatency(samples = 300) {
  const path = join(temp(), 'sync-probe')
  const dsync = constants.O_DSYNC !== undefined
  const fd = openSync(path, dsync ? constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_DSYNC : 'a')
  const chunk = Buffer.alloc(1024, 'x')
  const times = []
  for (let i = 0; i < samples; i++) {
    const started = process.hrtime.bigint()
    writeSync(fd, chunk)
    if (!dsync) fdatasyncSync(fd)
    times.push(Number(process.hrtime.bigint() - started) / 1e6)
  }
  closeSync(fd)
  times.sort((a, b) => a - b)
  return {samples, p50: times[Math.floor(samples / 2)], p99: times[Math.floor(samples * 0.99)]}
}

/** CPU seconds (user + system) a process has used so far, from /proc. */
function cpuSeconds(pid) {
  try {
    const fields = execFileSync('cat', [`/proc/${pid}/stat`]).toString().split(') ')[1].split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return Number.NaN
  }
}

function table(header, rows) {
  const widths = header.map((cell, i) => Math.max(cell.length, ...rows.map((row) => String(row[i]).length)))
  const line = (cells) => cells.map((cell, i) => String(cell).padEnd(widths[i])).join('  ').trimEnd()
  console.log([line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n'))
}

// ---- 1. Receivers under autocannon: the same signed 1 KB meeting.participant_joined -----------------
const participantJoined = findEvent('meeting.participant_joined')
const body = new BodyFactory(1).body(participantJoined)
// Where a storing receiver's data dir goes in its arguments: a fresh one for every run, so that no serve run
// starts on the stores of the runs before it (serve loads the dedupe window's keys at start; the plain code
// reads nothing).
const DATA_DIR = Symbol('data dir')
const withDataDir = (args, dir) => args.map((arg) => (arg === DATA_DIR ? dir : arg))
const targets = [
  ['bare node:http (reads the body, answers 200)', [join(import.meta.dirname, 'servers/bare.js')]],
  ["Zoom's sample style (HMAC + JSON.parse, no storage)", [join(import.meta.dirname, 'servers/zoom-sample.js')]],
  ['@zoom/rivet 0.4.0 receiver (verifies, dispatches, no storage)', [join(import.meta.dirname, 'servers/rivet.js')]],
  ["serve's work in plain code (verify, parse, dedupe, store line, fsync per batch; no structure)", [join(import.meta.dirname, 'servers/same-work.js'), DATA_DIR]],
  ['zoomctl serve (store, fsync per batch)', [BIN, 'serve', '--json', '--port', '0', '--data-dir', DATA_DIR]],
  ["serve's work in plain code, no fsync", [join(import.meta.dirname, 'servers/same-work.js'), DATA_DIR, '--no-fsync']],
  ['zoomctl serve --no-fsync', [BIN, 'serve', '--json', '--port', '0', '--no-fsync', '--data-dir', DATA_DIR]],
]
/**
 * One receiver run: started (a storing one on a fresh data dir), warmed up, then autocannon's load counted
 * with the server's CPU and, for a storing receiver, the deliveries each sync carried; `extraEnv` for its
 * process (the slow disk's preload).
 */
async function measureReceiver(args, extraEnv = {}) {
  const dataDir = args.includes(DATA_DIR) ? temp() : undefined
  const server = await start(withDataDir(args, dataDir), extraEnv)
  // Signed now: fresh for the whole run (tolerance 300 s).
  const {headers} = prepareDelivery(body, {mode: 'signature', secretToken: SECRET})
  // Steady state: every receiver's code compiled (by V8, as it goes) before its run is counted.
  if (WARMUP > 0) await autocannon({url: server.url, method: 'POST', headers, body, connections: CONNECTIONS, duration: WARMUP})
  const cpuBefore = cpuSeconds(server.pid)
  const syncsBefore = await writeStats(server.url)
  const result = await autocannon({url: server.url, method: 'POST', headers, body, connections: CONNECTIONS, duration: SECONDS})
  const cpu = cpuSeconds(server.pid) - cpuBefore
  const syncsAfter = await writeStats(server.url)
  await server.stop()
  if (dataDir) rmSync(dataDir, {recursive: true, force: true})
  // What a storing receiver just wrote is written back now, not during the next receiver's run.
  execFileSync('sync')
  // No sync made (--no-fsync): nothing to divide by.
  const perSync = syncsBefore && syncsAfter && syncsAfter.syncs > syncsBefore.syncs ? (syncsAfter.records - syncsBefore.records) / (syncsAfter.syncs - syncsBefore.syncs) : undefined
  return {result, cpuPerRequest: cpu / result.requests.total, perSync}
}

/** The run with the median rate, whole: its CPU and latencies belong together. */
const medianRun = (runs) => [...runs].sort((a, b) => a.result.requests.average - b.result.requests.average)[Math.floor(runs.length / 2)]
/** Each run's rate in the order of the rounds: the spread, and the rounds to pair with the other rows'. */
const ratesByRound = (runs) => runs.map((run) => Math.round(run.result.requests.average)).join(' ')

if (section('receivers')) {
  console.log(`\n## Receivers: autocannon, ${CONNECTIONS} connections, ${SECONDS} s each after ${WARMUP} s of warm-up, a ${Buffer.byteLength(body)}-byte signed body, median of ${RUNS} runs\n`)
  const receiverRows = []
  let bare = 0
  let rivet = 0
  // Round-robin, not target after target: this machine's speed drifts over minutes, and each target's
  // median should come from the same stretch of time as the others'.
  const receiverRuns = targets.map(() => [])
  for (let run = 0; run < RUNS; run++) {
    for (const [i, [, args]] of targets.entries()) {
      receiverRuns[i].push(await measureReceiver(args))
    }
  }
  for (const [i, [name]] of targets.entries()) {
    const {result, cpuPerRequest, perSync} = medianRun(receiverRuns[i])
    const rate = result.requests.average
    bare ||= rate
    if (name.includes('rivet')) rivet = rate
    const vsRivet = rivet ? `${(rate / rivet).toFixed(2)}×` : ''
    receiverRows.push([name, Math.round(rate), `${(rate / bare).toFixed(2)}×`, vsRivet, `${Math.round(cpuPerRequest * 1e6)} µs`, `${result.latency.p50} ms`, `${result.latency.p99} ms`, result.non2xx, perSync === undefined ? '-' : perSync.toFixed(1), ratesByRound(receiverRuns[i])])
  }
  table(['target', 'req/s', 'vs bare', 'vs Rivet', 'server CPU/req', 'p50', 'p99', 'non-2xx', 'deliveries per sync', 'runs (req/s, by round)'], receiverRows)
  const sync = syncedAppendLatency()
  console.log(`\nThis disk: a synced 1 KiB append (O_DSYNC, as the store writes) p50 ${sync.p50.toFixed(2)} ms, p99 ${sync.p99.toFixed(2)} ms (${sync.samples} samples). With ${CONNECTIONS} connections each waiting for the sync that covers its delivery, a batch holds at most ${CONNECTIONS}: the disk alone bounds a storing receiver at about ${CONNECTIONS} / p50 = ${Math.round(CONNECTIONS / (sync.p50 / 1000)).toLocaleString('en')} deliveries/s.`)
}

// ---- 1a. The same receivers on a disk whose flush is slow ------------------------------------------
// This machine's disk flushes in ~0.2 ms; others take milliseconds, and there a receiver that answers only
// once a delivery is on disk waits for the disk, whatever its code. A preloaded shim (slow-flush/) adds
// BENCH_SLOW_FLUSH_MS (default 1,3) to every flush, one flush at a time; Rivet, which stores nothing, is
// run under it too.
if (section('slow-disk')) {
  const shim = join(temp(), 'slow-flush.so')
  const built = spawnSync('cc', ['-O2', '-shared', '-fPIC', '-o', shim, join(import.meta.dirname, 'slow-flush/slow-flush.c'), '-ldl', '-lpthread'], {encoding: 'utf8'})
  const rounds = Math.min(RUNS, 3)
  console.log(`\n## A slow disk: every flush made longer by a preloaded shim, ${CONNECTIONS} connections, ${SECONDS} s each after ${WARMUP} s of warm-up, median of ${rounds} rounds\n`)
  if (built.status !== 0 || process.platform !== 'linux') {
    console.log(`skipped: the shim needs Linux and a C compiler (cc: ${built.error?.message ?? built.stderr.trim().split('\n')[0]})`)
  } else {
    const slowTargets = targets.filter(([name]) => name.startsWith('@zoom/rivet') || name.startsWith("serve's work in plain code (") || name.startsWith('zoomctl serve ('))
    const rows = []
    for (const flushMs of (process.env.BENCH_SLOW_FLUSH_MS ?? '1,3').split(',').map(Number)) {
      // libuv's io_uring would bypass the shim's write(2) and fdatasync(2): off, as in Node 20's default.
      const slowDisk = {LD_PRELOAD: shim, SLOW_FLUSH_US: String(Math.round(flushMs * 1000)), UV_USE_IO_URING: '0'}
      const runs = slowTargets.map(() => [])
      for (let round = 0; round < rounds; round++) for (const [i, [, args]] of slowTargets.entries()) runs[i].push(await measureReceiver(args, slowDisk))
      const medians = runs.map(medianRun)
      const rivet = medians[0].result.requests.average
      for (const [i, [name]] of slowTargets.entries()) {
        const {result, perSync} = medians[i]
        rows.push([`${flushMs} ms`, name, Math.round(result.requests.average), `${(result.requests.average / rivet).toFixed(2)}×`, perSync === undefined ? '-' : perSync.toFixed(1), `${result.latency.p50} ms`, `${result.latency.p99} ms`, result.non2xx, ratesByRound(runs[i])])
      }
    }
    table(['flush + ', 'target', 'req/s', 'vs Rivet', 'deliveries per sync', 'p50', 'p99', 'non-2xx', 'runs (req/s, by round)'], rows)
    console.log(`\nEach delivery waits for the flush under way, then for its own: with ${CONNECTIONS} connections a flush carries about half of them, so a receiver that stores before it answers is held near ${CONNECTIONS / 2} deliveries a flush cycle, whatever its code; Rivet answers before anything is stored.`)
  }
}

// ---- 1b. Latency at a steady 1,000 deliveries/s (Zoom's budget is 3 s) ------------------------------
// Driven by simulate's timed burst (a delivery every millisecond, each a fresh event), not autocannon,
// whose rate limiting sends in bursts and counts the queueing as latency (a bare server's p99 > 100 ms).
if (section('latency')) {
  console.log(`\n## Latency at a steady 1,000 deliveries/s for ${SECONDS * 2} s (simulate --rate 1000), after a 2 s warm-up\n`)
  const rows = []
  let stored
  const burstAt1000 = (url, count) => {
    const out = execFileSync(process.execPath, [BIN, 'simulate', 'meeting.participant_joined', '--url', url, '--rate', '1000', '--count', String(count), '--concurrency', String(CONNECTIONS), '--json'], {env, maxBuffer: 1 << 26})
    return JSON.parse(out.toString()).burst
  }
  for (const [name, args] of [targets[0], targets.find(([target]) => target.startsWith('zoomctl serve ('))]) {
    const dataDir = temp()
    const server = await start(withDataDir(args, dataDir))
    // The first seconds of a fresh process are not its steady state (connections opening, the day's file
    // created, code still being compiled): measured apart, and shown, rather than mixed into the p99.
    const warmUp = burstAt1000(server.url, 2000)
    const burst = burstAt1000(server.url, SECONDS * 2000)
    await server.stop()
    rows.push([name, 'first 2 s', Math.round(warmUp.throughputPerSecond), `${warmUp.latencyMs.p50} ms`, `${warmUp.latencyMs.p99} ms`, `${warmUp.latencyMs.max} ms`, warmUp.failed])
    rows.push(['', `next ${SECONDS * 2} s`, Math.round(burst.throughputPerSecond), `${burst.latencyMs.p50} ms`, `${burst.latencyMs.p99} ms`, `${burst.latencyMs.max} ms`, burst.failed])
    if (name.startsWith('zoomctl')) stored = storedBytes(join(dataDir, 'events'))
  }
  table(['target', 'phase', 'req/s', 'p50', 'p99', 'max', 'failed'], rows)
  // What one delivery costs on disk, from the distinct events of the run above (autocannon's runs send one body again and again).
  const {lines, bytes, bodyBytes} = stored
  const overhead = (bytes - bodyBytes) / lines
  console.log(`\nStored: ${lines.toLocaleString('en')} deliveries in ${(bytes / 1048576).toFixed(1)} MiB, ${Math.round(bytes / lines)} bytes each for bodies of ${Math.round(bodyBytes / lines)} bytes (${(bytes / bodyBytes).toFixed(2)}×): the body + ${Math.round(overhead)} bytes of metadata, so ${((1024 + overhead) / 1024).toFixed(2)}× for a 1 KB body (a copy marked duplicateOf takes 52 more)`)
}

/** Lines, bytes, and the bytes of the bodies (each format-2 line says its body's size) of a store directory. */
function storedBytes(dir) {
  let lines = 0
  let bytes = 0
  let bodyBytes = 0
  for (const name of readdirSync(dir)) {
    const text = readFileSync(join(dir, name), 'utf8')
    bytes += Buffer.byteLength(text)
    for (const line of text.split('\n')) {
      if (!line) continue
      lines++
      bodyBytes += Number(/,"v":2,"bodySize":(\d+),/.exec(line)[1])
    }
  }
  return {lines, bytes, bodyBytes}
}

// ---- 2. Senders against the bare server: simulate's burst vs autocannon ----------------------------
// Both for the same time, taking turns, medians of RUNS: a single short run of each mostly measured
// which one had the quieter seconds of the machine.
if (section('senders')) {
  console.log(`\n## Senders against the bare server: ${CONNECTIONS} connections, ${SECONDS} s each, taking turns, median of ${RUNS} runs\n`)
  const server = await start([join(import.meta.dirname, 'servers/bare.js')])
  const cannons = []
  const freshCannons = []
  const transports = []
  const simulates = []
  for (let run = 0; run < RUNS; run++) {
    const prepared = prepareDelivery(body, {mode: 'signature', secretToken: SECRET})
    cannons.push(await autocannon({url: server.url, method: 'POST', headers: prepared.headers, body, connections: CONNECTIONS, duration: SECONDS}))
    // The peer doing simulate's work: a fresh body and signature for each request, made by simulate's own
    // code in autocannon's per-request hook. What a sender that builds every delivery can expect here.
    const factory = new BodyFactory(1)
    const freshRequest = (request) => ({...request, ...prepareDelivery(factory.body(participantJoined), {mode: 'signature', secretToken: SECRET})})
    freshCannons.push(await autocannon({url: server.url, method: 'POST', headers: prepared.headers, body, connections: CONNECTIONS, duration: SECONDS, requests: [{method: 'POST', setupRequest: freshRequest}]}))
    // simulate's own sender (undici) resending one prepared delivery: what the transport alone can do.
    const dispatcher = createDispatcher({connections: CONNECTIONS, origin: new URL(server.url).origin})
    transports.push(await runBurst({url: server.url, makeDelivery: () => prepared, count: Number.MAX_SAFE_INTEGER, rate: 0, concurrency: CONNECTIONS, durationMs: SECONDS * 1000, dispatcher}))
    await dispatcher.close()
    const out = execFileSync(process.execPath, [BIN, 'simulate', 'meeting.participant_joined', '--url', server.url, '--duration', `${SECONDS}s`, '--concurrency', String(CONNECTIONS), '--json'], {env, maxBuffer: 1 << 26})
    simulates.push(JSON.parse(out.toString()).burst)
  }
  await server.stop()
  const byAverage = (a, b) => a.requests.average - b.requests.average
  const cannon = cannons.sort(byAverage)[Math.floor(RUNS / 2)]
  const freshCannon = freshCannons.sort(byAverage)[Math.floor(RUNS / 2)]
  const byRate = (a, b) => a.throughputPerSecond - b.throughputPerSecond
  const report = simulates.sort(byRate)[Math.floor(RUNS / 2)]
  const transport = transports.sort(byRate)[Math.floor(RUNS / 2)]
  table(
    ['sender', 'req/s', 'vs autocannon', 'p50', 'p99'],
    [
      ['autocannon (one body, signed once)', Math.round(cannon.requests.average), '1.00×', `${cannon.latency.p50} ms`, `${cannon.latency.p99} ms`],
      ["autocannon building and signing a fresh body per request with simulate's code (its setupRequest hook)", Math.round(freshCannon.requests.average), `${(freshCannon.requests.average / cannon.requests.average).toFixed(2)}×`, `${freshCannon.latency.p50} ms`, `${freshCannon.latency.p99} ms`],
      ["simulate's transport alone (undici resending one prepared delivery)", Math.round(transport.throughputPerSecond), `${(transport.throughputPerSecond / cannon.requests.average).toFixed(2)}×`, `${transport.latencyMs.p50} ms`, `${transport.latencyMs.p99} ms`],
      [`zoomctl simulate --duration ${SECONDS}s (builds and signs a fresh body for each delivery: more work than autocannon does)`, Math.round(report.throughputPerSecond), `${(report.throughputPerSecond / cannon.requests.average).toFixed(2)}×`, `${report.latencyMs.p50} ms`, `${report.latencyMs.p99} ms`],
    ],
  )
}

// ---- 3. Start-up ---------------------------------------------------------------------------------
if (section('startup')) {
  console.log('\n## Start-up (median of 5 runs)\n')
  const median = (command) => {
    const times = Array.from({length: 5}, () => {
      const started = performance.now()
      execFileSync(command[0], command.slice(1), {env, stdio: 'ignore'})
      return performance.now() - started
    }).sort((a, b) => a - b)
    return times[2]
  }
  const node = median([process.execPath, '-e', '0'])
  const rows = [['node -e 0', node]]
  // --version is answered before oclif loads; a command pays for loading oclif and its own modules.
  rows.push(['zoomctl --version', median([process.execPath, BIN, '--version'])])
  rows.push(['zoomctl config path --json (a command, through oclif)', median([process.execPath, BIN, 'config', 'path', '--json'])])
  table(['command', 'wall', 'vs bare node'], rows.map(([name, ms]) => [name, `${Math.round(ms)} ms`, `${(ms / node).toFixed(2)}×`]))
}

// ---- 3b. serve's start-up against the size of its history ------------------------------------------
if (section('serve-startup')) {
  console.log(`\n## serve start-up: until /healthz answers, and until the dedupe window's keys are loaded\n`)
  const rows = []
  const stores = [
    ['empty store', temp(), 0, 1],
    [`${STARTUP.toLocaleString('en')} deliveries over 30 days (the 48 h window holds 3 days' files)`, temp(), STARTUP, 30],
    [`${STARTUP.toLocaleString('en')} deliveries, all inside the window`, temp(), STARTUP, 1],
  ]
  for (const [name, dir, count, days] of stores) {
    writeStore(dir, count, days)
    settleDisk()
    const started = performance.now()
    const child = spawn(process.execPath, [BIN, 'serve', '--json', '--port', '0', '--data-dir', dir], {env, stdio: ['ignore', 'pipe', 'inherit']})
    const url = await new Promise((resolve) => createInterface({input: child.stdout}).on('line', (line) => line.includes('"listening"') && resolve(JSON.parse(line).url)))
    const health = url.replace(/\/zoom-webhook$/, '/healthz')
    let listening
    let state
    for (;;) {
      state = await fetch(health).then((response) => response.json()).catch(() => undefined)
      listening ??= state ? performance.now() - started : undefined
      if (state?.dedupe?.state === 'ready') break
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    const loaded = performance.now() - started
    const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1])
    child.kill('SIGTERM')
    await new Promise((resolve) => child.once('exit', resolve))
    rows.push([name, `${Math.round(listening)} ms`, `${Math.round(loaded)} ms`, state.dedupe.keys.toLocaleString('en'), `${Math.round(rss / 1024)} MiB`])
    rmSync(dir, {recursive: true, force: true})
  }
  table(['history', 'answers /healthz', 'keys loaded', 'keys', 'RSS'], rows)
}

// ---- 4. Replay of a large store to the bare server ------------------------------------------------
if (section('replay')) {
  console.log(`\n## Replay of ${REPLAY.toLocaleString('en')} stored deliveries to the bare server\n`)
  const dataDir = temp()
  writeStore(dataDir, REPLAY, 1, Date.UTC(2026, 10, 29))
  settleDisk()
  const server = await start([join(import.meta.dirname, 'servers/bare.js')])
  const started = performance.now()
  // GNU time prints the peak resident set (KiB) on stderr.
  const timed = spawnSync('/usr/bin/time', ['-f', 'peak-rss-kib %M', process.execPath, BIN, 'replay', dataDir, '--url', server.url, '--concurrency', String(CONNECTIONS), '--json'], {env, maxBuffer: 1 << 26})
  const seconds = (performance.now() - started) / 1000
  await server.stop()
  const report = JSON.parse(timed.stdout.toString())
  const rss = /peak-rss-kib (\d+)/.exec(timed.stderr.toString())?.[1]
  table(['replay', 'deliveries', 'events/s', 'peak RSS', 'failed'], [[`zoomctl replay --concurrency ${CONNECTIONS}`, report.sent, Math.round(report.sent / seconds), rss ? `${Math.round(Number(rss) / 1024)} MiB` : '?', report.failed]])
}

// ---- 5. Forwarding to the Elasticsearch double under a 1,000/s burst -------------------------------
if (section('forwarding')) {
  const count = Number(process.env.BENCH_FORWARD ?? 10_000)
  console.log(`\n## Forwarding: ${count.toLocaleString('en')} deliveries at 1,000/s into serve --es-url (the strict double)\n`)
  const double = await start(['--import', 'tsx', join(import.meta.dirname, 'es-double-server.ts')])
  const serve = await start([BIN, 'serve', '--json', '--port', '0', '--data-dir', temp(), '--es-url', double.url])
  const health = serve.url.replace('/zoom-webhook', '/healthz')
  let maxLagBytes = 0
  let maxLagRecords = 0
  let maxAge = 0
  const sampler = setInterval(async () => {
    try {
      const sink = (await (await fetch(health)).json()).forwarding[0]
      maxLagBytes = Math.max(maxLagBytes, sink.lag.bytes)
      maxLagRecords = Math.max(maxLagRecords, sink.lag.records)
      maxAge = Math.max(maxAge, sink.lag.oldestPendingAgeSeconds)
    } catch {
      // A sample missed under load.
    }
  }, 100)
  const started = performance.now()
  // Not execFileSync: the lag is sampled during the burst, by this process's timer.
  await execFileAsync(process.execPath, [BIN, 'simulate', 'meeting.participant_joined', 'user.signed_in', '--url', serve.url, '--count', String(count), '--rate', '1000', '--concurrency', '50', '--json'], {env, maxBuffer: 1 << 26})
  const sentSeconds = (performance.now() - started) / 1000
  const indexed = async () => (await (await fetch(`${double.url}/logs-zoom.webhook-default/_count`, {headers: {accept: 'application/json', 'content-type': 'application/json'}})).json()).count ?? 0
  while ((await indexed()) < count && performance.now() - started < 120_000) await new Promise((resolve) => setTimeout(resolve, 100))
  const allSeconds = (performance.now() - started) / 1000
  clearInterval(sampler)
  const total = await indexed()
  await serve.stop()
  await double.stop()
  table(
    ['forwarding', 'sent in', 'all indexed after', 'indexed/s', 'max lag (batch in flight + unread)', 'oldest pending'],
    [[`simulate → serve → _bulk (batches of up to 2,000, 3 in flight)`, `${sentSeconds.toFixed(1)} s`, `${allSeconds.toFixed(1)} s (${total})`, Math.round(total / allSeconds), `${maxLagRecords} records, ${Math.round(maxLagBytes / 1024)} KiB`, `${maxAge} s`]],
  )
}

// ---- 5b. At scale, on the real search engine of the tests (OpenSearch 2.19 on the JVM) ------------
// The Elasticsearch sink (serve's forwarder, rollover dedupe on and off) beside the official client's bulk helper,
// the same documents into the same node in one run; then --ack-after-index's answers at a steady 1,000/s.
if (section('scale')) {
  const docs = Number(process.env.BENCH_SCALE_DOCS ?? 50_000)
  const rate = Number(process.env.BENCH_ACK_COUNT ?? 15000)
  const SCALE_RUNS = Number(process.env.BENCH_SCALE_RUNS ?? 3)
  let engine
  try {
    engine = await start(['--import', 'tsx', join(import.meta.dirname, 'engine-server.ts')])
  } catch {
    console.log('\n(no java or mvn here: the real-engine rows are skipped)')
  }
  if (engine) {
    // The engine is a JVM of its own: stopped whatever happens here.
    try {
      const {connectElastic} = await import('../../dist/elastic/connection.js')
      const {ElasticSink} = await import('../../dist/forward/elastic-sink.js')
      const {readStoredLine, rawBodyBytes} = await import('../../dist/store/records.js')
      const es = async (method, path, payload) =>
        (await fetch(`${engine.url}${path}`, {method, headers: {'content-type': 'application/json', accept: 'application/json'}, ...(payload ? {body: JSON.stringify(payload)} : {})})).json()
      // Numbers as keywords too: an id is a number in some of Zoom's events and a string in others
      // (zoom.payload.object.id), and a dynamic long refused a quarter of the agent's documents, which serve
      // writes out as dead letters and the helper only counts. What is left refused (an object in one event,
      // a value in another: some 1,100 of 50,000) is the same for every row.
      const asKeyword = (type) => ({[`${type}s`]: {match_mapping_type: type, mapping: {type: 'keyword', ignore_above: 1024}}})
      const keywords = {dynamic_templates: ['string', 'long', 'double'].map(asKeyword), properties: {'@timestamp': {type: 'date'}}}
      await es('PUT', '/_index_template/logs', {index_patterns: ['logs-*-*'], data_stream: {}, priority: 100, template: {settings: {number_of_replicas: 0}, mappings: keywords}})
      // Refreshed first: a _count sees only what the last refresh made searchable. `drop`: the data stream is
      // deleted once counted, so that its merges and heap do not weigh on the rows after.
      const count = async (stream, drop = false) => {
        await es('POST', `/${stream}/_refresh`)
        const counted = (await es('GET', `/${stream}/_count`)).count ?? 0
        if (drop) {
          await es('DELETE', `/_data_stream/${stream}`)
        }
        return counted
      }
      if (docs > 0) {
        // Every row writes the same stored deliveries into a data stream of its own.
        const storeDir = temp()
        writeStore(storeDir, docs, 1)
        // Read as serve's forwarder reads them (readStoredLine: the metadata parsed, the body kept as its text).
        const records = readFileSync(join(storeDir, 'events', readdirSync(join(storeDir, 'events'))[0]), 'utf8').trimEnd().split('\n').map((line) => readStoredLine(Buffer.from(line)))
        settleDisk()
        console.log(`\n## Forwarding into the real engine: ${docs.toLocaleString('en')} documents, the official bulk helper beside serve's forwarder, after a warm-up pass, taking turns, median of ${SCALE_RUNS} rounds\n`)

        const connection = await connectElastic({nodes: [engine.url], namespace: 'benchhelper', requestTimeoutMs: 300_000})
        // The documents of both modes: the agent's (serve --es-url's default: the integration's pipeline maps them in
        // Elasticsearch) and zoomctl's mapped ones (--pre-map: serve maps them itself).
        const agentShaper = new ElasticSink(connection, {namespace: 'benchhelper', preMap: false, dedupeIndex: false})
        const mappedShaper = new ElasticSink(connection, {namespace: 'benchhelper', preMap: true, dedupeIndex: false})
        const agentDocuments = records.map((record) => agentShaper.document(record))
        const mappedDocuments = records.map((record) => mappedShaper.document(record))
        const streamOf = (preMap, ns) => `logs-${preMap ? 'zoomctl' : 'zoom'}.webhook-${ns}`
        /** The official client's bulk helper: the documents given, or each stored record mapped in its datasource as it goes. */
        const helper = async (ns, preMap, datasource) => {
          const started = performance.now()
          const done = await connection.client.helpers.bulk({
            datasource: datasource ?? (preMap ? mappedDocuments : agentDocuments),
            onDocument: (doc) => ({create: {_index: streamOf(preMap, ns), _id: doc.labels.zoomctl_dedupe_key}}),
            ...(preMap ? {pipeline: '_none'} : {}),
          })
          const seconds = (performance.now() - started) / 1000
          if (!ns.startsWith('warmup')) await count(streamOf(preMap, ns), true)
          return {seconds, indexed: done.successful}
        }
        async function* mappedAsItGoes() {
          for (const record of records) yield mappedShaper.document(record, JSON.parse(rawBodyBytes(record).toString('utf8')), true)
        }

        /**
         * serve started on a copy of the store, timed from its listening line (its start-up, shown apart, is not
         * the sink's throughput) until its forwarder has confirmed every record.
         */
        const forward = async (ns, preMap, extra, rolledOver = false) => {
          // A data stream made and rolled over now, after the events: every one of them is checked against the older index.
          if (rolledOver) {
            await es('POST', `/${streamOf(preMap, ns)}/_doc`, {'@timestamp': new Date().toISOString()})
            await es('POST', `/${streamOf(preMap, ns)}/_rollover`)
          }
          const dir = temp()
          execFileSync('cp', ['-r', join(storeDir, 'events'), join(storeDir, 'refused'), dir])
          // The copy is written back now, not during a row's run (as the receivers' runs are synced).
          settleDisk()
          const launched = performance.now()
          const serve = await start([BIN, 'serve', '--json', '--port', '0', '--data-dir', dir, '--es-url', engine.url, '--es-timeout', '300s', '--namespace', ns, ...(preMap ? ['--pre-map'] : []), ...extra])
          const started = performance.now()
          const health = serve.url.replace('/zoom-webhook', '/healthz')
          let sink
          while (performance.now() - started < 600_000) {
            sink = (await (await fetch(health)).json()).forwarding[0]
            if (sink.forwarded + sink.deadLetters >= docs) break
            await new Promise((resolve) => setTimeout(resolve, 20))
          }
          const seconds = (performance.now() - started) / 1000
          await serve.stop()
          return {seconds, startup: (started - launched) / 1000, indexed: (await count(streamOf(preMap, ns), true)) - (rolledOver ? 1 : 0)}
        }
        // The JVM compiles as it goes: warm-up passes first, so that the first row measured does not pay for it. A data
        // stream then starts with the mapping they made (as a cluster with the integration has its template's), so
        // that no row pays for the dynamic mapping updates of the first documents of each of the 211 event types.
        for (const preMap of [false, true]) {
          for (let pass = 0; pass < 3; pass++) await helper(`warmup${pass}`, preMap)
          const made = Object.values(await es('GET', `/${streamOf(preMap, 'warmup0')}/_mapping`))[0].mappings
          await es('PUT', `/_index_template/bench-${preMap ? 'mapped' : 'agent'}`, {index_patterns: [streamOf(preMap, '*')], data_stream: {}, priority: 200, template: {settings: {number_of_replicas: 0}, mappings: made}})
          for (let pass = 0; pass < 3; pass++) await count(streamOf(preMap, `warmup${pass}`), true)
          // And a pass of serve's own. The first serve run after the helper's passes indexed 2,500-9,000 documents/s,
          // every later one at full speed, though each is a fresh serve process: a one-time cost that is not serve's,
          // presumably the engine warming to what serve's requests carry and the helper's do not (filter_path on
          // _bulk, the backing indices' look-ups). Paid here, not by whichever row is measured first.
          await forward('warmupserve', preMap, [])
        }
        /**
         * The Elasticsearch sink alone, in this process as the helper is: serve's ElasticSink.send over the records
         * read above, batches of 2,000, 3 in flight, with the rollover check; no store read, no cursor.
         */
        const sinkAlone = async (ns) => {
          const sink = new ElasticSink(await connectElastic({nodes: [engine.url], namespace: ns, requestTimeoutMs: 300_000}), {namespace: ns, preMap: false})
          const started = performance.now()
          let next = 0
          const worker = async () => {
            for (let from = next; from < records.length; from = next) {
              next += 2000
              let batch = records.slice(from, from + 2000)
              // What answered a retry (a 429, a wait) goes again; a 409 then is done.
              for (let attempt = 0; batch.length; attempt++) {
                const outcome = await sink.send(batch)
                if (outcome.kind !== 'items' || attempt > 50) throw new Error(`the sink answered ${outcome.kind}: ${outcome.error ?? ''}`)
                batch = batch.filter((_, i) => outcome.items[i].kind === 'retry')
                if (batch.length) await new Promise((resolve) => setTimeout(resolve, 200))
              }
            }
          }
          await Promise.all([worker(), worker(), worker()])
          const seconds = (performance.now() - started) / 1000
          await sink.close()
          return {seconds, indexed: await count(streamOf(false, ns), true)}
        }
        // The last member says which helper a row is compared with: the one given the same documents.
        const indexers = [
          ["client.helpers.bulk, the agent's documents (defaults: 5 MB flushes, 5 in flight; no store, no cursor, no dedupe)", (ns) => helper(ns, false), 'agent helper'],
          ['zoomctl serve --es-url (the defaults: batches of 2,000, 3 in flight, cursor in store order, rollover dedupe)', (ns) => forward(ns, false, []), 'agent'],
          ['zoomctl serve --es-url --batch-size 500 --batches-in-flight 1 (the previous defaults)', (ns) => forward(ns, false, ['--batch-size', '500', '--batches-in-flight', '1']), 'agent'],
          ['zoomctl serve --es-url --no-dedupe-index (_id dedupe only)', (ns) => forward(ns, false, ['--no-dedupe-index']), 'agent'],
          ['zoomctl serve --es-url, every event older than its backing index (rolled over just before: an _mget a batch; --rollover-settle 0s --clock-margin 0s)', (ns) => forward(ns, false, ['--rollover-settle', '0s', '--clock-margin', '0s'], true), 'agent'],
          ["serve's Elasticsearch sink alone, in process (ElasticSink.send: 2,000 a batch, 3 in flight, rollover dedupe; no store read, no cursor)", sinkAlone, 'agent'],
          ["client.helpers.bulk, zoomctl's mapped documents made beforehand", (ns) => helper(ns, true), 'mapped helper'],
          ['client.helpers.bulk mapping each stored record as it goes (what --pre-map does)', (ns) => helper(ns, true, mappedAsItGoes()), 'mapped'],
          ['zoomctl serve --es-url --pre-map (maps each record itself; rollover dedupe)', (ns) => forward(ns, true, []), 'mapped'],
        ]
        const runs = indexers.map(() => [])
        for (let round = 0; round < SCALE_RUNS; round++) {
          // Each round starts one row later, so that no row is always the one measured while the engine is coldest.
          for (let k = 0; k < indexers.length; k++) {
            const i = (k + round) % indexers.length
            runs[i].push(await indexers[i][1](`bench${i}r${round}`))
          }
        }
        await connection.client.close()
        const rateOf = (run) => run.indexed / run.seconds
        const medianOf = (list) => [...list].sort((a, b) => rateOf(a) - rateOf(b))[Math.floor(list.length / 2)]
        const helperRate = (kind) => rateOf(medianOf(runs[indexers.findIndex((row) => row[2] === `${kind} helper`)]))
        const against = {agent: helperRate('agent'), mapped: helperRate('mapped')}
        table(
          ['indexer', 'documents indexed', 'time', 'docs/s', 'vs the helper, same documents', 'serve start-up (not counted)', 'runs (docs/s)'],
          indexers.map(([name, , kind], i) => {
            const m = medianOf(runs[i])
            return [name, m.indexed, `${m.seconds.toFixed(2)} s`, Math.round(rateOf(m)), `${(rateOf(m) / against[kind.split(' ')[0]]).toFixed(2)}×`, m.startup === undefined ? '' : `${m.startup.toFixed(2)} s`, runs[i].map((run) => Math.round(rateOf(run))).join(' ')]
          }),
        )
      }

      if (rate > 0) {
      console.log(`\n## Answers at a steady 1,000 deliveries/s for ${rate / 1000} s into the real engine (simulate --rate 1000), after a warm-up\n`)
      const rows = []
      const steady = async (name, ns, extra, url = engine.url) => {
        const serve = await start([BIN, 'serve', '--json', '--port', '0', '--data-dir', temp(), '--es-url', url, '--pre-map', '--namespace', ns, ...extra])
        // Warm-up: the first writes create the data stream (answered 503 past the budget).
        await execFileAsync(process.execPath, [BIN, 'simulate', 'meeting.participant_joined', '--url', serve.url, '--count', '300', '--rate', '300', '--concurrency', '50', '--json'], {env, maxBuffer: 1 << 26}).catch(() => undefined)
        const before = await (await fetch(serve.url.replace('/zoom-webhook', '/healthz'))).json()
        const out = await execFileAsync(process.execPath, [BIN, 'simulate', 'meeting.participant_joined', 'user.signed_in', '--url', serve.url, '--count', String(url === engine.url ? rate : 500), '--rate', url === engine.url ? '1000' : '100', '--concurrency', '50', '--json'], {env, maxBuffer: 1 << 26}).then(
          (done) => done.stdout,
          (failed) => failed.stdout,
        )
        const after = await (await fetch(serve.url.replace('/zoom-webhook', '/healthz'))).json()
        await serve.stop()
        const burst = JSON.parse(out).burst
        const ack = after.ackAfterIndex && before.ackAfterIndex
        const statuses = Object.entries(burst.statusCounts).map(([status, n]) => `${n}× ${status}`).join(', ')
        const perSync = (after.store.records - before.store.records) / Math.max(1, after.store.syncs - before.store.syncs)
        rows.push([
          name,
          statuses,
          `${burst.latencyMs.p50} ms`,
          `${burst.latencyMs.p99} ms`,
          ack ? ((after.ackAfterIndex.deliveries - before.ackAfterIndex.deliveries) / Math.max(1, after.ackAfterIndex.bulks - before.ackAfterIndex.bulks)).toFixed(1) : '-',
          perSync.toFixed(1),
        ])
      }
      await steady('serve --es-url (store, fsync, answer; forwarded after)', 'benchstore', [])
      await steady('serve --es-url --ack-after-index (answer once indexed, rollover dedupe on)', 'benchack', ['--ack-after-index'])
      // Elasticsearch down (nothing listens on port 9): at 100/s, what each fallback answers, and when.
      await steady('  Elasticsearch down, --ack-fallback retry (100/s)', 'benchdown', ['--ack-after-index'], 'http://127.0.0.1:9')
      await steady('  Elasticsearch down, --ack-fallback store (100/s)', 'benchdown', ['--ack-after-index', '--ack-fallback', 'store'], 'http://127.0.0.1:9')
      table(['serve', 'answers', 'p50', 'p99', 'deliveries per _bulk round', 'deliveries per sync'], rows)
      }
    } finally {
      await engine.stop()
    }
  }
}

// ---- 6. Hot paths ---------------------------------------------------------------------------------
if (section('hotpaths')) {
  console.log('\n## Hot paths (in process)\n')
  const rows = []
  const measure = (name, iterations, fn) => {
    for (let i = 0; i < Math.min(1000, iterations); i++) fn(i)
    const started = process.hrtime.bigint()
    for (let i = 0; i < iterations; i++) fn(i)
    const ns = Number(process.hrtime.bigint() - started)
    rows.push([name, `${(ns / iterations / 1000).toFixed(1)} µs`, Math.round(iterations / (ns / 1e9))])
  }
  const raw = Buffer.from(body)
  const parsed = JSON.parse(body)
  const signature = signBody(SECRET, '1764000000', raw)
  measure('sign a body', 50_000, () => signBody(SECRET, '1764000000', raw))
  measure('verify a signature', 50_000, () => verifySignature({secret: SECRET, signature, timestamp: '1764000000', rawBody: raw, toleranceSeconds: 0}))
  // Several Zoom apps on one endpoint (--app-token): serve tries each app's token in turn, as its handler does.
  for (const apps of [1, 4, 16]) {
    const tokens = Array.from({length: apps}, (_, i) => `app-${i}-secret`)
    const last = signBody(tokens[apps - 1], '1764000000', raw)
    measure(`verify, signed by the last of ${apps} app token(s) tried in turn`, 20_000, () => {
      for (const secret of tokens) if (verifySignature({secret, signature: last, timestamp: '1764000000', rawBody: raw, toleranceSeconds: 0}).ok) return
    })
  }
  measure('dedupe key', 50_000, () => dedupeKey(parsed, raw))
  const meta = {id: '07296cc1-fb4f-4a93-ae0b-83f240f3c10c', receivedAt: new Date(0).toISOString(), source: {address: '127.0.0.1', port: 54654}, method: 'POST', path: '/zoom-webhook', headers: {'content-type': 'application/json; charset=utf-8', 'user-agent': 'Zoom Marketplace/1.0a', 'x-zm-signature': signature, 'x-zm-request-timestamp': '1764000000'}, eventType: parsed.event, dedupeKey: dedupeKey(parsed, raw)}
  measure('store line, format 2 (body as received, in the pieces serve writes)', 50_000, () => recordLineParts(meta, raw, true))
  measure('store line, format 1 (body escaped, before)', 50_000, () => Buffer.from(`${JSON.stringify({...meta, rawBody: body})}\n`))
  measure("map a body (the integration's pipeline)", 20_000, () => indexedDocument(parsed, {receivedAt: new Date(0)}))
  const spec = findEvent('meeting.participant_joined')
  const scenario = createScenario(1)
  measure('build a body (catalog, as an object)', 20_000, (i) => buildEventBody(spec, scenario, 1_764_000_000_000 + i))
  const write = eventBodyWriter(spec, scenario)
  measure("write a body (the entry's compiled writer: simulate)", 50_000, (i) => write(1_764_000_000_000 + i))
  table(['operation', 'per op', 'ops/s'], rows)
}

for (const dir of temps) rmSync(dir, {recursive: true, force: true})
