import {randomBytes} from 'node:crypto'

import {hmacHex} from './signature.js'

export const URL_VALIDATION_EVENT = 'endpoint.url_validation'

export interface ChallengeAnswer {
  plainToken: string
  encryptedToken: string
}

/** Zoom's CRC answer: the plain token back, with its HMAC-SHA256 under the secret token in hex. */
export function answerChallenge(secret: string, plainToken: string): ChallengeAnswer {
  return {plainToken, encryptedToken: hmacHex(secret, plainToken)}
}

/** The plainToken of a URL-validation body, or undefined when the body is not one. */
export function challengeToken(body: unknown): string | undefined {
  if (!isRecord(body) || body.event !== URL_VALIDATION_EVENT) return undefined
  const payload = body.payload
  if (!isRecord(payload) || typeof payload.plainToken !== 'string') return undefined
  return payload.plainToken
}

export function newPlainToken(): string {
  return randomBytes(16).toString('base64url').slice(0, 22)
}

export type ChallengeCheck =
  | {ok: true}
  | {ok: false; reason: string}

/** Checks an endpoint's answer to a challenge we sent, explaining any difference. */
export function checkChallengeAnswer(secret: string, plainToken: string, status: number, contentType: string | undefined, rawAnswer: string): ChallengeCheck {
  if (status !== 200) return {ok: false, reason: `endpoint answered HTTP ${status}; Zoom needs 200 with a JSON body`}
  let answer: unknown
  try {
    answer = JSON.parse(rawAnswer)
  } catch {
    return {ok: false, reason: `answer is not JSON (content-type ${contentType ?? 'none'}): ${truncate(rawAnswer)}`}
  }
  if (!isRecord(answer)) return {ok: false, reason: 'answer is JSON but not an object'}
  if (answer.plainToken !== plainToken) return {ok: false, reason: 'answer does not echo the plainToken that was sent'}
  if (typeof answer.encryptedToken !== 'string') return {ok: false, reason: 'answer has no encryptedToken'}
  if (answer.encryptedToken !== answerChallenge(secret, plainToken).encryptedToken) {
    return {ok: false, reason: 'encryptedToken does not match: the endpoint uses a different secret token'}
  }
  if (contentType && !contentType.toLowerCase().includes('application/json')) {
    return {ok: false, reason: `answer is right but its content-type is ${contentType}; Zoom expects application/json`}
  }
  return {ok: true}
}

function truncate(text: string, max = 120): string {
  return text.length > max ? `${text.slice(0, max)}…` : text
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
