import {describe, expect, it} from 'vitest'

import {judgeAuditStreams, judgeReportCall, judgeReportScopes} from '../../src/checks/doctor/report-judge.js'

describe("doctor's judgements of the audit streams", () => {
  it('names the stream and its scope; report:read:admin covers all three; no scope in the answer is left to the calls', () => {
    const granular = judgeReportScopes(['report:read:operation_logs:admin'])
    expect(granular.map((check) => check.status)).toEqual(['fail', 'pass', 'fail'])
    expect(granular[0]!.hint).toContain('report:read:user_activities:admin')
    expect(judgeReportScopes(['report:read:admin']).every((check) => check.status === 'pass')).toBe(true)
    expect(judgeReportScopes([]).every((check) => check.status === 'skip')).toBe(true)
  })

  it('tells a daily cap from a per-second limit, a plan from an audit trail, and a wrong API URL', () => {
    const call = (error: object, stream: 'activity' | 'meeting_activity' = 'activity') => judgeReportCall({stream, day: '2026-12-07', error: {message: '', ...error}})
    expect(call({status: 429, daily: true})).toMatchObject({status: 'fail', hint: expect.stringContaining('00:00 UTC')})
    expect(call({status: 429})).toMatchObject({status: 'warn'})
    expect(call({status: 400, zoomCode: 200, message: 'Only available for Paid account.'})).toMatchObject({status: 'fail', value: 'not available on this plan'})
    expect(call({status: 400, zoomCode: 200, message: 'Meeting audit trail log is not enabled'}, 'meeting_activity')).toMatchObject({value: 'meeting audit trail not enabled'})
    expect(call({status: 404})).toMatchObject({value: 'no such API (404)', hint: expect.stringContaining('/v2')})
    expect(judgeReportCall({stream: 'activity', day: '2026-12-07', records: 3, morePages: true})).toMatchObject({status: 'pass', value: 'answers: 3 record(s), more pages'})
  })

  it('says when no audit stream is on, and how long the first documents can take', () => {
    expect(judgeAuditStreams([])).toMatchObject({status: 'warn', value: 'no Zoom package policy'})
    expect(judgeAuditStreams([{policy: 'zoom-1', stream: 'activity', enabled: false}])).toMatchObject({status: 'warn', value: 'none enabled'})
    expect(
      judgeAuditStreams([
        {policy: 'zoom-1', stream: 'activity', enabled: true, interval: '2h'},
        {policy: 'zoom-1', stream: 'operation', enabled: true, interval: '1d'},
      ]),
    ).toMatchObject({status: 'pass', value: 'activity every 2h, operation every 1d (first documents up to 1d after enabling)'})
  })
})
