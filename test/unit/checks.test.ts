import {describe, expect, it} from 'vitest'

import {judgeKeptBack} from '../../src/checks/arrivals.js'
import {judgeFleetPolicies} from '../../src/checks/doctor/judge.js'

describe("checks' judgements", () => {
  it('warns of deliveries serve kept back from Elastic, and names the replay that sends them', () => {
    const since = '2026-11-30T12:00:00.000Z'
    expect(judgeKeptBack({refused: {}, deadLetters: {}}, since)).toEqual([expect.objectContaining({id: 'kept.refused', status: 'pass', value: 'none'})])
    const [refused, dead] = judgeKeptBack({refused: {'stale-timestamp': 2, 'malformed-json': 1}, deadLetters: {elasticsearch: 4}}, since)
    expect(refused).toMatchObject({status: 'warn', value: '3 (2 stale-timestamp, 1 malformed-json)'})
    expect(refused!.hint).toContain(`zoomctl replay --from refused --since ${since}`)
    expect(dead).toMatchObject({id: 'kept.dead-letters', status: 'warn', value: '4 (4 elasticsearch)'})
    expect(dead!.hint).toContain('zoomctl replay --from dead-letter')
  })

  it("judges Fleet's webhook input where Zoom calls, or behind serve where serve forwards", () => {
    const policy = {id: 'p', name: 'zoom-1', vars: {listen_port: 8182, url: '/zoom-webhook', crc_enabled: false, secret_value: 'set'}}
    const url = new URL('https://hooks.example.com/zoom-webhook')
    const facing = judgeFleetPolicies([policy], url, '1.27.2').find((check) => check.id === 'fleet.policy.p')!
    expect(facing.status).toBe('fail')
    expect(facing.hint).toContain('CRC is off')
    expect(facing.details?.join(' ')).toContain('listens on 8182, the URL uses 443')
    const behind = judgeFleetPolicies([policy], url, '1.27.2', new URL('http://127.0.0.1:8182/zoom-webhook')).find((check) => check.id === 'fleet.policy.p')!
    expect(behind).toMatchObject({status: 'pass', value: 'port 8182, path /zoom-webhook, CRC off, behind zoomctl serve'})
    const elsewhere = judgeFleetPolicies([policy], url, '1.27.2', new URL('http://127.0.0.1:9000/zoom-webhook')).find((check) => check.id === 'fleet.policy.p')!
    expect(elsewhere.status).toBe('fail')
    expect(elsewhere.hint).toBe('listens on 8182, serve forwards to 9000')
  })
})
