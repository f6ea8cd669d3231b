import {spawn} from 'node:child_process'
import {createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import {readFileSync, readdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {BIN, ISOLATED, readStore, runCli, SECRET, startServe, type ServeProcess, tempDir} from '../helpers/cli.js'

describe('deliveries', () => {
  let serve: ServeProcess
  beforeAll(async () => {
    serve = await startServe()
    await runCli(['simulate', 'meeting.created', 'meeting.started', 'user.signed_in', '--url', serve.url, '--set', 'payload.object.password=hunter2-meeting'])
    await runCli(['simulate', 'meeting.ended', '--url', serve.url, '--timestamp-offset', '-900'])
  })
  afterAll(async () => serve.stop())

  it('lists what serve received, with verdicts, and filters', async () => {
    const all = await runCli(['deliveries', serve.dataDir, '--json'])
    const entries = JSON.parse(all.stdout) as Array<{eventType: string; verdict: string; reason?: string; id: string}>
    expect(entries.map((entry) => [entry.eventType, entry.verdict])).toEqual([
      ['meeting.created', 'accepted'],
      ['meeting.started', 'accepted'],
      ['user.signed_in', 'accepted'],
      ['meeting.ended', 'refused'],
    ])
    const refused = await runCli(['deliveries', serve.dataDir, '--verdict', 'refused'])
    expect(refused.stdout).toMatch(/meeting\.ended +refused +401 stale-timestamp/)
    expect(refused.stdout).not.toContain('meeting.started')
    const one = await runCli(['deliveries', serve.dataDir, '--event', 'user.signed_in', '--json'])
    expect(JSON.parse(one.stdout)).toHaveLength(1)
    // Cut at --limit (50 by default): the listing says of how many.
    const latest = await runCli(['deliveries', serve.dataDir, '--limit', '2'])
    expect(latest.stdout).toContain('the latest 2 of 4: --limit shows more')
    expect((await runCli(['deliveries', serve.dataDir])).stdout).not.toContain('the latest')
  })

  it('reads the data dir serve was pointed at (ZOOMCTL_DATA_DIR, a config file), and says so when there is none', async () => {
    const fromEnv = await runCli(['deliveries', '--json'], {ZOOMCTL_DATA_DIR: serve.dataDir})
    expect(JSON.parse(fromEnv.stdout)).toHaveLength(4)
    const config = join(tempDir(), 'zoomctl.yaml')
    writeFileSync(config, `data-dir: ${serve.dataDir}\n`)
    expect(JSON.parse((await runCli(['deliveries', '--config', config, '--json'])).stdout)).toHaveLength(4)
    const nowhere = join(tempDir(), 'not-here')
    const missing = await runCli(['deliveries', nowhere, '--json'])
    expect(missing.code).toBe(2)
    expect(JSON.parse(missing.stdout).error).toMatchObject({code: 'no-data-dir'})
    const human = await runCli(['deliveries', '--data-dir', nowhere])
    expect(human.stderr).toContain(`no data dir at ${nowhere}`)
    expect(human.stderr).toContain('ZOOMCTL_DATA_DIR')
    const showNowhere = await runCli(['deliveries', 'show', 'some-id', '--data-dir', nowhere, '--json'])
    expect(showNowhere.code).toBe(2)
    expect(JSON.parse(showNowhere.stdout).error).toMatchObject({code: 'no-data-dir'})
  })

  it('show: an id start of fewer than 4 characters is too short, said so (not "no delivery")', async () => {
    const id = readStore(serve.dataDir)[0]!.id
    const short = await runCli(['deliveries', 'show', id.slice(0, 3), '--data-dir', serve.dataDir, '--json'])
    expect(short.code).toBe(2)
    expect(JSON.parse(short.stdout).error).toMatchObject({code: 'id-too-short', message: `"${id.slice(0, 3)}" is too short to name a delivery: give at least 4 characters of its id`})
    expect((await runCli(['deliveries', 'show', id.slice(0, 4), '--data-dir', serve.dataDir])).code).toBe(0)
  })

  it('shows one in full, secrets of the body redacted unless asked, with what to do for a refused one', async () => {
    const entries = JSON.parse((await runCli(['deliveries', serve.dataDir, '--json'])).stdout) as Array<{id: string; eventType: string}>
    const created = entries.find((entry) => entry.eventType === 'meeting.created')!
    const shown = await runCli(['deliveries', 'show', created.id, '--data-dir', serve.dataDir])
    expect(shown.code).toBe(0)
    expect(shown.stdout).toContain("what Elastic's Zoom integration indexes")
    expect(shown.stdout).toContain('"action": "meeting.created"')
    expect(shown.stdout).not.toContain('hunter2-meeting')
    expect((await runCli(['deliveries', 'show', created.id, '--data-dir', serve.dataDir, '--show-secrets'])).stdout).toContain('hunter2-meeting')
    // By the start of its id, as simulate shows one ("duplicate of 4df8a672").
    const byStart = await runCli(['deliveries', 'show', created.id.slice(0, 8), '--data-dir', serve.dataDir, '--json'])
    expect(JSON.parse(byStart.stdout).entry.id).toBe(created.id)
    const stale = entries.find((entry) => entry.eventType === 'meeting.ended')!
    const refused = await runCli(['deliveries', 'show', stale.id, '--data-dir', serve.dataDir])
    expect(refused.stdout).toContain(`zoomctl replay --from refused --id ${stale.id}`)
    const missing = await runCli(['deliveries', 'show', 'nope', '--data-dir', serve.dataDir, '--json'])
    expect(missing.code).toBe(2)
    expect(JSON.parse(missing.stdout).error).toMatchObject({code: 'not-found'})
  })

  it('--follow prints new deliveries as serve stores them', async () => {
    const child = spawn(process.execPath, [BIN, 'deliveries', serve.dataDir, '--follow', '--json'], {stdio: ['ignore', 'pipe', 'ignore']})
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
    await new Promise((resolve) => setTimeout(resolve, 1500))
    await runCli(['simulate', 'webinar.started', '--url', serve.url])
    const deadline = Date.now() + 10_000
    while (!out.includes('webinar.started') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100))
    child.kill('SIGINT')
    const lines = out.trim().split('\n').map((line) => JSON.parse(line) as {eventType: string})
    expect(lines.map((line) => line.eventType)).toEqual(['webinar.started'])

    // Asked for by verdict, the requests refused as unauthenticated too (a wrong Secret Token, the usual first failure), as they come.
    const rejected = spawn(process.execPath, [BIN, 'deliveries', serve.dataDir, '--follow', '--json', '--verdict', 'rejected', '--verdict', 'refused'], {stdio: ['ignore', 'pipe', 'ignore']})
    let seen = ''
    rejected.stdout.on('data', (chunk: Buffer) => (seen += chunk.toString()))
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect((await runCli(['simulate', 'meeting.ended', '--url', serve.url, '--secret-token', 'not-the-token'])).code).toBe(1)
    const until401 = Date.now() + 10_000
    while (!seen.includes('meeting.ended') && Date.now() < until401) await new Promise((resolve) => setTimeout(resolve, 100))
    rejected.kill('SIGINT')
    expect(seen.trim().split('\n').map((line) => JSON.parse(line) as {verdict: string; eventType: string; status: number})).toEqual([
      expect.objectContaining({verdict: 'rejected', eventType: 'meeting.ended', status: 401, reason: 'signature-mismatch'}),
    ])

    // For a person, it says what it waits on, and when the data dir is not there yet, that serve makes it.
    const waiting = spawn(process.execPath, [BIN, 'deliveries', '--follow', '--data-dir', join(tempDir(), 'not-yet')], {stdio: ['ignore', 'ignore', 'pipe'], env: {...process.env, ...ISOLATED, NO_COLOR: '1'}})
    let said = ''
    waiting.stderr.on('data', (chunk: Buffer) => (said += chunk.toString()))
    const until = Date.now() + 10_000
    while (!said.includes('Ctrl-C') && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50))
    waiting.kill('SIGINT')
    expect(said).toContain('not there yet: serve creates it when it starts')
  })
})

describe('a well-made CLI', () => {
  it('answers --version and -v before loading oclif, with the very line of oclif\'s version command', async () => {
    const fromOclif = await runCli(['version'])
    expect(fromOclif.stdout).toMatch(/^zoomctl\/\d+\.\d+\.\d+ \S+-\S+ node-v\d+/)
    for (const flag of ['--version', '-v']) expect((await runCli([flag])).stdout).toBe(fromOclif.stdout)
  })

  it('names a mistyped command as typed, with spaces, and the nearest one, piped too; bad input: exit 2, JSON under --json', async () => {
    const typo = await runCli(['events', 'shw'])
    expect(typo.stderr).toContain('"events shw" is not a zoomctl command')
    expect(typo.stderr).toContain('did you mean zoomctl events show?')
    expect(typo.stderr).toContain('zoomctl help events')
    expect(typo.code).toBe(2)
    const json = await runCli(['simulte', '--json'])
    expect(json.code).toBe(2)
    expect(JSON.parse(json.stdout)).toEqual({error: {code: 'unknown-command', message: '"simulte" is not a zoomctl command', hint: 'did you mean zoomctl simulate? zoomctl help lists the commands'}})
  })

  it('suggests the flag or setting meant: an edit away, two letters swapped, or the flags a word begins', async () => {
    expect((await runCli(['simulate', '--jsn'])).stderr).toContain('did you mean --json?')
    const retry = await runCli(['simulate', 'meeting.started', '--retry', '2', '--dry-run'])
    expect(retry.code).toBe(2)
    expect(retry.stderr).toContain('did you mean --retries or --retry-spacing?')
    const setting = await runCli(['config', 'set', 'prot', '8181', '--config', join(tempDir(), 'zoomctl.yaml'), '--json'])
    expect(setting.code).toBe(2)
    expect(JSON.parse(setting.stdout).error.hint).toContain('did you mean port?')
  })

  it("the README agrees with package.json's engines, keeps the quickstart's files out of git, and says how to use a tunnel", () => {
    const root = join(import.meta.dirname, '../..')
    const readme = readFileSync(join(root, 'README.md'), 'utf8')
    const engines = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {engines: {node: string}}).engines.node
    expect(readme).toContain(`Node ${engines.replace(/^>=/, '')} or later (package.json's \`engines\`)`)
    expect(readme).not.toMatch(/Node 20 or later/)
    expect(readFileSync(join(root, '.gitignore'), 'utf8').split('\n')).toEqual(expect.arrayContaining(['zoomctl-data/', 'run.ndjson']))
    expect(readme).toContain('### No public HTTPS endpoint? A tunnel in front of serve')
    expect(readme).toContain('cloudflared tunnel --url http://127.0.0.1:8181')
    expect(readme).toContain('zoomctl doctor https://<tunnel host>/zoom-webhook')
  })

  it("the README's promise: zoomctl's commands take --json and --config; oclif's version and autocomplete only their own flags", async () => {
    const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8').replace(/\s+/g, ' ')
    expect(readme).toContain("oclif's own `help`, `version` (which has `--json`) and `autocomplete` take only the flags their reference lists")
    expect(JSON.parse((await runCli(['version', '--json'])).stdout)).toMatchObject({cliVersion: expect.stringMatching(/^zoomctl\//)})
    for (const args of [['version', '--config', 'x'], ['autocomplete', 'bash', '--json']]) expect((await runCli(args)).code).toBe(2)
  })

  it.each([
    [['meeting.started', '--all'], 'choose the events one way'],
    [['--all', '--category', 'meeting'], 'choose the events one way'],
    [['--file', 'package.json', '--set', 'a=1'], 'a --file is sent byte for byte'],
    [['meeting.started', '--count', '3', '--dry-run'], '--dry-run prints one curl per event type'],
    [['meeting.started', '--count', '3', '--explain'], '--explain'],
    [['--category', 'endpoint'], 'endpoint.url_validation'],
  ])('simulate %j is refused with a reason', async (args, reason) => {
    const result = await runCli(['simulate', ...args, '--json'])
    expect(result.code).toBe(2)
    expect(JSON.parse(result.stdout).error.message).toContain(reason)
  })

  it('counts an answer after 3 s as failed, as Zoom does, and shows rows as they come', async () => {
    const server = createServer((request, response) => {
      request.resume()
      setTimeout(() => response.writeHead(200, {'content-type': 'application/json'}).end('{}'), 3300)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/zoom-webhook`
      const result = await runCli(['simulate', 'meeting.started', '--url', url])
      expect(result.code).toBe(1)
      expect(result.stdout).toMatch(/meeting\.started +200 late/)
      expect(result.stdout).toContain("after Zoom's 3 s")
    } finally {
      server.close()
    }
  })

  it('events map reads NDJSON and - (standard input), a document a line', async () => {
    const serve = await startServe()
    try {
      await runCli(['simulate', 'meeting.started', 'user.signed_in', '--url', serve.url])
      const store = join(serve.dataDir, 'events', readdirSync(join(serve.dataDir, 'events'))[0]!)
      const mapped = await runCli(['events', 'map', '-'], {}, readFileSync(store, 'utf8'))
      expect(mapped.code).toBe(0)
      const lines = mapped.stdout.trim().split('\n').map((line) => JSON.parse(line) as {event: {action: string}})
      expect(lines.map((line) => line.event.action)).toEqual(['meeting.started', 'user.signed_in'])
      const bodies = readStore(serve.dataDir).map((record) => record.rawBody).join('\n')
      expect(JSON.parse((await runCli(['events', 'map', '--json'], {}, bodies)).stdout)).toHaveLength(2)
    } finally {
      await serve.stop()
    }
  })

  it('no secret given as a flag or env var appears in any output or the data dir', async () => {
    const serve = await startServe(['--auth', 'header', '--auth-value', 'SECRET-HEADER-VALUE-42'])
    try {
      const env = {ZOOMCTL_AUTH_VALUE: 'SECRET-HEADER-VALUE-42', ELASTICSEARCH_API_KEY: 'keyid:SECRET-API-KEY-42'}
      const runs = await Promise.all([
        runCli(['simulate', 'meeting.started', '--url', serve.url, '--auth', 'header', '--json'], env),
        runCli(['simulate', 'meeting.started', '--url', serve.url, '--auth', 'header', '--bogus', '--json'], env),
        runCli(['simulate', 'meeting.started', '--url', serve.url, '--auth', 'header', '--dry-run'], env),
        runCli(['validate', '--es-url', 'http://127.0.0.1:1', '--json'], env),
        runCli(['doctor', serve.url, '--allow-http', '--auth', 'header', '--json', '--samples', '1'], env),
        runCli(['serve', '--port', '99999', '--auth-value', 'SECRET-HEADER-VALUE-42', '--json'], env),
      ])
      const everything = runs.map((run) => run.stdout + run.stderr).join('\n') + serve.lines.join('\n') + JSON.stringify(readStore(serve.dataDir))
      expect(everything).not.toContain('SECRET-HEADER-VALUE-42')
      expect(everything).not.toContain('SECRET-API-KEY-42')
      expect(everything).not.toContain(SECRET)
    } finally {
      await serve.stop()
    }
  })
})

describe("Zoom's retries, emulated", () => {
  it('--retries sends the same bytes again, signed afresh: serve stores one and marks the copies', async () => {
    const serve = await startServe()
    try {
      // Signatures have one-second timestamps: a retry more than a second later is signed differently.
      const result = await runCli(['simulate', 'meeting.started', 'meeting.ended', '--url', serve.url, '--retries', '1', '--retry-spacing', '1100ms'])
      expect(result.code).toBe(0)
      expect(result.stdout).toMatch(/meeting\.started \(retry 1\) +200/)
      const stored = readStore(serve.dataDir)
      expect(stored).toHaveLength(4)
      expect(stored.filter((record) => !record.duplicateOf).map((record) => record.eventType)).toEqual(['meeting.started', 'meeting.ended'])
      expect(new Set(stored.map((record) => record.rawBody)).size).toBe(2)
      expect(new Set(stored.map((record) => record.headers['x-zm-signature'])).size).toBe(4)
    } finally {
      await serve.stop()
    }
  })
})

describe('errors a user can act on, one line each', () => {
  it('a URL without a scheme or with another one, a missing or wrong --ca, https to an http server', async () => {
    const noScheme = await runCli(['simulate', 'meeting.started', '--url', '127.0.0.1:8181', '--json'])
    expect(noScheme.code).toBe(2)
    expect(JSON.parse(noScheme.stdout).error).toMatchObject({message: '--url: "127.0.0.1:8181" is not a URL', hint: 'a full URL such as http://127.0.0.1:8181/zoom-webhook'})
    const ftp = await runCli(['simulate', 'meeting.started', '--url', 'ftp://127.0.0.1/x', '--json'])
    expect(JSON.parse(ftp.stdout).error.message).toBe('--url: use http:// or https://, not ftp:')
    const missingCa = await runCli(['simulate', 'meeting.started', '--ca', '/nonexistent.pem', '--json'])
    expect(missingCa.code).toBe(2)
    expect(JSON.parse(missingCa.stdout).error.message).toBe('--ca: cannot read /nonexistent.pem: no such file or directory (ENOENT)')
    const keyAsCa = await runCli(['simulate', 'meeting.started', '--ca', join(import.meta.dirname, '../../package.json'), '--json'])
    expect(JSON.parse(keyAsCa.stdout).error.message).toContain('is not a PEM certificate')
    const serve = await startServe()
    try {
      const https = await runCli(['simulate', 'meeting.started', '--url', serve.url.replace('http:', 'https:')])
      expect(https.code).toBe(1)
      expect(https.stdout).toContain('does not speak TLS on that port: use http://')
      expect(https.stdout.split('\n').every((line) => line.length < 300)).toBe(true)
    } finally {
      await serve.stop()
    }
  })

  it('--file - reads the body from standard input, byte for byte; FORCE_COLOR=0 means no colour; -v and -h work', async () => {
    const serve = await startServe()
    try {
      const body = '{"event": "meeting.started", "event_ts": 1764000000999, "payload": {"account_id": "STDIN", "object": {"id": "1"}}}'
      expect((await runCli(['simulate', '--file', '-', '--url', serve.url], {}, body)).code).toBe(0)
      expect(readStore(serve.dataDir)[0]!.rawBody).toBe(body)
    } finally {
      await serve.stop()
    }
    const plain = await runCli(['events', '--category', 'account'], {FORCE_COLOR: '0', NO_COLOR: ''})
    expect(plain.stdout).not.toContain('\u001b[')
    expect((await runCli(['-v'])).stdout).toMatch(/^zoomctl\/\d+\.\d+\.\d+/)
    expect((await runCli(['serve', '-h'])).stdout).toContain('USAGE')
  })
})

describe('simulate, reproducible and with several files', () => {
  it('--seed with --now gives the same bodies byte for byte, run after run; without --now the times move', async () => {
    const bodies = async (extra: string[]) => {
      const result = await runCli(['simulate', 'meeting.started', 'meeting.participant_joined', '--seed', '7', ...extra, '--dry-run', '--json'])
      return (JSON.parse(result.stdout) as {requests: Array<{body: string}>}).requests.map((request) => request.body)
    }
    const pinned = ['--now', '2026-01-01T00:00:00Z']
    const first = await bodies(pinned)
    expect(await bodies(pinned)).toEqual(first)
    expect((JSON.parse(first[0]!) as {event_ts: number}).event_ts).toBe(Date.parse('2026-01-01T00:00:00Z'))
    await new Promise((resolve) => setTimeout(resolve, 5))
    expect(await bodies([])).not.toEqual(await bodies([]))
  })

  it('--file given twice sends both files, in order, each byte for byte', async () => {
    const dir = tempDir()
    const files = ['{"event":"meeting.started","event_ts":1,"payload":{"object":{"id":"1"}}}', '{"event": "meeting.ended", "event_ts": 2, "payload": {"object": {"id": "1"}}}'].map((body, i) => {
      writeFileSync(join(dir, `${i}.json`), body)
      return join(dir, `${i}.json`)
    })
    const serve = await startServe()
    try {
      expect((await runCli(['simulate', '--file', files[0]!, '--file', files[1]!, '--url', serve.url])).code).toBe(0)
      expect(readStore(serve.dataDir).map((record) => record.rawBody)).toEqual(files.map((file) => readFileSync(file, 'utf8')))
      expect((await runCli(['simulate', '--file', '-', '--file', '-', '--url', serve.url], {}, '{}')).code).toBe(2)
      // A file that is not JSON is still sent as it is (how does the receiver take it?), and its row says so.
      const malformed = await runCli(['simulate', '--file', '-', '--url', serve.url], {}, '{"event": "meeting.started", oops')
      expect(malformed.code).toBe(1)
      expect(malformed.stdout).toMatch(/\(file, not JSON\) +400 .*not JSON/)
      expect(readStore(serve.dataDir, 'refused').map((record) => record.rawBody)).toEqual(['{"event": "meeting.started", oops'])
    } finally {
      await serve.stop()
    }
  })
})

describe('simulate rows', () => {
  it('name the event a --set sent, not the catalog entry it started from', async () => {
    const serve = await startServe()
    try {
      const result = await runCli(['simulate', 'meeting.started', '--set', 'event=meeting.ended', '--url', serve.url])
      expect(result.stdout).toMatch(/^meeting\.ended +200/m)
      expect(readStore(serve.dataDir)[0]!.eventType).toBe('meeting.ended')
    } finally {
      await serve.stop()
    }
  })
})
