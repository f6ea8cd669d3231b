import {UserError} from '../../errors.js'
import type {ZoomApiClient} from '../../zoom/api/client.js'
import {listSubscriptions} from '../../zoom/api/subscriptions.js'
import {clipToRetention, webhookLogs, type WebhookLogEntry} from '../../zoom/api/webhook-logs.js'
import {sameUrl} from '../../zoom/subscription/plan.js'
import {APP_ID_HINT} from '../../zoom/api/errors.js'
import {type Check, fail, skip} from '../model.js'
import {judgeWebhookLogs, judgeZoomCredentials, judgeZoomEvents, judgeZoomSubscription} from '../zoom.js'

export interface ZoomDoctorOptions {
  api: ZoomApiClient
  accountId?: string
  /** For the webhook logs; without it they are skipped, saying where to find it. */
  appId?: string
  /** The events wanted: the config file's, else every event Elastic maps. */
  wanted: string[]
  now?: number
}

/** Zoom's side of the URL doctor diagnoses: the credentials, the subscription, its events, 7 days of logs. */
export async function checkZoom(url: string, options: ZoomDoctorOptions): Promise<Check[]> {
  const {api} = options
  let token
  try {
    token = await api.oauth.token()
  } catch (error) {
    if (!(error instanceof UserError)) throw error
    return [judgeZoomCredentials({error: error.message, hint: error.hint})]
  }
  const checks = [judgeZoomCredentials(token)]
  const subscriptions = await listSubscriptions(api, options.accountId).catch((error: unknown) => error as Error)
  if (subscriptions instanceof Error) {
    checks.push(asFailure('zoom.subscription', `a Zoom event subscription delivers to ${url}`, subscriptions))
  } else {
    const {check, matching} = judgeZoomSubscription(subscriptions, url)
    checks.push(check, matching.length ? judgeZoomEvents(matching, options.wanted) : skip('zoom.events', 'the subscription holds the events Elastic maps', 'no subscription to this URL'))
  }
  if (!options.appId) return [...checks, skip('zoom.failures', "Zoom's webhook logs (last 7 days)", `no app ID: ${APP_ID_HINT}`)]
  try {
    checks.push(...(await logChecks(url, options)))
  } catch (error) {
    checks.push(asFailure('zoom.failures', "Zoom's webhook logs (last 7 days)", error as Error))
  }
  return checks
}

async function logChecks(url: string, options: ZoomDoctorOptions): Promise<Check[]> {
  const now = options.now ?? Date.now()
  const week = clipToRetention(new Date(0), new Date(now), now)
  const failures = await webhookLogs(options.api, options.appId!, {...week, type: 'failed'})
  // The newest success: Zoom's order is not documented, and a week of successes can be long: the shortest window that has one.
  let lastSuccess: WebhookLogEntry | undefined
  for (const span of [3_600_000, 86_400_000, Infinity]) {
    const window = clipToRetention(new Date(Number.isFinite(span) ? now - span : 0), new Date(now), now)
    const successes = (await webhookLogs(options.api, options.appId!, {...window, type: 'successful', maxPages: 5})).filter((entry) => sameUrl(entry.endpoint, url))
    lastSuccess = successes.reduce<WebhookLogEntry | undefined>((latest, entry) => (!latest || entry.dateTime > latest.dateTime ? entry : latest), undefined)
    if (lastSuccess) break
  }
  return judgeWebhookLogs(failures, lastSuccess, url)
}

function asFailure(id: string, title: string, error: Error): Check {
  if (!(error instanceof UserError)) throw error
  return fail(id, title, error.message, error.hint ?? 'see the message')
}
