import {describe, expect, it} from 'vitest'

import {runCli, startServe} from '../helpers/cli.js'

describe('deliveries refused as unauthenticated', () => {
  it('are counted and listed without body or header values: deliveries, /healthz and doctor show them, across a restart', async () => {
    const serve = await startServe()
    try {
      for (let i = 0; i < 3; i++) expect((await runCli(['simulate', 'meeting.started', '--url', serve.url], {ZOOM_WEBHOOK_SECRET_TOKEN: 'a-wrong-secret-token'})).code).toBe(1)
      // An unsigned POST that names no event, and a scanner's GET elsewhere (not a delivery: not listed).
      await fetch(serve.url, {method: 'POST', body: 'not json'})
      await fetch(new URL('/wp-login.php', serve.url))
      await new Promise((resolve) => setTimeout(resolve, 500))
      const listed = await runCli(['deliveries', serve.dataDir, '--verdict', 'rejected', '--json'])
      expect(listed.code, listed.stderr).toBe(0)
      const entries = JSON.parse(listed.stdout) as Array<Record<string, unknown>>
      expect(entries).toHaveLength(4)
      expect(entries.slice(0, 3)).toEqual(Array.from({length: 3}, () => ({id: expect.any(String), receivedAt: expect.any(String), eventType: 'meeting.started', verdict: 'rejected', status: 401, reason: 'signature-mismatch', from: '127.0.0.1'})))
      expect(entries[3]).toMatchObject({verdict: 'rejected', reason: 'missing-signature'})
      expect(entries[3]).not.toHaveProperty('eventType')
      // No body, no header values anywhere in the data dir's record of them.
      expect(listed.stdout).not.toContain('x-zm-signature')
      const human = await runCli(['deliveries', serve.dataDir])
      expect(human.stdout).toContain('no deliveries match')
      expect(human.stdout).toContain('4 request(s) refused as unauthenticated since')
      expect(human.stdout).toContain('3 signature-mismatch, 1 missing-signature')
      expect(human.stdout).toContain('zoomctl deliveries --verdict rejected lists them')
      const health = (await (await fetch(new URL('/healthz', serve.url))).json()) as {rejected: Record<string, unknown>}
      expect(health.rejected).toMatchObject({total: 4, byReason: {'signature-mismatch': 3, 'missing-signature': 1}, last: {reason: 'missing-signature', status: 401}})
      expect(JSON.stringify(health)).not.toContain('127.0.0.1')
      // doctor reads them before its own forged requests, which it marks as its own.
      for (let run = 0; run < 2; run++) {
        const doctor = await runCli(['doctor', serve.url, '--allow-http', '--samples', '1', '--json'])
        const row = (JSON.parse(doctor.stdout) as {checks: Array<{id: string; status: string; value: string; hint?: string}>}).checks.find((check) => check.id === 'serve.rejected')
        expect(row).toMatchObject({status: 'warn', value: expect.stringMatching(/^4 \(3 signature-mismatch, 1 missing-signature\), the last \d+ s ago$/)})
        expect(row?.hint).toContain("the last was without Zoom's signature")
      }
    } finally {
      await serve.stop()
    }
    const again = await startServe(['--data-dir', serve.dataDir])
    try {
      const health = (await (await fetch(new URL('/healthz', again.url))).json()) as {rejected: {total: number}}
      expect(health.rejected.total).toBe(4)
    } finally {
      await again.stop()
    }
  })
})
