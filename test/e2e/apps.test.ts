import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {findEvent} from '../../src/catalog/catalog.js'
import {BodyFactory} from '../../src/sender/index.js'
import {AgentDouble} from '../doubles/agent.js'
import {ElasticsearchDouble} from '../doubles/elasticsearch.js'
import {deliver, readStore, runCli, startServe, type ServeProcess, tempDir, waitFor} from '../helpers/cli.js'

const STREAM = 'logs-zoom.webhook-default'
const SALES = 'sales-app-secret-token'
const SUPPORT = 'support-app-secret-token'

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

/** A config file naming two apps, one token from an env var, one from a file, as an operator writes it. */
function configWithTwoApps(): {config: string; env: Record<string, string>} {
  const dir = tempDir()
  const tokenFile = join(dir, 'support-token')
  writeFileSync(tokenFile, `${SUPPORT}\n`, {mode: 0o600})
  const config = join(dir, 'zoomctl.yaml')
  writeFileSync(config, `app-token:\n  sales: env:ZOOM_SALES_TOKEN\n  support: file:${tokenFile}\n`, {mode: 0o600})
  return {config, env: {ZOOM_SALES_TOKEN: SALES}}
}

describe('several Zoom apps on one endpoint', () => {
  it('stores and forwards each delivery with the app whose token signed it, and refuses a third app', async () => {
    const {config, env} = configWithTwoApps()
    const es = await new ElasticsearchDouble().start()
    cleanups.push(() => es.stop())
    const agent = await new AgentDouble().start()
    cleanups.push(() => agent.stop())
    const receiver: ServeProcess = await startServe(['--config', config, '--es-url', es.url, '--forward-to', agent.url], {...env, ZOOM_WEBHOOK_SECRET_TOKEN: ''})
    cleanups.push(() => receiver.stop())
    expect(JSON.parse(receiver.lines[0]!).auth).toContain('apps sales, support')

    // Each app's URL validation is answered with that app's token (simulate checks the encryptedToken).
    for (const app of ['sales', 'support']) {
      const challenge = await runCli(['simulate', 'endpoint.url_validation', '--app', app, '--config', config, '--url', receiver.url, '--json'], {...env, ZOOM_WEBHOOK_SECRET_TOKEN: ''})
      expect(challenge.code, challenge.stdout + challenge.stderr).toBe(0)
    }
    const sales = await runCli(['simulate', 'meeting.started', '--app', 'sales', '--config', config, '--url', receiver.url, '--json'], {...env, ZOOM_WEBHOOK_SECRET_TOKEN: ''})
    expect(sales.code, sales.stderr).toBe(0)
    const support = await runCli(['simulate', 'user.signed_in', '--app', 'support', '--config', config, '--url', receiver.url, '--json'], {...env, ZOOM_WEBHOOK_SECRET_TOKEN: ''})
    expect(support.code, support.stderr).toBe(0)

    // A third app, whose token serve does not have: refused, and nothing kept.
    const third = new BodyFactory(3).body(findEvent('meeting.ended')!)
    expect(await deliver(receiver.url, third, 'third-app-secret-token')).toBe(401)

    const stored = readStore(receiver.dataDir) as Array<{eventType: string; app?: string}>
    expect(stored.map((record) => [record.eventType, record.app])).toEqual([
      ['meeting.started', 'sales'],
      ['user.signed_in', 'support'],
    ])
    expect(readStore(receiver.dataDir, 'refused')).toEqual([])

    await waitFor(() => es.documents(STREAM).length === 2 && agent.received.length === 2, 20_000, 'both deliveries forwarded to both sinks')
    const tagsOf = (action: string) => es.documents(STREAM).find((doc) => (doc.source.event as {action?: string}).action === action)?.source.tags
    expect(tagsOf('meeting.started')).toEqual(['zoom-webhook', 'forwarded', 'zoom-app:sales'])
    expect(tagsOf('user.signed_in')).toEqual(['zoom-webhook', 'forwarded', 'zoom-app:support'])
    const appHeaders = agent.received.map((delivery) => [JSON.parse(delivery.body.toString()).event, delivery.headers['x-zoomctl-app']])
    expect(appHeaders.sort()).toEqual([
      ['meeting.started', 'sales'],
      ['user.signed_in', 'support'],
    ])
    await waitFor(() => receiver.lines.filter((line) => line.includes('"type":"delivery"')).length === 5, 5000, "serve's five delivery lines")
    const lines = receiver.lines.map((line) => JSON.parse(line) as {type: string; result?: string; app?: string; status?: number})
    expect(lines.filter((line) => line.type === 'delivery').map((line) => [line.result, line.app ?? null, line.status])).toEqual([
      ['challenge', 'sales', 200],
      ['challenge', 'support', 200],
      ['accepted', 'sales', 200],
      ['accepted', 'support', 200],
      ['rejected', null, 401],
    ])
  })

  it('says which app is unknown to simulate --app, and refuses a name that is not one', async () => {
    const {config, env} = configWithTwoApps()
    const unknown = await runCli(['simulate', 'meeting.started', '--app', 'marketing', '--config', config, '--dry-run'], env)
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('the apps are sales, support')
    const bad = await runCli(['serve', '--app-token', 'no name', '--port', '0'], env)
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('NAME=SECRET')
    expect(bad.stderr).not.toContain(SALES)
  })
})
