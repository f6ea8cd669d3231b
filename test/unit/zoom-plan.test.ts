import {describe, expect, it} from 'vitest'

import {zoomApiError} from '../../src/zoom/api/errors.js'
import {describeRetryAfter, isDailyLimit, retryAfterMs} from '../../src/zoom/api/retry-after.js'
import type {EventSubscription} from '../../src/zoom/api/subscriptions.js'
import {mappedCategories, selectEvents} from '../../src/zoom/subscription/desired.js'
import {planSubscription} from '../../src/zoom/subscription/plan.js'

const desired = {name: 'zoomctl', url: 'https://hooks.example.com/zoom-webhook', events: ['meeting.ended', 'meeting.started']}
const ours = (fields: Partial<EventSubscription> = {}): EventSubscription => ({id: 'A', name: 'zoomctl', url: desired.url, events: [...desired.events], createdSource: 'openapi', ...fields})

describe('planSubscription', () => {
  it('nothing there: create', () => {
    const plan = planSubscription(desired, [])
    expect(plan.steps).toEqual([{action: 'create', desired}])
    expect(plan.writes).toBe(1)
  })

  it('the same URL and events, in any order and with a trailing slash: unchanged, no writes', () => {
    const plan = planSubscription(desired, [ours({url: `${desired.url}/`, events: ['meeting.started', 'meeting.ended']})])
    expect(plan.steps).toEqual([{action: 'unchanged', current: expect.objectContaining({id: 'A'})}])
    expect(plan.writes).toBe(0)
  })

  it('a changed URL: replace, saying from where', () => {
    const plan = planSubscription(desired, [ours({url: 'https://old.example.com/zoom-webhook'})])
    expect(plan.steps[0]).toMatchObject({action: 'replace', reasons: ['URL changed'], urlFrom: 'https://old.example.com/zoom-webhook', added: [], removed: []})
    expect(plan.writes).toBe(2)
  })

  it('changed events: replace, naming the events added and removed', () => {
    const plan = planSubscription(desired, [ours({events: ['meeting.started', 'user.created']})])
    expect(plan.steps[0]).toMatchObject({action: 'replace', reasons: ['events changed'], added: ['meeting.ended'], removed: ['user.created']})
  })

  it('a custom header Zoom shows differently: replace; one it does not show: not a change', () => {
    const withHeader = {...desired, customHeader: {key: 'x-zoom-secret', value: 'v'}}
    expect(planSubscription(withHeader, [ours({customHeader: {type: 0}})]).steps[0]).toMatchObject({action: 'replace', reasons: ['custom header changed']})
    expect(planSubscription(withHeader, [ours({customHeader: {type: 3, key: 'X-Zoom-Secret'}})]).steps[0]!.action).toBe('unchanged')
    expect(planSubscription(withHeader, [ours()]).steps[0]!.action).toBe('unchanged')
    expect(planSubscription(withHeader, [ours()], {forceReplace: true}).steps[0]).toMatchObject({action: 'replace', reasons: ['asked to replace (--replace)']})
  })

  it('a header name without x-: warned (Zoom may prefix it), and one Zoom shows prefixed is the same', () => {
    const withHeader = {...desired, customHeader: {key: 'Zoom-Secret', value: 'v'}}
    const plan = planSubscription(withHeader, [ours({customHeader: {type: 3, key: 'x-Zoom-Secret'}})])
    expect(plan.steps[0]!.action).toBe('unchanged')
    expect(plan.warnings.join()).toContain('"x-"')
  })

  it('build-flow and foreign subscriptions are reported, never planned; one on the same URL is a warning', () => {
    const buildFlow = ours({id: 'B', name: 'zoomctl', createdSource: 'default'})
    const foreign = ours({id: 'C', name: 'other tool', url: 'https://elsewhere.example.com/'})
    const plan = planSubscription(desired, [buildFlow, foreign])
    expect(plan.steps).toEqual([{action: 'create', desired}])
    expect(plan.buildFlow).toEqual([buildFlow])
    expect(plan.others).toEqual([foreign])
    expect(plan.warnings.join()).toContain('build-flow subscription B')
  })

  it('two of zoomctl\'s name (a replace cut short): keep the matching one, delete the other', () => {
    const plan = planSubscription(desired, [ours({id: 'old', url: 'https://old.example.com/'}), ours({id: 'new'})])
    expect(plan.steps.map((step) => step.action)).toEqual(['unchanged', 'delete'])
    expect(plan.steps[1]).toMatchObject({current: {id: 'old'}})
  })
})

describe('selectEvents', () => {
  it('every mapped category by default, none of them the challenge', () => {
    const all = selectEvents({})
    expect(all).toContain('meeting.started')
    expect(all).not.toContain('endpoint.url_validation')
    expect(mappedCategories()).toEqual(expect.arrayContaining(['meeting', 'webinar', 'recording', 'user', 'account']))
  })

  it('narrowed by category or to exact events; unknown names are bad input', () => {
    expect(selectEvents({categories: ['user']}).every((event) => event.startsWith('user.'))).toBe(true)
    expect(selectEvents({events: ['meeting.started', 'meeting.started']})).toEqual(['meeting.started'])
    expect(() => selectEvents({categories: ['meetings']})).toThrow(/not a category/)
    expect(() => selectEvents({events: ['meeting.begun']})).toThrow(/not an event/)
  })
})

describe('zoomApiError', () => {
  const base = {method: 'POST', path: '/marketplace/app/event_subscription'}
  it.each([
    [400, {code: 4711, message: 'Invalid access token, does not contain scopes:[marketplace:write:event_subscription].'}, 'zoom-missing-scope', 'marketplace:write:event_subscription'],
    [400, {code: 1602, message: 'The event is not allowed for the app: phone.callee_ringing'}, 'zoom-event-not-allowed', 'phone.callee_ringing'],
    [404, {code: 1701, message: 'The event webhook url validate failed: https://x.'}, 'zoom-url-validation-failed', 'challenge'],
    [404, {code: 1401, message: 'APP ID does not exist'}, 'zoom-app-not-found', 'ZOOM_APP_ID'],
    [401, {code: 124, message: 'Invalid access token.'}, 'zoom-invalid-token', 'ZOOM_CLIENT_SECRET'],
    [401, {code: 201, message: 'You do not have permission'}, 'zoom-permission', 'marketplace_app:read'],
    [404, {}, 'zoom-404', '--zoom-api-url'],
    [503, {}, 'zoom-503', 'status.zoom.us'],
  ])('%i %o → %s', (status, body, code, fix) => {
    const error = zoomApiError({...base, status, body})
    expect(error.code).toBe(code)
    expect(`${error.message} ${error.hint}`).toContain(fix)
  })

  it('a 429: per second says when; the daily cap says it is the account\'s for the day', () => {
    expect(zoomApiError({...base, status: 429, body: {}, waitMs: 2000}).hint).toContain('in 2 s')
    const daily = zoomApiError({...base, status: 429, body: {message: 'daily'}, waitMs: 5 * 3_600_000, daily: true})
    expect(daily.code).toBe('zoom-daily-limit')
    expect(daily.hint).toContain('00:00 UTC')
  })

  it('Retry-After in seconds or as a date; daily by header, message or length', () => {
    expect(retryAfterMs({'retry-after': '3'})).toBe(3000)
    expect(retryAfterMs({'retry-after': new Date(10_000).toUTCString()}, 4000)).toBe(6000)
    expect(isDailyLimit({'x-ratelimit-type': 'Daily-limit'}, '', 1000)).toBe(true)
    expect(isDailyLimit({}, 'You have reached the maximum per-second rate limit', 1000)).toBe(false)
    expect(isDailyLimit({}, '', 3_600_000)).toBe(true)
    expect(describeRetryAfter(90 * 60_000, Date.UTC(2026, 0, 1, 22, 0))).toBe('after 23:30 UTC (in 1 h 30 min)')
  })
})
