import {spawn} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {BIN, ISOLATED, runCli, startServe, tempDir} from '../helpers/cli.js'

describe("serve's lock on its data dir", () => {
  it('refuses a second serve on the same data dir, naming the first (pid, URL); readers work beside it', async () => {
    const first = await startServe()
    try {
      expect((await runCli(['simulate', 'meeting.started', '--url', first.url])).code).toBe(0)
      const second = await runCli(['serve', '--port', '0', '--data-dir', first.dataDir, '--json'])
      expect(second.code).toBe(2)
      const error = JSON.parse(second.stdout).error as {code: string; message: string; hint: string}
      expect(error.code).toBe('locked')
      expect(error.message).toContain(`the data dir ${first.dataDir} is in use by another zoomctl serve (pid ${first.process.pid}, listening on ${first.url}`)
      expect(error.hint).toContain('another --data-dir')
      // Readers never take the lock.
      const listed = await runCli(['deliveries', first.dataDir, '--json'])
      expect(listed.code, listed.stderr).toBe(0)
      expect(JSON.parse(listed.stdout)).toHaveLength(1)
      expect((await runCli(['validate', '--local', first.dataDir, '--json'])).code).toBe(0)
      expect((await runCli(['replay', first.dataDir, '--url', first.url, '--json'])).code).toBe(0)
      const ui = spawn(process.execPath, [BIN, 'ui', first.dataDir, '--ui-port', '0', '--json'], {env: {...process.env, ...ISOLATED}, stdio: ['ignore', 'pipe', 'ignore']})
      const line = await new Promise<string>((resolve) => ui.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString())))
      ui.kill('SIGINT')
      expect(line).toContain('http://127.0.0.1:')
    } finally {
      await first.stop()
    }
    // Given back at exit: the next serve starts.
    const next = await startServe(['--data-dir', first.dataDir])
    await next.stop()
  })

  it("takes over the lock of a serve that died (kill -9), and refuses one held on another host", async () => {
    const first = await startServe()
    expect(JSON.parse(readFileSync(join(first.dataDir, 'serve.lock'), 'utf8'))).toMatchObject({pid: first.process.pid, holder: 'zoomctl serve', url: first.url})
    await first.stop('SIGKILL')
    const after = await startServe(['--data-dir', first.dataDir])
    await after.stop()
    const dataDir = tempDir()
    writeFileSync(join(dataDir, 'serve.lock'), JSON.stringify({pid: 1, host: 'elsewhere.example', since: '2026-12-01T00:00:00.000Z', holder: 'zoomctl serve'}))
    const refused = await runCli(['serve', '--port', '0', '--data-dir', dataDir])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain('is in use by another zoomctl serve (pid 1 on elsewhere.example, since 2026-12-01T00:00:00.000Z)')
    expect(refused.stderr).toContain(`remove ${join(dataDir, 'serve.lock')}`)
  })
})
