import {afterEach, describe, expect, it} from 'vitest'

import {fingerprint} from '../../src/mapping/reports/index.js'
import {encodeJson} from '../../src/mapping/reports/index.js'
import {type ReportApi, type ReportApiOptions, type ServedEntry, startReportApi} from '../../src/reports/api-server.js'
import {REPORT_STREAMS, type ReportStream} from '../../src/zoom/reports.js'
import {CelClient, type CelSettings} from '../helpers/cel-client.js'

const CREDENTIALS = {accountId: 'acct-1', clientId: 'client-1', clientSecret: 'secret-1'}
const NOW = new Date('2026-12-07T12:00:00.000Z')
const apis: ReportApi[] = []

async function api(options: Partial<ReportApiOptions> = {}): Promise<ReportApi> {
  const started = await startReportApi({host: '127.0.0.1', port: 0, ...CREDENTIALS, scope: 'report:read:admin', seed: 11, days: 90, perDay: 9, plan: 'pro', auditTrail: true, dailyLimit: 30_000, perSecond: 1000, now: () => NOW, ...options})
  apis.push(started)
  return started
}

function cel(server: ReportApi, stream: ReportStream, settings: Partial<CelSettings> = {}): CelClient {
  return new CelClient({stream, url: server.url, tokenUrl: server.url, ...CREDENTIALS, pageSize: 300, initialIntervalHours: 720, now: () => NOW, ...settings})
}

/** What the API holds in [from day, now]: what a full poll from that day must publish. */
function heldSince(server: ReportApi, stream: ReportStream, fromDay: string): string[] {
  return server.records[stream].filter((timed) => timed.at >= Date.parse(fromDay)).map((timed) => encodeJson(timed.record))
}

afterEach(async () => {
  await Promise.all(apis.splice(0).map((server) => server.close()))
})

describe('simulate-api against a client that pages as the integration’s CEL program', () => {
  it('serves each stream’s records of the initial 720 h once, page by page with next_page_token, in one cycle', async () => {
    const server = await api()
    for (const stream of REPORT_STREAMS) {
      const poll = await cel(server, stream, {pageSize: 7}).poll()
      expect(poll.error).toBeUndefined()
      const expected = heldSince(server, stream, '2026-11-07')
      expect(expected.length).toBeGreaterThan(200)
      expect(poll.records.map(encodeJson).sort()).toEqual(expected.sort())
      expect(poll.requests.some((request) => request.includes('next_page_token='))).toBe(true)
      expect(poll.state.cursor).toEqual({poll_start: '2026-12-07'})
    }
  })

  it('backfills a longer initial interval in 1-month windows, and the next interval asks only from the cursor', async () => {
    const server = await api()
    const client = cel(server, 'operation', {initialIntervalHours: 2160, pageSize: 300})
    const first = await client.poll()
    const windows = new Set(first.requests.map((request) => new URL(request).searchParams.get('from')))
    expect([...windows]).toEqual(['2026-09-08', '2026-10-08', '2026-11-07'])
    // Zoom's [from, to] includes both days, and the next window starts on the last one: its records come
    // twice, which the fingerprint _id makes one document (as the CEL program's comment expects).
    expect(first.records.length).toBeGreaterThan(heldSince(server, 'operation', '2026-09-08').length)
    expect([...new Set(first.records.map(encodeJson))].sort()).toEqual(heldSince(server, 'operation', '2026-09-08').sort())
    const second = await client.poll(first.state)
    expect(second.requests).toHaveLength(1)
    expect(new URL(second.requests[0]!).searchParams.get('from')).toBe('2026-12-07')
  })

  it('takes activity_type as the meeting_activity stream sends it, and refuses one Zoom does not know', async () => {
    const server = await api()
    const started = await cel(server, 'meeting_activity', {activityType: 'Meeting Started'}).poll()
    expect(started.records.length).toBeGreaterThan(10)
    expect(new Set(started.records.map((record) => record.activity_category))).toEqual(new Set(['Meeting Started']))
    const bad = await cel(server, 'meeting_activity', {activityType: 'Coffee'}).poll()
    expect(bad.error?.code).toBe('400')
    expect(JSON.parse(bad.error!.message.replace(/^[^{]*/, ''))).toMatchObject({code: 300, errors: [{field: 'activity_type'}]})
  })

  it('answers past the per-second limit with a 429; the window is retried at the next interval and nothing is lost or doubled', async () => {
    let clock = NOW.getTime()
    const server = await api({perSecond: 3, now: () => new Date(clock)})
    const client = cel(server, 'activity', {pageSize: 100, now: () => new Date(clock)})
    // Another app of the account has used one call of this second's budget (the limit is per account).
    const token = ((await (await fetch(`${server.url}/oauth/token`, {method: 'POST', headers: basic(), body: 'grant_type=account_credentials&account_id=acct-1'})).json()) as {access_token: string}).access_token
    await fetch(`${server.url}/v2/report/activities`, {headers: {authorization: `Bearer ${token}`}})
    const first = await client.poll()
    expect(first.error?.code).toBe('429')
    expect(first.error?.message).toContain('maximum per-second rate limit')
    expect(first.records).toHaveLength(200)
    expect(first.state.cursor).toEqual({poll_start: '2026-11-07'})
    clock += 1000
    const second = await client.poll(first.state)
    expect(second.error).toBeUndefined()
    expect(new URL(second.requests[0]!).searchParams.get('next_page_token')).toBeNull()
    // Elasticsearch keeps one document per _id (the fingerprint of event.original).
    const ids = new Set([...first.records, ...second.records].map((record) => fingerprint(encodeJson(record))))
    expect(ids.size).toBe(heldSince(server, 'activity', '2026-11-07').length)
  })

  it('the daily cap: a 429 with Daily-limit and a Retry-After of the next 00:00 UTC, Zoom’s words', async () => {
    const entries: ServedEntry[] = []
    const server = await api({dailyLimit: 2, onRequest: (entry) => entries.push(entry)})
    const poll = await cel(server, 'activity', {pageSize: 5}).poll()
    expect(poll.records).toHaveLength(10)
    expect(poll.error?.code).toBe('429')
    expect(poll.error?.message).toContain('maximum daily rate limit')
    const token = await (await fetch(`${server.url}/oauth/token`, {method: 'POST', headers: basic(), body: 'grant_type=account_credentials&account_id=acct-1'})).json() as {access_token: string}
    const capped = await fetch(`${server.url}/v2/report/operationlogs?from=2026-12-01&to=2026-12-07`, {headers: {authorization: `Bearer ${token.access_token}`}})
    expect(capped.status).toBe(429)
    expect(capped.headers.get('x-ratelimit-type')).toBe('Daily-limit')
    expect(capped.headers.get('retry-after')).toBe('Tue, 08 Dec 2026 00:00:00 GMT')
    expect(entries.filter((entry) => entry.status === 429)).toHaveLength(2)
  })
})

function basic(id = CREDENTIALS.clientId, secret = CREDENTIALS.clientSecret): Record<string, string> {
  return {authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded'}
}

describe('simulate-api’s OAuth and refusals, as Zoom answers them', () => {
  it('issues a bearer token for the right account credentials only', async () => {
    const server = await api()
    const ok = await fetch(`${server.url}/oauth/token`, {method: 'POST', headers: basic(), body: 'grant_type=account_credentials&account_id=acct-1'})
    expect(ok.status).toBe(200)
    expect(await ok.json()).toMatchObject({token_type: 'bearer', expires_in: 3600, scope: 'report:read:admin', access_token: expect.any(String)})
    // The parameters may also come in the query (api.md C1).
    expect((await fetch(`${server.url}/oauth/token?grant_type=account_credentials&account_id=acct-1`, {method: 'POST', headers: basic()})).status).toBe(200)
    const wrongSecret = await fetch(`${server.url}/oauth/token`, {method: 'POST', headers: basic('client-1', 'nope'), body: 'grant_type=account_credentials&account_id=acct-1'})
    expect([wrongSecret.status, await wrongSecret.json()]).toEqual([401, {reason: 'Invalid client_id or client_secret', error: 'invalid_client'}])
    const wrongGrant = await fetch(`${server.url}/oauth/token`, {method: 'POST', headers: basic(), body: 'grant_type=client_credentials'})
    expect((await wrongGrant.json()) as object).toMatchObject({error: 'unsupported_grant_type'})
    const wrongAccount = await fetch(`${server.url}/oauth/token`, {method: 'POST', headers: basic(), body: 'grant_type=account_credentials&account_id=other'})
    expect((await wrongAccount.json()) as object).toMatchObject({error: 'invalid_request'})
  })

  it('refuses a missing or unknown token (124), a missing scope (4711, named), page_size over 300, a range over a month, a free plan and a disabled audit trail', async () => {
    const granular = await api({scope: 'report:read:user_activities:admin'})
    const token = ((await (await fetch(`${granular.url}/oauth/token`, {method: 'POST', headers: basic(), body: 'grant_type=account_credentials&account_id=acct-1'})).json()) as {access_token: string}).access_token
    const get = async (server: ReportApi, path: string, bearer = token) => {
      const response = await fetch(`${server.url}${path}`, {headers: {authorization: `Bearer ${bearer}`}})
      return [response.status, await response.json()] as const
    }
    expect(await get(granular, '/v2/report/activities?from=2026-12-01&to=2026-12-07', 'forged')).toEqual([401, {code: 124, message: 'Invalid access token.'}])
    expect((await get(granular, '/v2/report/activities?from=2026-12-01&to=2026-12-07'))[0]).toBe(200)
    const [status, body] = await get(granular, '/v2/report/operationlogs?from=2026-12-01&to=2026-12-07')
    expect(status).toBe(400)
    expect(body).toEqual({code: 4711, message: 'Invalid access token, does not contain scopes:[report:read:admin, report:read:operation_logs:admin].'})
    expect(await get(granular, '/v2/report/activities?page_size=301')).toMatchObject([400, {code: 300, errors: [{field: 'page_size'}]}])
    expect(await get(granular, '/v2/report/activities?from=2026-10-01&to=2026-12-07')).toMatchObject([400, {code: 300, message: 'The date range cannot exceed one month.'}])
    expect(await get(granular, '/v2/report/activities?from=2026-12-01&to=2026-12-07&next_page_token=made-up')).toMatchObject([400, {code: 300}])

    const free = await api({plan: 'basic'})
    const freeToken = ((await (await fetch(`${free.url}/oauth/token`, {method: 'POST', headers: basic(), body: 'grant_type=account_credentials&account_id=acct-1'})).json()) as {access_token: string}).access_token
    expect(await get(free, '/v2/report/activities', freeToken)).toEqual([400, {code: 200, message: 'Only available for Paid account.'}])
    const noTrail = await api({auditTrail: false})
    const trailToken = ((await (await fetch(`${noTrail.url}/oauth/token`, {method: 'POST', headers: basic(), body: 'grant_type=account_credentials&account_id=acct-1'})).json()) as {access_token: string}).access_token
    expect((await get(noTrail, '/v2/report/meeting_activities', trailToken))[1]).toMatchObject({code: 200, message: expect.stringContaining('audit trail')})
    expect((await get(noTrail, '/v2/report/activities', trailToken))[0]).toBe(200)
  })

  it('makes the same records for a seed, and records without an email when asked', async () => {
    const a = await api({seed: 5, days: 3})
    const b = await api({seed: 5, days: 3, withoutEmail: 2})
    expect(b.records.operation.slice(2)).toEqual(a.records.operation.slice(2))
    expect(b.records.activity[0]!.record.email).toBeUndefined()
    expect(a.records.activity[0]!.record.email).toMatch(/@example\.com$/)
    expect(b.records.meeting_activity[1]!.record.operator_email).toBeUndefined()
    expect(a.records.activity.every((timed) => typeof timed.record.ip_address === 'string')).toBe(true)
  })
})
