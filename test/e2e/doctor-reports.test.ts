import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {runCli} from '../helpers/cli.js'
import {type SimulateApiProcess, startSimulateApi} from '../helpers/report-api.js'
import {KibanaDouble} from '../doubles/kibana.js'

type Report = {checks: Array<{id: string; status: string; value?: string; hint?: string}>}

const CREDENTIALS = {ZOOM_ACCOUNT_ID: 'acct-e2e', ZOOM_CLIENT_ID: 'client-e2e', ZOOM_CLIENT_SECRET: 'secret-e2e-value'}

async function doctor(api: SimulateApiProcess, extra: string[] = [], env: Record<string, string> = CREDENTIALS): Promise<{code: number; report: Report; stdout: string}> {
  const result = await runCli(['doctor', '--json', '--zoom-api-url', `${api.url}/v2`, '--zoom-token-url', `${api.url}/oauth/token`, ...extra], env)
  return {code: result.code, report: JSON.parse(result.stdout) as Report, stdout: result.stdout}
}

const row = (report: Report, id: string) => report.checks.find((check) => check.id === id)

describe('doctor with the Zoom credentials: the audit streams against simulate-api', () => {
  const apis: SimulateApiProcess[] = []
  const start = async (args: string[]) => {
    const api = await startSimulateApi(['--seed', '2', '--days', '2', ...args], CREDENTIALS)
    apis.push(api)
    return api
  }
  let kibana: KibanaDouble
  beforeAll(async () => {
    kibana = await new KibanaDouble({zoomInstalled: '1.27.2'}).start()
    kibana.policies.push({
      id: 'p1',
      name: 'zoom-1',
      policy_ids: ['policy-1'],
      package: {name: 'zoom', version: '1.27.2'},
      inputs: {
        'zoom-http_endpoint': {enabled: true, streams: {'zoom.webhook': {enabled: true, vars: {}}}},
        'zoom-cel': {enabled: true, streams: {'zoom.activity': {enabled: true, vars: {interval: '24h'}}, 'zoom.operation': {enabled: true, vars: {interval: '12h'}}, 'zoom.meeting_activity': {enabled: false}}},
      },
      secrets: {},
    })
  })
  afterAll(async () => {
    await Promise.all(apis.map((api) => api.stop()))
    await kibana.stop()
  })

  it('a healthy account: token, scopes per stream, one call per report API, and the streams Fleet runs with their interval', async () => {
    const api = await start([])
    const {code, report, stdout} = await doctor(api, ['--kibana-url', kibana.url])
    expect(report.checks.filter((check) => check.status === 'fail')).toEqual([])
    expect(code).toBe(0)
    expect(row(report, 'zoom.token')).toMatchObject({status: 'pass', value: expect.stringContaining('account_credentials')})
    for (const stream of ['activity', 'operation', 'meeting_activity']) {
      expect(row(report, `zoom.scope.${stream}`)).toMatchObject({status: 'pass', value: 'report:read:admin'})
      expect(row(report, `zoom.report.${stream}`)).toMatchObject({status: 'pass', value: expect.stringMatching(/^answers: \d+ record/)})
    }
    expect(row(report, 'fleet.audit-streams')).toMatchObject({status: 'pass', value: 'activity every 24h, operation every 12h (first documents up to 24h after enabling)'})
    // No webhook URL was given: none of the endpoint's checks ran.
    expect(row(report, 'dns')).toBeUndefined()
    expect(stdout).not.toContain('secret-e2e-value')
  })

  it('a missing scope names the stream and the scope; 4711 from the API says the same', async () => {
    const api = await start(['--scope', 'report:read:user_activities:admin report:read:meeting_activity_log:admin'])
    const {code, report} = await doctor(api)
    expect(code).toBe(1)
    expect(row(report, 'zoom.scope.activity')?.status).toBe('pass')
    expect(row(report, 'zoom.scope.operation')).toMatchObject({status: 'fail', value: 'neither report:read:admin nor report:read:operation_logs:admin'})
    expect(row(report, 'zoom.report.operation')).toMatchObject({status: 'fail', value: 'missing scope (4711)', hint: expect.stringContaining('report:read:operation_logs:admin')})
    expect(row(report, 'zoom.report.meeting_activity')?.status).toBe('pass')
  })

  it("the daily cap: each stream's call says it in plain words, with when it resets", async () => {
    const api = await start(['--daily-limit', '1'])
    const {code, report} = await doctor(api)
    expect(code).toBe(1)
    expect(row(report, 'zoom.report.activity')?.status).toBe('pass')
    expect(row(report, 'zoom.report.operation')).toMatchObject({status: 'fail', value: "Zoom's daily limit is used up (429)", hint: expect.stringContaining('00:00 UTC')})
  })

  it('a free plan and a meeting audit trail Zoom Support has not enabled', async () => {
    const free = await doctor(await start(['--plan', 'basic']))
    expect(row(free.report, 'zoom.report.activity')).toMatchObject({status: 'fail', value: 'not available on this plan', hint: expect.stringContaining('Pro plan')})
    const noTrail = await doctor(await start(['--no-audit-trail']))
    expect(row(noTrail.report, 'zoom.report.activity')?.status).toBe('pass')
    expect(row(noTrail.report, 'zoom.report.meeting_activity')).toMatchObject({status: 'fail', value: 'meeting audit trail not enabled', hint: expect.stringContaining('Zoom Support')})
  })

  it('wrong credentials fail the token row in plain words, and no URL nor credentials is bad input', async () => {
    const api = await start([])
    const wrong = await doctor(api, [], {...CREDENTIALS, ZOOM_CLIENT_SECRET: 'not-it'})
    expect(wrong.code).toBe(1)
    expect(row(wrong.report, 'zoom.token')).toMatchObject({status: 'fail'})
    expect(JSON.stringify(wrong.report)).not.toContain('not-it')
    const nothing = await runCli(['doctor'])
    expect(nothing.code).toBe(2)
    expect(nothing.stderr).toContain('give the webhook URL')
  })
})
