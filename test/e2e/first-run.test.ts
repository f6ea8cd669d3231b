import {spawn} from 'node:child_process'
import {existsSync, readFileSync, statSync} from 'node:fs'
import {dirname, join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {BIN, ISOLATED, runCli, tempDir} from '../helpers/cli.js'

/** The environment of someone who has never set anything up: no config file, none of zoomctl's variables. */
function newcomerEnv(): NodeJS.ProcessEnv {
  // No zoomctl on PATH, as after `npm ci` in a clone: node itself only.
  const env: NodeJS.ProcessEnv = {...process.env, ...ISOLATED, NO_COLOR: '1', PATH: dirname(process.execPath)}
  for (const name of Object.keys(env)) if (/^(ZOOM_|ZOOMCTL_|ELASTICSEARCH_|KIBANA_)/.test(name)) delete env[name]
  return env
}

async function startFresh(cwd: string, extra: string[] = []): Promise<{url: string; output: () => string; stop: () => Promise<void>}> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', ...extra], {cwd, env: newcomerEnv(), stdio: ['ignore', 'pipe', 'pipe']})
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const match = /listening on (http:\/\/\S+)/.exec(output)
      if (match) {
        clearInterval(timer)
        resolve(match[1]!)
      }
    }, 50)
    child.once('exit', (code) => {
      clearInterval(timer)
      reject(new Error(`serve exited with ${code}: ${output}`))
    })
  })
  return {url, output: () => output, stop: () => new Promise((resolve) => (child.once('exit', () => resolve()), child.kill('SIGTERM')))}
}

/** A command run as a newcomer would, from `cwd`. */
function runFresh(args: string[], cwd: string): Promise<{code: number | null; out: string; err: string}> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {cwd, env: newcomerEnv()})
    let out = ''
    let err = ''
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()))
    child.on('close', (code) => resolve({code, out, err}))
  })
}

describe('first run: serve with no token and no flags', () => {
  it('makes a token, keeps it 0600 in the data dir, prints an export line that reads it, and simulate finds it', async () => {
    const cwd = tempDir()
    const first = await startFresh(cwd)
    const tokenFile = join(cwd, 'zoomctl-data', 'secret-token')
    const token = readFileSync(tokenFile, 'utf8').trim()
    expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/)
    // The export line reads the token from its file: the secret itself is never printed.
    expect(first.output()).toContain('export ZOOM_WEBHOOK_SECRET_TOKEN="$(cat zoomctl-data/secret-token)"')
    expect(first.output()).not.toContain(token)
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600)
    expect(statSync(join(cwd, 'zoomctl-data')).mode & 0o777).toBe(0o700)
    // zoomctl is not on PATH: the line runs the script serve was started as, and says how to put zoomctl on PATH.
    expect(first.output()).toContain(`${BIN} simulate meeting.started --url ${first.url}`)
    expect(first.output()).toContain('zoomctl is not on your PATH: `npm link`')

    // simulate aimed at the local serve, from the same directory, with no token anywhere.
    const sent = await runFresh(['simulate', 'meeting.started', '--url', first.url], cwd)
    expect(sent.code).toBe(0)
    expect(sent.out).toContain('accepted')
    // replay of that serve's data dir to it, from elsewhere: the token is found in the data dir replayed.
    const replayed = await runFresh(['replay', join(cwd, 'zoomctl-data'), '--url', first.url, '--json'], tempDir())
    expect(replayed.code).toBe(0)
    expect(JSON.parse(replayed.out)).toMatchObject({sent: 1, succeeded: 1})
    await first.stop()

    // Restarted: the same token, not printed again.
    const second = await startFresh(cwd)
    expect(second.output()).not.toContain(token!)
    expect(second.output()).toContain('the one serve made earlier')
    expect(second.output()).toContain(`${BIN} simulate meeting.started --url ${second.url}\n`)
    // It still checks signatures: another token is refused.
    const signedWithOther = await runCli(['simulate', 'meeting.started', '--url', second.url], {ZOOM_WEBHOOK_SECRET_TOKEN: 'another'})
    expect(signedWithOther.code).toBe(1)
    expect(signedWithOther.stdout).toContain('401')
    await second.stop()
  })

  it("with two local serves, finds the second's token with --data-dir, and a 401 says whose token was used", async () => {
    const cwd = tempDir()
    const first = await startFresh(cwd)
    const second = await startFresh(cwd, ['--data-dir', 'other'])
    try {
      // Its banner's simulate line names its data dir: simulate looks in the default one by itself.
      expect(second.output()).toContain(`${BIN} simulate meeting.started --url ${second.url} --data-dir other\n`)
      // From the same directory, the token found is the first serve's: the second refuses it, and says why.
      const wrong = await runFresh(['simulate', 'meeting.started', '--url', second.url], cwd)
      expect(wrong.code).toBe(1)
      expect(wrong.out).toContain(`the secret token came from ${join('zoomctl-data', 'secret-token')}`)
      expect(wrong.out).toContain('--data-dir')
      const right = await runFresh(['simulate', 'meeting.started', '--url', second.url, '--data-dir', 'other', '--json'], cwd)
      expect(right.code).toBe(0)
      expect(JSON.parse(right.out)).not.toHaveProperty('hint')
      // Replaying the second serve's data dir to it: its own token, before the default data dir's.
      const replayed = await runFresh(['replay', 'other', '--url', second.url, '--json'], cwd)
      expect(JSON.parse(replayed.out)).toMatchObject({sent: 1, succeeded: 1})
      const doctor = await runFresh(['doctor', second.url, '--allow-http', '--json'], cwd)
      const event = (JSON.parse(doctor.out) as {checks: Array<{id: string; hint?: string}>}).checks.find((check) => check.id === 'zoom.event')
      expect(event?.hint).toContain('the secret token came from')
      expect((await runFresh(['doctor', second.url, '--allow-http', '--data-dir', 'other'], cwd)).code).toBe(0)
    } finally {
      await second.stop()
      await first.stop()
    }
  })

  it('a serve that cannot listen keeps no token it never used, nor the data dir it made; restarted, it prints the simulate line that finds its token', async () => {
    const cwd = tempDir()
    const first = await startFresh(cwd)
    try {
      const taken = await runFresh(['serve', '--port', new URL(first.url).port, '--data-dir', 'second'], cwd)
      expect(taken.code).toBe(2)
      expect(taken.err).toContain('already in use')
      expect(existsSync(join(cwd, 'second', 'secret-token'))).toBe(false)
      expect(existsSync(join(cwd, 'second'))).toBe(false)
    } finally {
      await first.stop()
    }
    await (await startFresh(cwd, ['--data-dir', 'other dir'])).stop()
    const again = await startFresh(cwd, ['--data-dir', 'other dir'])
    await again.stop()
    expect(again.output()).toContain(`${BIN} simulate meeting.started --url ${again.url} --data-dir 'other dir'`)
  })

  it('says what to fix first: a mistyped event type before a missing token, and where a local token was looked for', async () => {
    const cwd = tempDir()
    const typo = await runFresh(['simulate', 'meeting.startd'], cwd)
    expect(typo.code).toBe(2)
    expect(typo.err).toContain('did you mean meeting.started')
    const noToken = await runFresh(['simulate', 'meeting.started'], cwd)
    expect(noToken.code).toBe(2)
    expect(noToken.err).toContain("none is in ./zoomctl-data: name serve's data dir (--data-dir or ZOOMCTL_DATA_DIR)")
    const remote = await runFresh(['simulate', 'meeting.started', '--url', 'https://zoom-hook.example.com/zoom-webhook'], cwd)
    expect(remote.err).toContain('needs a secret token')
    expect(remote.err).not.toContain('ZOOMCTL_DATA_DIR')
  })
})
