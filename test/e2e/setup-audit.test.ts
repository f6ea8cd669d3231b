import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {KibanaDouble} from '../doubles/kibana.js'
import {runCli, tempDir} from '../helpers/cli.js'

const doubles: KibanaDouble[] = []
afterEach(async () => Promise.all(doubles.splice(0).map((double) => double.stop())))

const ZOOM = {ZOOM_ACCOUNT_ID: 'acct-setup', ZOOM_CLIENT_ID: 'client-setup', ZOOM_CLIENT_SECRET: 'zoom-client-secret-value'}

function args(double: KibanaDouble, extra: string[]): string[] {
  return [
    'setup', '--yes', '--no-zoom', '--config', join(tempDir(), 'zoomctl.yaml'), '--port', '0', '--destination', 'agent', '--forward-to', 'http://127.0.0.1:8182/zoom-webhook',
    '--secret-token', 'zoom-app-secret-token', '--agent-secret', 'agent-header-secret', '--kibana-url', double.url, '--kibana-api-key', 'kbn-key', '--json', ...extra,
  ]
}

describe('setup offers the audit streams', () => {
  it('enables the chosen streams with the Zoom credentials it has, pointed at a simulate-api in test mode, the secret as a Fleet secret', async () => {
    const double = await new KibanaDouble({apiKey: 'kbn-key', zoomInstalled: '1.27.2'}).start()
    doubles.push(double)
    const result = await runCli(args(double, ['--audit-streams', 'activity,operation', '--audit-url', 'http://192.0.2.7:9180']), ZOOM)
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).not.toContain('zoom-client-secret-value')
    const report = JSON.parse(result.stdout) as {kibana: {auditStreams: string[]; sent: {vars: Record<string, unknown>}}; next: string[]}
    expect(report.kibana.auditStreams).toEqual(['activity', 'operation'])
    expect(report.kibana.sent.vars.client_secret).toBe('********')
    expect(report.next.join('\n')).toContain('zoomctl validate --data-stream activity')
    const policy = double.policies[0]!
    expect(policy.vars).toMatchObject({url: 'http://192.0.2.7:9180', token_url: 'http://192.0.2.7:9180', account_id: 'acct-setup', client_id: 'client-setup', client_secret: {isSecretRef: true}})
    expect(policy.secrets.client_secret).toBe('zoom-client-secret-value')
    expect(policy.inputs['zoom-cel']).toEqual({enabled: true, streams: {'zoom.activity': {enabled: true}, 'zoom.operation': {enabled: true}, 'zoom.meeting_activity': {enabled: false}}})

    // doctor reads them back from Fleet.
    const doctor = await runCli(['doctor', 'http://127.0.0.1:9/zoom-webhook', '--allow-http', '--json', '--no-test-event', '--samples', '1', '--timeout', '2s', '--kibana-url', double.url, '--kibana-api-key', 'kbn-key', '--zoom-api-url', 'http://127.0.0.1:9/v2', '--zoom-token-url', 'http://127.0.0.1:9/oauth/token'], ZOOM)
    const rows = (JSON.parse(doctor.stdout) as {checks: Array<{id: string; status: string; value?: string}>}).checks
    expect(rows.find((row) => row.id === 'fleet.audit-streams')).toMatchObject({status: 'pass', value: expect.stringContaining('activity every 24h, operation every 24h')})
    expect(rows.find((row) => row.id === 'zoom.token')?.status).toBe('fail')
  })

  it('without the Zoom credentials, or with a stream that does not exist, it is bad input and sends nothing', async () => {
    const double = await new KibanaDouble({apiKey: 'kbn-key', zoomInstalled: '1.27.2'}).start()
    doubles.push(double)
    const missing = await runCli(args(double, ['--audit-streams', 'activity']), {ZOOM_ACCOUNT_ID: '', ZOOM_CLIENT_ID: '', ZOOM_CLIENT_SECRET: ''})
    expect(missing.code).toBe(2)
    expect(missing.stdout).toContain('ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET not given')
    const unknown = await runCli(args(double, ['--audit-streams', 'activity,logins']), ZOOM)
    expect(unknown.code).toBe(2)
    expect(unknown.stdout).toContain('logins is not an audit stream')
    expect(double.policies).toHaveLength(0)
    // --audit-streams none, or no flag with --yes: the webhook input alone, as before.
    const none = await runCli(args(double, []), ZOOM)
    expect(none.code, none.stderr).toBe(0)
    expect(double.policies[0]!.inputs['zoom-cel']).toEqual({enabled: false})
  })
})
