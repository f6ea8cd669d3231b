import {existsSync, readFileSync, statSync} from 'node:fs'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {ElasticsearchDouble} from '../doubles/elasticsearch.js'
import {KibanaDouble} from '../doubles/kibana.js'
import {BIN, ISOLATED, runCli, startServe, tempDir} from '../helpers/cli.js'
import {runInTerminal} from '../helpers/pty.js'

const doubles: KibanaDouble[] = []
afterEach(async () => Promise.all(doubles.splice(0).map((double) => double.stop())))

async function kibana(options: ConstructorParameters<typeof KibanaDouble>[0] = {}): Promise<KibanaDouble> {
  const double = await new KibanaDouble({apiKey: 'kbn-key', ...options}).start()
  doubles.push(double)
  return double
}

describe('setup without a terminal', () => {
  it('never waits: it names every answer that is missing, exit 2', async () => {
    const result = await runCli(['setup', '--config', join(tempDir(), 'zoomctl.yaml'), '--json'])
    expect(result.code).toBe(2)
    const message = JSON.parse(result.stdout).error.message as string
    expect(message).toContain('--destination (or --yes for its default)')
    expect(message).toContain('--secret-token')
  })

  it('--yes writes the defaults to a 0600 file that serve then reads', async () => {
    const path = join(tempDir(), 'conf', 'zoomctl.yaml')
    const result = await runCli(['setup', '--yes', '--config', path, '--port', '0'])
    expect(result.code, result.stderr).toBe(0)
    expect(statSync(path).mode & 0o777).toBe(0o600)
    const text = readFileSync(path, 'utf8')
    expect(text).toMatch(/^port: 0$/m)
    expect(text).toMatch(/^path: \/zoom-webhook$/m)
    expect(result.stdout).toContain('In the Zoom App Marketplace')
    expect(result.stdout).toContain('zoomctl doctor')
    const serve = await startServe(['--config', path], {ZOOM_WEBHOOK_SECRET_TOKEN: ''})
    await serve.stop()
    expect(JSON.parse(serve.lines[0]!)).toMatchObject({url: expect.stringMatching(/\/zoom-webhook$/)})
    // Run again for another destination: the Secret Token stays (Zoom signs with it), the old destination goes.
    const token = /^secret-token: (.+)$/m.exec(text)![1]
    await runCli(['config', 'set', 'es-url', 'http://127.0.0.1:9', '--config', path])
    const again = await runCli(['setup', '--yes', '--config', path, '--destination', 'agent'])
    expect(again.code, again.stderr).toBe(0)
    const rewritten = readFileSync(path, 'utf8')
    expect(rewritten).toContain(`secret-token: ${token}`)
    expect(rewritten).toContain('forward-to: http://127.0.0.1:8182/zoom-webhook')
    expect(rewritten).not.toContain('es-url')
    expect(again.stdout).toContain('removed: es-url')
    expect(again.stdout).toContain('generated: agent-secret (')
  })

  it('refuses answers that cannot work: a port in use, a key that is not the certificate\'s', async () => {
    const serve = await startServe()
    try {
      const port = new URL(serve.url).port
      const busy = await runCli(['setup', '--yes', '--config', join(tempDir(), 'z.yaml'), '--port', port, '--json'])
      expect(busy.code).toBe(2)
      expect(JSON.parse(busy.stdout).error.message).toContain(`port ${port} is in use`)
    } finally {
      await serve.stop()
    }
    const wrongKey = await runCli(['setup', '--yes', '--config', join(tempDir(), 'z.yaml'), '--port', '0', '--tls', 'certificate', '--tls-cert', 'package.json', '--tls-key', 'package.json', '--json'])
    expect(wrongKey.code).toBe(2)
    expect(JSON.parse(wrongKey.stdout).error.message).toContain('not a PEM certificate')
  })
})

describe('setup for Elasticsearch', () => {
  it('takes no API key for a cluster without security, a user instead of a key, and says so when the cluster wants one', async () => {
    const open = await new ElasticsearchDouble().start()
    const secured = await new ElasticsearchDouble({auth: {apiKey: {id: 'k', key: 'secret-key'}, username: 'zoom-writer', password: 'writer-secret'}}).start()
    try {
      const path = join(tempDir(), 'zoomctl.yaml')
      const opened = await runCli(['setup', '--yes', '--config', path, '--port', '0', '--destination', 'elasticsearch', '--es-url', open.url, '--json'], {ELASTICSEARCH_API_KEY: ''})
      expect(opened.code, opened.stdout).toBe(0)
      expect(readFileSync(path, 'utf8')).toContain(`es-url: ${open.url}`)
      expect(readFileSync(path, 'utf8')).not.toContain('api-key')
      // A user and password instead of a key: checked against the cluster, then written for serve and validate.
      const userPath = join(tempDir(), 'zoomctl.yaml')
      const asUser = await runCli(['setup', '--yes', '--config', userPath, '--port', '0', '--destination', 'elasticsearch', '--es-url', secured.url, '--username', 'zoom-writer', '--password', 'writer-secret', '--json'], {ELASTICSEARCH_API_KEY: ''})
      expect(asUser.code, asUser.stdout).toBe(0)
      expect(readFileSync(userPath, 'utf8')).toMatch(/^username: zoom-writer$/m)
      expect(readFileSync(userPath, 'utf8')).toMatch(/^password: writer-secret$/m)
      expect(asUser.stdout).not.toContain('writer-secret')
      // What setup reached, and as whom (never the secret).
      expect(JSON.parse(asUser.stdout)).toMatchObject({elasticsearch: {version: expect.any(String), credential: 'user zoom-writer'}})
      expect(JSON.parse(opened.stdout).elasticsearch.credential).toBe('anonymous (no credentials)')
      const refusedPath = join(tempDir(), 'zoomctl.yaml')
      const refused = await runCli(['setup', '--yes', '--config', refusedPath, '--port', '0', '--destination', 'elasticsearch', '--es-url', secured.url, '--json'], {ELASTICSEARCH_API_KEY: ''})
      expect(refused.code).toBe(1)
      expect(JSON.parse(refused.stdout).error).toMatchObject({message: expect.stringContaining('Elasticsearch wants credentials (401)'), hint: 'give an API key (--api-key, ELASTICSEARCH_API_KEY; Kibana makes one under Stack Management → API keys), or --username and --password'})
      expect(existsSync(refusedPath)).toBe(false)
    } finally {
      await open.stop()
      await secured.stop()
    }
  })
})

describe('setup with Kibana Fleet', () => {
  const agentArgs = (double: KibanaDouble, path: string) => [
    'setup', '--yes', '--config', path, '--port', '0', '--destination', 'agent', '--forward-to', 'http://127.0.0.1:8182/zoom-webhook',
    '--secret-token', 'zoom-app-secret-token', '--agent-secret', 'agent-header-secret', '--kibana-url', double.url, '--kibana-api-key', 'kbn-key', '--json',
  ]

  it('installs the integration, adds the webhook input (CRC on, zoom-cel off, secrets as Fleet secrets), and updates it on a re-run', async () => {
    const double = await kibana()
    const path = join(tempDir(), 'zoomctl.yaml')
    const first = await runCli(agentArgs(double, path))
    expect(first.code, first.stdout).toBe(0)
    const report = JSON.parse(first.stdout) as {kibana: {installedNow: boolean; packagePolicy: {action: string; id: string}}}
    expect(report.kibana).toMatchObject({installedNow: true, packagePolicy: {action: 'created'}})
    expect(double.installed).toBe('1.27.2')
    expect(double.policies).toHaveLength(1)
    const policy = double.policies[0]!
    expect(policy.policy_ids).toEqual(['policy-1'])
    expect(policy.inputs['zoom-cel']).toEqual({enabled: false})
    expect(policy.inputs['zoom-http_endpoint']!.streams!['zoom.webhook']!.vars).toMatchObject({
      listen_address: 'localhost', listen_port: 8182, url: '/zoom-webhook', crc_enabled: true, secret_header: 'Authorization', crc_secret: {isSecretRef: true},
    })
    expect(policy.secrets).toEqual({crc_secret: 'zoom-app-secret-token', secret_value: 'agent-header-secret'})
    expect(first.stdout).not.toContain('zoom-app-secret-token')
    expect(double.requests.filter((request) => request.method !== 'GET').every((request) => request.headers['kbn-xsrf'])).toBe(true)
    expect(readFileSync(path, 'utf8')).toContain('forward-header: "Authorization: agent-header-secret"')

    const again = await runCli(agentArgs(double, path))
    expect(JSON.parse(again.stdout).kibana.packagePolicy).toEqual({action: 'updated', id: policy.id})
    expect(double.policies).toHaveLength(1)
  })

  it('signs in to Kibana as a user when there is no API key', async () => {
    const double = await kibana({user: {username: 'elastic', password: 'changeme-kbn'}})
    const path = join(tempDir(), 'zoomctl.yaml')
    const args = agentArgs(double, path).filter((arg) => arg !== '--kibana-api-key' && arg !== 'kbn-key')
    const result = await runCli([...args, '--kibana-username', 'elastic', '--kibana-password', 'changeme-kbn'], {KIBANA_API_KEY: ''})
    expect(result.code, result.stdout).toBe(0)
    expect(double.policies).toHaveLength(1)
    expect(result.stdout).not.toContain('changeme-kbn')
    const wrong = await runCli([...args, '--kibana-username', 'elastic', '--kibana-password', 'wrong'], {KIBANA_API_KEY: ''})
    expect(JSON.parse(wrong.stdout).error.message).toContain('Kibana refused user elastic (401)')
  })

  it('names a missing privilege, a key it needs, and an unknown agent policy', async () => {
    const secured = await kibana()
    const withoutKey = await runCli(agentArgs(secured, join(tempDir(), 'z.yaml')).filter((arg) => arg !== '--kibana-api-key' && arg !== 'kbn-key'), {KIBANA_API_KEY: ''})
    expect(withoutKey.code).toBe(1)
    expect(JSON.parse(withoutKey.stdout).error).toMatchObject({message: expect.stringContaining('Kibana wants credentials (401)'), hint: expect.stringContaining('--kibana-api-key')})
    const readOnly = await kibana({readOnly: true})
    const denied = await runCli(agentArgs(readOnly, join(tempDir(), 'z.yaml')))
    expect(denied.code).toBe(1)
    expect(JSON.parse(denied.stdout).error.hint).toContain('Integrations: All')
    const double = await kibana({zoomInstalled: '1.27.2'})
    const unknown = await runCli([...agentArgs(double, join(tempDir(), 'z.yaml')), '--agent-policy', 'nope'])
    expect(unknown.code).toBe(2)
    expect(JSON.parse(unknown.stdout).error.message).toContain('no agent policy "nope" in Kibana: there are Zoom agents (policy-1)')
  })
})

describe('the setup wizard on a terminal', () => {
  const env = () => ({...process.env, ...ISOLATED, NO_COLOR: '', FORCE_COLOR: '0', ZOOM_WEBHOOK_SECRET_TOKEN: ''})

  it('asks each question, asks again after an invalid answer, and writes the file at the end', async () => {
    const path = join(tempDir(), 'wizard.yaml')
    const terminal = runInTerminal([process.execPath, BIN, 'setup', '--config', path], env())
    // What the screen shows, and what a person types (\r: Enter, the default).
    const conversation: Array<[string | RegExp, string]> = [
      ['Where should Zoom events go?', '\r'],
      ['Listen address', '\r'],
      ['Port', '99999\r'],
      [/a port from 1 to 65535[\s\S]*Port/, '0\r'],
      ['URL path', '\r'],
      ['HTTPS', '\r'],
      ['Authentication on top', '\r'],
      ['Secret Token', '\r'],
      ['Kibana URL', '\r'],
      ['The https URL Zoom will call', '\r'],
    ]
    for (const [prompt, keys] of conversation) {
      await terminal.waitFor(prompt)
      terminal.send(keys)
    }
    expect(await terminal.exited).toBe(0)
    expect(terminal.text()).toContain('settings written to')
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(readFileSync(path, 'utf8')).toMatch(/^port: 0$/m)
  })

  /** Down-arrow presses, then Enter: the nth choice of a select. */
  const choose = (n: number) => `${'\u001b[B'.repeat(n)}\r`
  const upToElasticsearch: Array<[string | RegExp, string]> = [
    ['Where should Zoom events go?', choose(2)],
    ['Listen address', '\r'],
    ['Port', '0\r'],
    ['URL path', '\r'],
    ['HTTPS', '\r'],
    ['Authentication on top', '\r'],
    ['Secret Token', 'my-zoom-secret-token\r'],
  ]
  const unreachable: Array<[string | RegExp, string]> = [
    ['Elasticsearch URL', 'http://127.0.0.1:1\r'],
    ['Elasticsearch API key', '\r'],
    ['Elasticsearch user', '\r'],
  ]
  async function talk(terminal: ReturnType<typeof runInTerminal>, conversation: Array<[string | RegExp, string]>): Promise<void> {
    for (const [prompt, keys] of conversation) {
      await terminal.waitFor(prompt, 45_000)
      terminal.send(keys)
    }
  }

  it('checks Elasticsearch right after its URL and credentials: enter again, keep anyway; a late Kibana failure keeps the answers', async () => {
    const path = join(tempDir(), 'wizard.yaml')
    const terminal = runInTerminal([process.execPath, BIN, 'setup', '--config', path], {...env(), ELASTICSEARCH_API_KEY: '', KIBANA_API_KEY: ''})
    await talk(terminal, [
      ...upToElasticsearch,
      ...unreachable,
      // Checked at once, before the Kibana question: what failed, and the three ways on.
      [/refused the connection[\s\S]*What now\?/, '\r'],
      // Asked again from the URL on.
      [/What now\?[\s\S]*Elasticsearch URL/, 'http://127.0.0.1:1\r'],
      [/What now\?[\s\S]*Elasticsearch API key/, '\r'],
      [/What now\?[\s\S]*Elasticsearch user/, '\r'],
      [/(checking the connection[\s\S]*){2}What now\?/, choose(1)],
      ['Kibana URL', 'http://127.0.0.1:1\r'],
      ['Kibana API key', '\r'],
      ['Kibana user', '\r'],
      ['The https URL Zoom will call', '\r'],
    ])
    expect(await terminal.exited).toBe(1)
    expect(terminal.count('checking the connection to http://127.0.0.1:1')).toBe(2)
    expect(terminal.text().indexOf('What now?')).toBeLessThan(terminal.text().indexOf('Kibana URL'))
    // Kibana failed last: everything answered before is in the file, and the error says where.
    const written = readFileSync(path, 'utf8')
    expect(written).toMatch(/^es-url: http:\/\/127\.0\.0\.1:1$/m)
    expect(written).toMatch(/^port: 0$/m)
    expect(written).toMatch(/^secret-token: my-zoom-secret-token$/m)
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(terminal.text()).toContain('(Kibana was not configured)')
    expect(terminal.text()).toContain(`your other answers are saved in ${path}`)
  }, 180_000)

  it('skip leaves Elasticsearch out, writes the rest and says so', async () => {
    const path = join(tempDir(), 'wizard.yaml')
    const terminal = runInTerminal([process.execPath, BIN, 'setup', '--config', path], {...env(), ELASTICSEARCH_API_KEY: ''})
    await talk(terminal, [...upToElasticsearch, ...unreachable, ['What now?', choose(2)], ['Kibana URL', '\r'], ['The https URL Zoom will call', '\r']])
    expect(await terminal.exited).toBe(0)
    expect(terminal.text()).toContain('settings written to')
    expect(terminal.text()).toMatch(/Elasticsearch skipped \(.*refused the connection.*\): events stay in serve's store/)
    const written = readFileSync(path, 'utf8')
    expect(written).not.toContain('es-url')
    expect(written).toMatch(/^port: 0$/m)
  }, 120_000)

  it('Ctrl-C at a question writes nothing and exits 130', async () => {
    const path = join(tempDir(), 'never.yaml')
    const terminal = runInTerminal([process.execPath, BIN, 'setup', '--config', path], env())
    await terminal.waitFor('Where should Zoom events go?')
    terminal.send('\u0003')
    expect(await terminal.exited).toBe(130)
    expect(() => statSync(path)).toThrow()
  })
})
