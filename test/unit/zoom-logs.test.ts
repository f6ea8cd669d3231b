import {describe, expect, it} from 'vitest'

import {judgeWebhookLogs, judgeZoomEvents, judgeZoomSubscription} from '../../src/checks/zoom.js'
import {groupAttempts, verdictOf} from '../../src/reconcile/classify.js'
import {clipToRetention, type WebhookLogEntry} from '../../src/zoom/api/webhook-logs.js'
import {failureKind, groupFailures} from '../../src/zoom/delivery-failures.js'

const url = 'https://hooks.example.com/zoom-webhook'
const entry = (fields: Partial<WebhookLogEntry>): WebhookLogEntry => ({event: 'meeting.started', status: 200, endpoint: url, requestId: 'r1', retryNum: 0, dateTime: '2026-12-07T08:00:00Z', ...fields})

describe('failureKind', () => {
  it.each([
    [{status: 401}, 'http-401', false, 'secret token'],
    [{status: 429}, 'http-429', false, 'rate limit'],
    [{status: 503}, 'http-503', true, 'store'],
    [{status: -1, failedReasonType: 1}, 'reason-1', true, 'answer faster'],
    [{status: -1, failedReasonType: 2}, 'reason-2', true, 'listening'],
    [{status: -1, failedReasonType: 12}, 'reason-12', false, 'certificate'],
    [{status: 302}, 'http-302', false, 'redirect'],
  ])('%o → %s (retried: %s), fix about %s', (given, key, retried, fix) => {
    const kind = failureKind(given as WebhookLogEntry)
    expect(kind).toMatchObject({key, retried})
    expect(kind.fix).toContain(fix)
  })

  it('groups failures, the most frequent first, with the last time and the events', () => {
    const groups = groupFailures([entry({status: 401, dateTime: '2026-12-07T08:01:00Z'}), entry({status: 401, event: 'user.created', dateTime: '2026-12-07T08:03:00Z'}), entry({status: -1, failedReasonType: 1}), entry({})])
    expect(groups.map((group) => [group.key, group.count, group.last])).toEqual([
      ['http-401', 2, '2026-12-07T08:03:00Z'],
      ['reason-1', 1, '2026-12-07T08:00:00Z'],
    ])
    expect(groups[0]!.events).toEqual(['meeting.started', 'user.created'])
  })
})

describe('judgements of Zoom\'s side', () => {
  it('failures after the last success fail; failures before it warn; none pass', () => {
    const failure = entry({status: 401, dateTime: '2026-12-07T09:00:00Z'})
    expect(judgeWebhookLogs([failure], entry({dateTime: '2026-12-07T08:00:00Z'}), url)[0]!.status).toBe('fail')
    expect(judgeWebhookLogs([failure], entry({dateTime: '2026-12-07T10:00:00Z'}), url)[0]!.status).toBe('warn')
    expect(judgeWebhookLogs([entry({status: 401, endpoint: 'https://other.example.com/'})], undefined, url).map((check) => check.status)).toEqual(['pass', 'warn'])
  })

  it('a subscription to another URL names it; missing events are named by category', () => {
    const subscription = {id: 'S', url: 'https://old.example.com/zoom-webhook', events: ['meeting.started']}
    expect(judgeZoomSubscription([subscription], url).check).toMatchObject({status: 'fail', value: "no: the app's subscriptions deliver to https://old.example.com/zoom-webhook"})
    const events = judgeZoomEvents([{...subscription, url}], ['meeting.started', 'meeting.ended', 'user.created'])
    expect(events).toMatchObject({status: 'warn', value: '2 missing: meeting 1, user 1', details: ['meeting: meeting.ended', 'user: user.created']})
  })
})

describe('reconcile verdicts', () => {
  const now = Date.parse('2026-12-07T09:00:00Z')
  it('one delivery per request_id across retries; delivered when any attempt had a 2xx', () => {
    const deliveries = groupAttempts([entry({status: 503, retryNum: 0}), entry({status: 200, retryNum: 1, dateTime: '2026-12-07T08:05:00Z', requestBody: '{"event":"meeting.started"}'}), entry({requestId: 'r2', status: 401})])
    expect(deliveries).toHaveLength(2)
    expect(deliveries[0]).toMatchObject({requestId: 'r1', attempts: 2, delivered: true, body: '{"event":"meeting.started"}'})
    expect(verdictOf(deliveries[0]!, false, now)).toBe('acknowledged-missing')
    expect(verdictOf(deliveries[0]!, true, now)).toBe('arrived')
    expect(verdictOf(deliveries[1]!, false, now)).toBe('failed-for-good')
  })

  it('a retryable failure is pending until its retry is overdue, and after the third retry it is over', () => {
    const [recent] = groupAttempts([entry({status: 503, dateTime: '2026-12-07T08:58:00Z'})])
    expect(verdictOf(recent!, false, now)).toBe('retry-pending')
    const [old] = groupAttempts([entry({status: 503, dateTime: '2026-12-07T07:00:00Z'})])
    expect(verdictOf(old!, false, now)).toBe('failed-for-good')
    const [exhausted] = groupAttempts([0, 1, 2, 3].map((retryNum) => entry({status: 503, retryNum, dateTime: '2026-12-07T08:59:00Z'})))
    expect(verdictOf(exhausted!, false, now)).toBe('failed-for-good')
  })

  it('a window is clipped to the 7 days Zoom keeps', () => {
    const clipped = clipToRetention(new Date(now - 10 * 86_400_000), new Date(now + 60_000), now)
    expect(clipped.clipped).toBe(true)
    expect(clipped.to.getTime()).toBe(now)
    expect(now - clipped.from.getTime()).toBeLessThan(7 * 86_400_000)
  })
})
