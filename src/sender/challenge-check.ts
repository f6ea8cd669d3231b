import type {Dispatcher} from 'undici'

import type {AuthSettings} from '../zoom/auth.js'
import {checkChallengeAnswer, newPlainToken, URL_VALIDATION_EVENT} from '../zoom/challenge.js'
import {ZOOM_BUDGET_MS} from '../zoom/limits.js'
import {sendDelivery} from './client.js'
import {prepareDelivery} from './prepare.js'

export interface ChallengeReport {
  ok: boolean
  status?: number
  latencyMs: number
  plainToken: string
  reason?: string
}

/** Sends Zoom's URL-validation challenge and checks the endpoint's answer as Zoom would. */
export async function checkUrlValidation(url: string, auth: AuthSettings, dispatcher: Dispatcher, now: number = Date.now()): Promise<ChallengeReport> {
  const secret = auth.secretToken
  if (!secret) throw new Error('the URL-validation check needs the secret token (--secret-token or ZOOM_WEBHOOK_SECRET_TOKEN)')
  const plainToken = newPlainToken()
  const body = JSON.stringify({payload: {plainToken}, event_ts: now, event: URL_VALIDATION_EVENT})
  const result = await sendDelivery(url, prepareDelivery(body, auth), dispatcher)
  if (result.status === undefined) return {ok: false, latencyMs: result.latencyMs, plainToken, reason: result.error}
  const check = checkChallengeAnswer(secret, plainToken, result.status, result.contentType, result.responseBody)
  const slow = result.latencyMs > ZOOM_BUDGET_MS ? `answered in ${Math.round(result.latencyMs)} ms; Zoom waits ${ZOOM_BUDGET_MS / 1000} s` : undefined
  return {
    ok: check.ok && !slow,
    status: result.status,
    latencyMs: result.latencyMs,
    plainToken,
    ...(check.ok ? (slow ? {reason: slow} : {}) : {reason: check.reason}),
  }
}
