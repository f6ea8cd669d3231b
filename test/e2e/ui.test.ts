import {spawn} from 'node:child_process'
import {existsSync, mkdirSync} from 'node:fs'
import {join} from 'node:path'
import {createInterface} from 'node:readline'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {readRecord} from '../../src/store/records.js'
import {startInspector} from '../../src/ui/server.js'
import {BIN, ISOLATED, readStore, runCli, SECRET, startServe, type ServeProcess, tempDir} from '../helpers/cli.js'

const CHROMIUM = '/usr/bin/chromium'
const ARTIFACTS = join(import.meta.dirname, '../../test-artifacts')

async function getJson<T>(url: string, init?: RequestInit): Promise<{status: number; body: T}> {
  const response = await fetch(url, init)
  return {status: response.status, body: (await response.json()) as T}
}

describe('the inspector API', () => {
  let serve: ServeProcess
  let ui: string
  beforeAll(async () => {
    serve = await startServe(['--ui', '--ui-port', '0'])
    ui = (JSON.parse(serve.lines[0]!) as {ui: string}).ui
    await runCli(['simulate', 'meeting.started', 'user.signed_in', '--url', serve.url])
    await runCli(['simulate', 'meeting.ended', '--url', serve.url, '--timestamp-offset', '-900'])
  })
  afterAll(async () => serve.stop())

  it('lists deliveries newest first, filters on the server, and shows one with its Elastic document', async () => {
    const {body} = await getJson<{deliveries: Array<{id: string; eventType: string; verdict: string}>}>(`${ui}api/deliveries`)
    expect(body.deliveries.map((entry) => [entry.eventType, entry.verdict])).toEqual([
      ['meeting.ended', 'refused'],
      ['user.signed_in', 'accepted'],
      ['meeting.started', 'accepted'],
    ])
    const refused = await getJson<{deliveries: unknown[]}>(`${ui}api/deliveries?verdict=refused`)
    expect(refused.body.deliveries).toHaveLength(1)
    const started = body.deliveries.find((entry) => entry.eventType === 'meeting.started')!
    const detail = await getJson<{document: {event: {action: string}}; checkedFields: string[]}>(`${ui}api/deliveries/${started.id}`)
    expect(detail.body.document.event.action).toBe('meeting.started')
    expect(detail.body.checkedFields).toEqual(expect.arrayContaining(['event.action', 'user.id']))
    const curl = await getJson<{curl: string}>(`${ui}api/deliveries/${started.id}/curl`)
    expect(curl.body.curl).toContain('x-zm-signature')
    expect(curl.body.curl).not.toContain(SECRET)
  })

  it('pages with the cursor it gives, and refuses one it did not give', async () => {
    type Page = {deliveries: Array<{eventType: string}>; next?: string}
    const first = await getJson<Page>(`${ui}api/deliveries?limit=2`)
    expect(first.body.deliveries.map((entry) => entry.eventType)).toEqual(['meeting.ended', 'user.signed_in'])
    const second = await getJson<Page>(`${ui}api/deliveries?limit=2&cursor=${first.body.next}`)
    expect(second.body.deliveries.map((entry) => entry.eventType)).toEqual(['meeting.started'])
    expect(second.body.next).toBeUndefined()
    const stats = await getJson<{counts: Record<string, number>}>(`${ui}api/stats`)
    expect(stats.body.counts).toMatchObject({accepted: 2, refused: 1})
    expect((await fetch(`${ui}api/deliveries?cursor=made-up`)).status).toBe(400)
  })

  it('exports what a filter selects as store lines, oldest first, bodies byte for byte', async () => {
    const exported = await fetch(`${ui}api/export`)
    expect(exported.headers.get('content-type')).toBe('application/x-ndjson')
    const lines = (await exported.text()).trimEnd().split('\n')
    expect(lines.map((line) => readRecord(line).eventType)).toEqual(['meeting.started', 'user.signed_in', 'meeting.ended'])
    expect(lines.every((line) => line.includes('"v":2,"bodySize":'))).toBe(true)
    const stored = [...readStore(serve.dataDir), ...readStore(serve.dataDir, 'refused')]
    for (const line of lines) expect(readRecord(line).rawBody).toBe(stored.find((record) => record.id === readRecord(line).id)!.rawBody)
    const refused = (await (await fetch(`${ui}api/export?verdict=refused`)).text()).trimEnd().split('\n')
    expect(refused.map((line) => readRecord(line).refusal?.reason)).toEqual(['stale-timestamp'])
  })

  it('re-sends through replay: a new accepted delivery, marked as a copy', async () => {
    const before = readStore(serve.dataDir).length
    const {body} = await getJson<{deliveries: Array<{id: string; eventType: string}>}>(`${ui}api/deliveries?event=user.signed_in`)
    const resent = await getJson<{succeeded: number; copies: number}>(`${ui}api/resend`, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({ids: [body.deliveries[0]!.id]})})
    expect(resent.body).toMatchObject({succeeded: 1, copies: 1})
    const after = readStore(serve.dataDir)
    expect(after).toHaveLength(before + 1)
    expect(after[after.length - 1]!.duplicateOf).toBe(body.deliveries[0]!.id)
    const stats = await getJson<{counts: Record<string, number>}>(`${ui}api/stats`)
    expect(stats.body.counts).toMatchObject({accepted: 2, duplicate: 1, refused: 1})
  })

  it('zoomctl ui reads the data dir serve was pointed at (ZOOMCTL_DATA_DIR) when none is named', async () => {
    const child = spawn(process.execPath, [BIN, 'ui', '--ui-port', '0', '--json'], {env: {...process.env, ...ISOLATED, ZOOMCTL_DATA_DIR: serve.dataDir}, stdio: ['ignore', 'pipe', 'inherit']})
    try {
      const line = await new Promise<string>((resolve) => createInterface({input: child.stdout}).once('line', resolve))
      const listening = JSON.parse(line) as {url: string; dataDir: string}
      expect(listening.dataDir).toBe(serve.dataDir)
      const stats = await getJson<{counts: Record<string, number>}>(`${listening.url}api/stats`)
      expect(stats.body.counts).toMatchObject({refused: 1})
    } finally {
      child.kill('SIGINT')
      await new Promise((resolve) => child.once('exit', resolve))
    }
    // A data dir that is not there yet is said, not shown as an empty store without a word.
    const early = spawn(process.execPath, [BIN, 'ui', join(tempDir(), 'not-yet'), '--ui-port', '0'], {env: {...process.env, ...ISOLATED, NO_COLOR: '1'}, stdio: ['ignore', 'ignore', 'pipe']})
    try {
      // The first line says which config file it read; the banner follows.
      const banner = await new Promise<string>((resolve) => createInterface({input: early.stderr}).on('line', (line) => !line.startsWith('config: ') && resolve(line)))
      expect(banner).toContain('not there yet: the page fills as serve stores deliveries there')
    } finally {
      early.kill('SIGINT')
      await new Promise((resolve) => early.once('exit', resolve))
    }
  })

  it('with a token, refuses every request without it', async () => {
    const inspector = await startInspector({host: '127.0.0.1', port: 0, dataDir: tempDir(), auth: {mode: 'signature', secretToken: SECRET}, token: 'the-token'})
    try {
      const origin = new URL(inspector.url).origin
      expect((await fetch(`${origin}/api/deliveries`)).status).toBe(401)
      expect((await fetch(`${origin}/`)).status).toBe(401)
      expect((await fetch(`${origin}/api/deliveries?token=the-token`)).status).toBe(200)
      expect(inspector.url).toContain('?token=the-token')
    } finally {
      await inspector.close()
    }
  })
})

describe.skipIf(!existsSync(CHROMIUM))('the inspector page in a real browser', () => {
  it('shows a new delivery within a second, its document when selected, re-sends it, and explains a refusal', async () => {
    const {chromium} = await import('playwright-core')
    const serve = await startServe(['--ui', '--ui-port', '0'])
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    })
    try {
      const page = await browser.newPage({viewport: {width: 1400, height: 900}})
      await page.goto((JSON.parse(serve.lines[0]!) as {ui: string}).ui)
      await page.getByText('live', {exact: true}).waitFor()
      await runCli(['simulate', 'meeting.participant_joined', '--url', serve.url])
      const row = page.locator('tbody tr', {hasText: 'meeting.participant_joined'})
      await row.waitFor({timeout: 1500})
      await row.click()
      await page.getByText("What Elastic's Zoom integration indexes").waitFor()
      await expect(page.locator('#detail .key', {hasText: 'event.action: "meeting.participant_joined"'}).count()).resolves.toBe(1)
      await page.getByRole('button', {name: 'Re-send (re-signed)'}).click()
      await page.getByText(/had it already \(kept as a copy, not indexed again\)/).waitFor()
      await page.locator('tbody tr', {hasText: 'duplicate'}).waitFor({timeout: 1500})

      await runCli(['simulate', 'meeting.ended', '--url', serve.url, '--timestamp-offset', '-900'])
      const refused = page.locator('tbody tr', {hasText: 'meeting.ended'})
      await refused.waitFor({timeout: 1500})
      await expect(refused.textContent()).resolves.toContain('stale-timestamp')
      await refused.click()
      await page.getByText(/→ .*zoomctl replay --from refused --id/).waitFor()
      // Its address names it: opened again (a reload, a shared link), the same delivery shows.
      const link = page.url()
      expect(new URL(link).hash).toMatch(/^#[0-9a-f-]{36}$/)
      const again = await browser.newPage({viewport: {width: 1400, height: 900}})
      await again.goto(link)
      await again.getByText(/→ .*zoomctl replay --from refused --id/).waitFor()
      // Read back from the store, a row has no latency (serve measured it, the store does not keep it): a
      // muted "–" that says why, where the live page showed milliseconds.
      const stored = again.locator('tbody tr', {hasText: 'meeting.participant_joined'}).first().locator('td').nth(4)
      await expect(stored.textContent()).resolves.toBe('–')
      await expect(stored.getAttribute('title')).resolves.toContain('the store does not keep it')
      await expect(row.locator('td').nth(4).textContent()).resolves.toMatch(/ ms$/)
      await again.close()
      mkdirSync(ARTIFACTS, {recursive: true})
      await page.screenshot({path: join(ARTIFACTS, 'inspector.png'), fullPage: true})
    } finally {
      await browser.close()
      await serve.stop()
    }
  })
})
