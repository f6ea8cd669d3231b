import {UserError} from '../../errors.js'
import {checkUrlValidation} from '../../sender/challenge-check.js'
import {createDispatcher} from '../../sender/client.js'
import type {CustomHeader} from '../api/subscriptions.js'

/**
 * Zoom validates the URL when the subscription is created and refuses it (1701) when the endpoint does not
 * answer the challenge: zoomctl asks first, as Zoom will (the app's Secret Token, the custom header, 3 s,
 * a publicly trusted certificate), so that a refusal says why instead of Zoom's bare 1701.
 */
export async function challengeAnswered(url: string, secretToken: string, customHeader?: CustomHeader): Promise<{ok: boolean; reason?: string; latencyMs: number}> {
  const dispatcher = createDispatcher({timeoutMs: 5000})
  try {
    const auth = customHeader ? {mode: 'header' as const, secretToken, headerName: customHeader.key, headerValue: customHeader.value} : {mode: 'signature' as const, secretToken}
    const report = await checkUrlValidation(url, auth, dispatcher)
    return {ok: report.ok, latencyMs: report.latencyMs, ...(report.reason ? {reason: report.reason} : {})}
  } finally {
    await dispatcher.close()
  }
}

export function notAnswering(url: string, reason: string | undefined): UserError {
  return new UserError(`${url} does not answer Zoom's URL-validation challenge${reason ? `: ${reason}` : ''}; Zoom would refuse the subscription (1701)`, {
    category: 'network',
    code: 'zoom-endpoint-not-ready',
    hint: 'start the receiver first (zoomctl serve, with the same secret token as the Zoom app), check it with zoomctl doctor URL, then run this again',
  })
}
