import {afterEach, describe, expect, it} from 'vitest'

import {ZoomApiClient} from '../../src/zoom/api/client.js'
import {ZoomOAuthClient} from '../../src/zoom/api/oauth.js'
import {createSubscription, listSubscriptions} from '../../src/zoom/api/subscriptions.js'
import {webhookLogs} from '../../src/zoom/api/webhook-logs.js'
import {ZoomApiDouble, type ZoomApiDoubleOptions} from '../doubles/zoom-api.js'

const doubles: ZoomApiDouble[] = []
const clients: ZoomApiClient[] = []
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()))
  await Promise.all(doubles.splice(0).map((double) => double.stop()))
})

async function setUp(options: ZoomApiDoubleOptions = {}, client: {now?: () => number; sleep?: (ms: number) => Promise<unknown>} = {}) {
  const double = await new ZoomApiDouble(options).start()
  doubles.push(double)
  const {accountId, clientId, clientSecret} = double.options
  const oauth = new ZoomOAuthClient({credentials: {accountId, clientId, clientSecret}, tokenUrl: double.tokenUrl, now: client.now})
  const api = new ZoomApiClient({oauth, baseUrl: double.apiUrl, sleep: client.sleep})
  clients.push(api)
  return {double, api}
}

describe('ZoomApiClient against the Zoom double', () => {
  it('a token Zoom stopped taking (401, code 124) is renewed once and the call goes through', async () => {
    const {double, api} = await setUp()
    expect(await listSubscriptions(api, double.options.accountId)).toEqual([])
    double.revokeTokens()
    expect(await listSubscriptions(api, double.options.accountId)).toEqual([])
    expect(double.requests.filter((request) => request === 'POST /oauth/token')).toHaveLength(2)
  })

  it('an expired token is renewed before Zoom refuses it', async () => {
    let skew = 0
    const {double, api} = await setUp({}, {now: () => Date.now() + skew})
    await listSubscriptions(api, double.options.accountId)
    skew = double.clockSkewMs = 3_600_000
    await listSubscriptions(api, double.options.accountId)
    expect(double.requests.filter((request) => request === 'POST /oauth/token')).toHaveLength(2)
    expect(double.requests.filter((request) => request.startsWith('GET /v2'))).toHaveLength(2)
  })

  it('reads every page (next_page_token)', async () => {
    const {double, api} = await setUp()
    for (let i = 0; i < 130; i++) double.addBuildFlowSubscription({events: ['meeting.started'], url: `https://h${i}.example.com/`})
    expect(await listSubscriptions(api, double.options.accountId)).toHaveLength(130)
    expect(double.requests.filter((request) => request === 'GET /v2/marketplace/app/event_subscription')).toHaveLength(2)
  })

  it('asks again with user_id when Zoom insists on it (the spec says required; unconfirmed)', async () => {
    const {double, api} = await setUp({requireUserId: true})
    double.addBuildFlowSubscription({events: ['meeting.started'], url: 'https://h.example.com/'})
    expect(await listSubscriptions(api, double.options.accountId)).toHaveLength(1)
    expect(await listSubscriptions(api, double.options.accountId)).toHaveLength(1)
    // The first call learns it; the second asks with user_id straight away.
    expect(double.requests.filter((request) => request.startsWith('GET /v2'))).toHaveLength(3)
  })

  it('a per-second 429 waits Retry-After and goes through; the daily cap is an error for the day', async () => {
    const waits: number[] = []
    const {double, api} = await setUp({heavyPerSecond: 1, secretToken: 's'}, {sleep: async (ms) => {
      waits.push(ms)
      await new Promise((resolve) => setTimeout(resolve, ms))
    }})
    // Two creates in the same second: the second is limited, waited for, and made (its URL does not validate: 1701 proves it got through).
    const url = 'http://127.0.0.1:9/zoom-webhook'
    await Promise.allSettled([createSubscription(api, double.options.accountId, {name: 'a', url, events: ['meeting.started']}), createSubscription(api, double.options.accountId, {name: 'b', url, events: ['meeting.started']})])
    expect(waits).toEqual([1000])
    const capped = await setUp({dailyCap: 1})
    await listSubscriptions(capped.api, capped.double.options.accountId)
    await expect(listSubscriptions(capped.api, capped.double.options.accountId)).rejects.toMatchObject({code: 'zoom-daily-limit', hint: expect.stringContaining('00:00 UTC')})
  })

  it("webhook logs: Zoom's date format, the 7-day window, an unknown app ID", async () => {
    const {double, api} = await setUp()
    const now = Date.now()
    await expect(webhookLogs(api, double.options.appId, {from: new Date(now - 3_600_000), to: new Date(now), type: 'all'})).resolves.toEqual([])
    await expect(webhookLogs(api, double.options.appId, {from: new Date(now - 9 * 86_400_000), to: new Date(now), type: 'all'})).rejects.toMatchObject({zoomCode: 1502})
    await expect(webhookLogs(api, 'not-the-app', {from: new Date(now - 3_600_000), to: new Date(now), type: 'all'})).rejects.toMatchObject({code: 'zoom-app-not-found', hint: expect.stringContaining('ZOOM_APP_ID')})
  })

  it('webhook logs need marketplace_app:read (201 in plain words)', async () => {
    const {double, api} = await setUp({tokenScopes: ['marketplace:read:list_event_subscriptions']})
    await expect(webhookLogs(api, double.options.appId, {from: new Date(Date.now() - 60_000), to: new Date(), type: 'failed'})).rejects.toMatchObject({code: 'zoom-permission', hint: expect.stringContaining('marketplace_app:read:admin')})
  })
})
