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

describe("doctor's reading of a zoomctl serve's /healthz", () => {
  it('says whether serve passes deliveries on, and why not', async () => {
    const {judgeServeForwarding} = await import('../../src/checks/doctor/judge.js')
    expect(judgeServeForwarding(undefined)[0]).toMatchObject({status: 'skip'})
    expect(judgeServeForwarding({})[0]).toMatchObject({status: 'warn', value: 'no: it keeps them in its store only'})
    const [fine, failing, behind] = judgeServeForwarding({
      forwarding: [
        {sink: 'elasticsearch', state: 'ok', forwarded: 12, deadLetters: 0, lag: {records: 0, oldestPendingAgeSeconds: 0}},
        {sink: 'agent', state: 'paused', forwarded: 3, deadLetters: 1, lag: {records: 40, oldestPendingAgeSeconds: 600}, lastError: 'the agent answered 401\u001b[2J'},
        {sink: 'elasticsearch', state: 'ok', forwarded: 5, lag: {records: 900, oldestPendingAgeSeconds: 120}},
      ],
    })
    expect(fine).toMatchObject({status: 'pass', value: 'ok: 12 forwarded, 0 waiting'})
    expect(failing).toMatchObject({status: 'fail', value: 'paused: 3 forwarded, 40 waiting (oldest 600 s)'})
    expect(failing!.hint).toBe("the agent answered 401\u001b[2J: deliveries wait in serve's store and go once agent takes them")
    expect(failing!.details).toEqual([expect.stringContaining('1 refused for good')])
    expect(behind).toMatchObject({status: 'warn'})
    // Ok, but the test event had not gone after doctor's wait.
    const [stalled] = judgeServeForwarding({forwarding: [{sink: 'agent', state: 'ok', forwarded: 3, lag: {records: 1}}]}, {stalled: ['agent'], waitedMs: 3000})
    expect(stalled).toMatchObject({status: 'warn', hint: 'the test event had not left serve after 3 s: agent is slow to answer, or serve is behind'})
  })
})

describe("doctor's reading of a refused signature", () => {
  it("takes a zoomctl serve's 503 to a mismatched signature (--retry-mismatched) for another secret token, not a server error", async () => {
    const {judgeTestEvent} = await import('../../src/checks/doctor/judge.js')
    const sample = {status: 503, body: '{"error":"signature does not match the body and the secret token","reason":"signature-mismatch"}', timings: {total: 3}}
    expect(judgeTestEvent(sample, undefined, 'zoomctl').hint).toContain('the endpoint holds another secret token')
    expect(judgeTestEvent({...sample, body: '{"error":"storage unavailable","reason":"store-failed"}'}, undefined, 'zoomctl').hint).toContain('Zoom will retry a 5xx')
  })
})
