import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {runCli, tempDir} from '../helpers/cli.js'
import {CelClient} from '../helpers/cel-client.js'
import {startSimulateApi} from '../helpers/report-api.js'

describe('zoomctl simulate-api', () => {
  it('serves the three report APIs to a CEL-shaped client with the credentials it shows, and records what it served', async () => {
    const record = join(tempDir(), 'served.ndjson')
    const api = await startSimulateApi(['--seed', '4', '--days', '10', '--per-day', '5', '--record', record])
    try {
      expect(api.listening).toMatchObject({seed: 4, records: {activity: expect.any(Number), operation: expect.any(Number), meeting_activity: expect.any(Number)}})
      const {accountId, clientId, clientSecret} = api.listening.madeUp
      const poll = await new CelClient({stream: 'operation', url: api.url, tokenUrl: api.url, accountId: accountId!, clientId: clientId!, clientSecret: clientSecret!, pageSize: 20, initialIntervalHours: 720}).poll()
      expect(poll.error).toBeUndefined()
      expect(poll.records.length).toBe(api.listening.records.operation)
      expect(api.lines.filter((line) => line.type === 'served' && line.status === 200).length).toBe(poll.requests.length)
    } finally {
      expect(await api.stop()).toBe(0)
    }
    const served = readFileSync(record, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as {format: string; stream: string; record: {operator?: string}})
    expect(served.length).toBe(api.listening.records.operation)
    expect(served[0]).toMatchObject({format: 'zoomctl.served/1', stream: 'operation', record: {operator: expect.stringContaining('@')}})
  })

  it('accepts only the credentials it is given, and never shows a given secret', async () => {
    const api = await startSimulateApi(['--seed', '1'], {ZOOM_ACCOUNT_ID: 'acct', ZOOM_CLIENT_ID: 'id', ZOOM_CLIENT_SECRET: 'given-secret-value'})
    try {
      expect(api.listening.madeUp).toEqual({})
      expect(JSON.stringify(api.lines)).not.toContain('given-secret-value')
      const refused = await fetch(`${api.url}/oauth/token`, {method: 'POST', headers: {authorization: `Basic ${Buffer.from('id:other').toString('base64')}`}, body: new URLSearchParams({grant_type: 'account_credentials', account_id: 'acct'})})
      expect(refused.status).toBe(401)
    } finally {
      await api.stop()
    }
    const help = await runCli(['simulate-api', '--help'])
    expect(help.stdout).toContain('--no-audit-trail')
  })
})
