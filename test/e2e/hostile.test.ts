import {readFileSync} from 'node:fs'
import {request} from 'node:http'

import {describe, expect, it} from 'vitest'

import {signatureHeaders} from '../../src/zoom/signature.js'
import {ISOLATED, readStore, runCli, SECRET, startServe, waitFor} from '../helpers/cli.js'

/** Peak resident memory of a process so far, in MiB (Linux). */
function peakMiB(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return Number(match![1]) / 1024
}

function post(url: string, body: Buffer, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, {method: 'POST', headers: {'content-type': 'application/json', 'content-length': String(body.length), ...headers}}, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    // The server may answer and close before the whole body is sent: that is the point.
    req.on('error', () => resolve(-1))
    req.end(body)
  })
}

describe('serve under hostile input', () => {
  it('keeps memory flat while large unsigned and mis-signed bodies arrive at once, and keeps an authentic one', async () => {
    const serve = await startServe(['--max-body', '1mb'])
    try {
      const pid = serve.process.pid!
      const warm = Buffer.from(JSON.stringify({event: 'meeting.started', event_ts: 1, payload: {}}))
      await post(serve.url, warm, signatureHeaders(SECRET, warm))
      const before = peakMiB(pid)
      const big = (fill: string) => Buffer.from(JSON.stringify({event: 'meeting.updated', event_ts: 2, payload: {object: {id: '1', notes: fill.repeat(20 * 1024 * 1024)}}}))
      const bodies = Array.from({length: 8}, (_, i) => big(String.fromCharCode(97 + i)))
      const statuses = await Promise.all(
        bodies.map((body, i) => post(serve.url, body, i % 2 ? {} : {...signatureHeaders('not-the-secret', body)})),
      )
      expect(statuses.every((status) => status === 413 || status === 401 || status === -1)).toBe(true)
      const authentic = big('z')
      expect(await post(serve.url, authentic, signatureHeaders(SECRET, authentic))).toBe(413)
      const growth = peakMiB(pid) - before
      // 9 bodies of 20 MiB arrived; buffering them would have taken over 180 MiB.
      expect(growth).toBeLessThan(60)
      const kept = readStore(serve.dataDir, 'refused') as Array<{rawBodyFile?: string; eventType?: string; refusal?: {reason: string}}>
      expect(kept).toHaveLength(1)
      expect(kept[0]).toMatchObject({eventType: 'meeting.updated', refusal: {reason: 'too-large'}})
      expect(readFileSync(`${serve.dataDir}/${kept[0]!.rawBodyFile}`).equals(authentic)).toBe(true)

      // And it can be replayed once the limit is raised, byte for byte.
      const roomy = await startServe(['--max-body', '64mb'])
      try {
        const replayed = await runCli(['replay', serve.dataDir, '--from', 'refused', '--url', roomy.url, '--json'])
        expect(JSON.parse(replayed.stdout)).toMatchObject({sent: 1, succeeded: 1})
        expect(readStore(roomy.dataDir)[0]!.rawBody.length).toBe(authentic.length)
      } finally {
        await roomy.stop()
      }
    } finally {
      await serve.stop()
    }
  }, 120_000)
})

describe('a store torn by a crash', () => {
  it('is read with the torn line skipped, and serve says so at start', async () => {
    const first = await startServe()
    await runCli(['simulate', 'meeting.started', '--url', first.url])
    await first.stop()
    const {appendFileSync, readdirSync} = await import('node:fs')
    const file = `${first.dataDir}/events/${readdirSync(`${first.dataDir}/events`)[0]}`
    appendFileSync(file, '{"id":"torn-by-a-cra')
    const second = await startServe(['--data-dir', first.dataDir])
    try {
      // Known once the window's keys are read, in the background after serve listens.
      await waitFor(() => second.lines.some((line) => line.includes('"type":"warning"')), 10_000, 'the torn-line warning')
      const warning = JSON.parse(second.lines.find((line) => line.includes('"type":"warning"'))!) as {message: string}
      expect(warning.message).toContain('1 torn line(s) in the store skipped')
      await runCli(['simulate', 'user.signed_in', '--url', second.url])
      // The torn line stays in the file (nothing rewrites history); every reader skips it.
      const listed = JSON.parse((await runCli(['deliveries', second.dataDir, '--json'])).stdout) as Array<{eventType: string}>
      expect(listed.map((entry) => entry.eventType)).toEqual(['meeting.started', 'user.signed_in'])
    } finally {
      await second.stop()
    }
  })
})

describe('Ctrl-C and secrets of bodies', () => {
  it('a burst stopped by SIGINT prints what was sent and exits 130', async () => {
    const {spawn} = await import('node:child_process')
    const {BIN} = await import('../helpers/cli.js')
    const serve = await startServe()
    try {
      const child = spawn(process.execPath, [BIN, 'simulate', 'meeting.started', '--url', serve.url, '--duration', '30s', '--rate', '50', '--json'], {env: {...process.env, ...ISOLATED, ZOOM_WEBHOOK_SECRET_TOKEN: SECRET}})
      let out = ''
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
      // Interrupted mid-burst: once serve has taken some of it (a fixed delay raced simulate's start-up).
      await waitFor(() => serve.lines.filter((line) => line.includes('"result":"accepted"')).length > 10, 30_000, 'the burst under way')
      child.kill('SIGINT')
      const code = await new Promise((resolve) => child.once('exit', resolve))
      expect(code).toBe(130)
      const report = JSON.parse(out) as {interrupted: boolean; burst: {sent: number; succeeded: number}}
      expect(report.interrupted).toBe(true)
      expect(report.burst.sent).toBeGreaterThan(10)
      expect(report.burst.succeeded).toBe(report.burst.sent)
      expect(readStore(serve.dataDir)).toHaveLength(report.burst.sent)
    } finally {
      await serve.stop()
    }
  })

  it('Ctrl-C stops a slow burst and a retry spacing at once: no sender waits out its turn', async () => {
    const {spawn} = await import('node:child_process')
    const {BIN} = await import('../helpers/cli.js')
    const serve = await startServe()
    try {
      // At 1/s with 50 in flight, the last sender's first turn is 49 s away; a retry is spaced 10 minutes.
      for (const args of [['--rate', '1', '--count', '100', '--concurrency', '50'], ['--retries', '1', '--retry-spacing', '10m']]) {
        const before = readStore(serve.dataDir).length
        const child = spawn(process.execPath, [BIN, 'simulate', 'meeting.started', '--url', serve.url, '--json', ...args], {env: {...process.env, ...ISOLATED, ZOOM_WEBHOOK_SECRET_TOKEN: SECRET}})
        const exited = new Promise((resolve) => child.once('exit', resolve))
        await waitFor(() => readStore(serve.dataDir).length > before, 30_000, 'the first delivery')
        child.kill('SIGINT')
        // Far less than the waits above; a stop that waited them out would take 49 s or 10 min.
        const code = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve('still waiting after 15 s'), 15_000))])
        if (code === 'still waiting after 15 s') child.kill('SIGKILL')
        expect(code).toBe(130)
      }
    } finally {
      await serve.stop()
    }
  }, 60_000)

  it('events map redacts the secrets of a body (a meeting password) unless asked', async () => {
    const body = JSON.stringify({event: 'meeting.created', event_ts: 1, payload: {account_id: 'A', object: {id: '1', uuid: 'u', password: 'hunter2-secret'}}})
    const redacted = await runCli(['events', 'map', '-'], {}, body)
    expect(redacted.stdout).not.toContain('hunter2-secret')
    expect(redacted.stdout).toContain('[redacted]')
    expect((await runCli(['events', 'map', '-', '--show-secrets'], {}, body)).stdout).toContain('hunter2-secret')
  })
})
