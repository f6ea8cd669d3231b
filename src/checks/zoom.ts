/** Judgements of Zoom's side for doctor, from what Zoom's API said: pure (the calls are in doctor/zoom.ts). */
import type {EventSubscription} from '../zoom/api/subscriptions.js'
import type {WebhookLogEntry} from '../zoom/api/webhook-logs.js'
import {groupFailures} from '../zoom/delivery-failures.js'
import {byCategory} from '../zoom/subscription/desired.js'
import {isBuildFlow, sameUrl} from '../zoom/subscription/plan.js'
import {type Check, fail, pass, warn} from './model.js'

export function judgeZoomCredentials(token: {grant: string; scopes: string[]} | {error: string; hint?: string}): Check {
  if ('error' in token) return fail('zoom.credentials', "Zoom accepts the app's credentials", token.error, token.hint ?? 'check ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET')
  return pass('zoom.credentials', "Zoom accepts the app's credentials", `${token.grant}, ${token.scopes.length} scope${token.scopes.length === 1 ? '' : 's'}`, {data: {scopes: token.scopes}})
}

/** The subscriptions that deliver to `url`; a check that names the URLs Zoom has instead when none does. */
export function judgeZoomSubscription(subscriptions: EventSubscription[], url: string): {check: Check; matching: EventSubscription[]} {
  const matching = subscriptions.filter((subscription) => sameUrl(subscription.url, url))
  const title = `a Zoom event subscription delivers to ${url}`
  if (matching.length) {
    const names = matching.map((subscription) => `${subscription.id}${isBuildFlow(subscription) ? ' (build flow)' : ''}`)
    return {check: pass('zoom.subscription', title, names.join(', '), {data: {subscriptions: matching.map((subscription) => subscription.id)}}), matching}
  }
  const elsewhere = [...new Set(subscriptions.map((subscription) => subscription.url))]
  const check = fail(
    'zoom.subscription',
    title,
    elsewhere.length ? `no: the app's subscriptions deliver to ${elsewhere.join(', ')}` : 'the app has no event subscription',
    elsewhere.length
      ? 'the URL differs (a moved host, path or port?): zoomctl zoom apply --zoom-webhook-url URL replaces zoomctl\'s subscription; a build-flow one is changed in the Marketplace'
      : 'create it: zoomctl setup --zoom, or zoomctl zoom apply --zoom-webhook-url URL',
    {data: {urls: elsewhere}},
  )
  return {check, matching}
}

/** The events Elastic maps (or those the config file asks for) that no subscription to the URL holds, by category. */
export function judgeZoomEvents(matching: EventSubscription[], wanted: string[]): Check {
  const title = 'the subscription holds the events Elastic maps'
  const held = new Set(matching.flatMap((subscription) => subscription.events))
  const missing = wanted.filter((event) => !held.has(event))
  if (!missing.length) return pass('zoom.events', title, `${wanted.length} of ${wanted.length}`)
  const grouped = [...byCategory(missing)]
  return warn('zoom.events', title, `${missing.length} missing: ${grouped.map(([category, events]) => `${category} ${events.length}`).join(', ')}`, 'events not subscribed to never reach Elastic ("Missing Fields"): zoomctl zoom apply adds them (or --zoom-categories narrows what is wanted)', {
    details: grouped.map(([category, events]) => `${category}: ${events.join(', ')}`),
    data: {missing},
  })
}

/**
 * The last 7 days of Zoom's webhook logs for the URL: failures grouped by why, with the fix, and the last
 * success. Failing after the last success is a fail; failures followed by successes a warning.
 */
export function judgeWebhookLogs(failures: WebhookLogEntry[], lastSuccess: WebhookLogEntry | undefined, url: string): Check[] {
  const mine = failures.filter((entry) => sameUrl(entry.endpoint, url))
  const groups = groupFailures(mine)
  const checks: Check[] = []
  const title = 'Zoom delivered without failures (last 7 days)'
  if (!groups.length) {
    checks.push(pass('zoom.failures', title, 'none failed'))
  } else {
    const lastFailure = groups.reduce((latest, group) => (group.last > latest ? group.last : latest), '')
    const recovered = lastSuccess && lastSuccess.dateTime > lastFailure
    const value = groups.map((group) => `${group.what} ×${group.count}`).join('; ')
    const first = groups[0]!
    const details = groups.map((group) => `${group.count}× ${group.what} (last ${group.last}; ${group.retried ? 'Zoom retries these' : 'dropped for good: replay them'}): ${group.fix}`)
    const hint = `${first.fix}${groups.some((group) => !group.retried) ? '; zoomctl reconcile lists what never arrived, with the replay' : ''}`
    checks.push(recovered ? warn('zoom.failures', title, value, hint, {details, data: {groups}}) : fail('zoom.failures', title, value, hint, {details, data: {groups}}))
  }
  checks.push(
    lastSuccess
      ? pass('zoom.last-delivery', 'last successful delivery', `${lastSuccess.dateTime} (${lastSuccess.event})`)
      : warn('zoom.last-delivery', 'last successful delivery', 'none in 7 days', 'no event reached the endpoint: trigger one (start and end a test meeting) or check the failures above'),
  )
  return checks
}
