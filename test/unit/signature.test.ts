import {execFileSync} from 'node:child_process'

import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {answerChallenge, checkChallengeAnswer, challengeToken} from '../../src/zoom/challenge.js'
import {signBody, verifySignature} from '../../src/zoom/signature.js'

// Worked vectors from ../shared/zoom/README.md, computed there with openssl and Python's hmac.
const SECRET = 'zoomctl-test-secret'
const TIMESTAMP = '1739923528'
const BODY =
  '{"event":"meeting.started","event_ts":1739923528123,"payload":{"account_id":"AAAAAAAAAAAAAAAAAAAAAA","object":{"id":"85012345678","uuid":"4444AAAiAAAAAiAiAiiAii==","host_id":"z8yAAAAA8bbbQ","topic":"My Meeting","type":2,"start_time":"2025-02-19T00:05:28Z","timezone":"America/Los_Angeles","duration":60}}}'
const SIGNATURE = 'v0=2c801cc85e15c227e658ace3ab4c55ac85c28de53dd84abc3a18de436bc54209'
const NOW = Number(TIMESTAMP) * 1000 + 2000

function openssl(secret: string, message: string): string | undefined {
  try {
    const out = execFileSync('openssl', ['dgst', '-sha256', '-hmac', secret], {input: message}).toString()
    return out.trim().split(/\s+/).pop()
  } catch {
    return undefined
  }
}

describe('signing', () => {
  it('matches the worked vector', () => {
    expect(BODY).toHaveLength(305)
    expect(signBody(SECRET, TIMESTAMP, BODY)).toBe(SIGNATURE)
    expect(signBody(SECRET, Number(TIMESTAMP), Buffer.from(BODY))).toBe(SIGNATURE)
  })

  it('agrees with openssl on other inputs', () => {
    const body = '{"event":"user.created","payload":{"object":{"email":"zoë@example.com"}}}'
    const expected = openssl('another secret', `v0:1700000000:${body}`)
    if (expected === undefined) return // openssl missing: the worked vector above still checks the algorithm.
    expect(signBody('another secret', 1_700_000_000, body)).toBe(`v0=${expected}`)
  })
})

describe('verification', () => {
  const verify = (overrides: Partial<Parameters<typeof verifySignature>[0]> = {}) =>
    verifySignature({secret: SECRET, signature: SIGNATURE, timestamp: TIMESTAMP, rawBody: Buffer.from(BODY), now: NOW, ...overrides})

  it('accepts a good delivery', () => {
    expect(verify()).toEqual({ok: true, ageSeconds: 2})
  })

  it('rejects a wrong secret, a tampered body and a swapped timestamp as not authentic', () => {
    for (const verdict of [verify({secret: 'other'}), verify({rawBody: BODY.replace('My Meeting', 'My Meetinh')}), verify({timestamp: '1739923529'})]) {
      expect(verdict).toMatchObject({ok: false, reason: 'signature-mismatch', authentic: false})
    }
  })

  it('says which header is missing or malformed', () => {
    expect(verify({signature: undefined})).toMatchObject({ok: false, reason: 'missing-signature'})
    expect(verify({timestamp: undefined})).toMatchObject({ok: false, reason: 'missing-timestamp'})
    expect(verify({timestamp: '17399x'})).toMatchObject({ok: false, reason: 'malformed-timestamp'})
    expect(verify({signature: SIGNATURE.toUpperCase()})).toMatchObject({ok: false, reason: 'malformed-signature'})
    expect(verify({signature: SIGNATURE.slice(3)})).toMatchObject({ok: false, reason: 'malformed-signature'})
  })

  it('refuses a stale or future timestamp but knows it was authentic', () => {
    expect(verify({now: NOW + 600_000})).toMatchObject({ok: false, reason: 'stale-timestamp', authentic: true, ageSeconds: 602})
    expect(verify({now: NOW - 400_000})).toMatchObject({ok: false, reason: 'stale-timestamp', authentic: true})
    expect(verify({now: NOW + 600_000, toleranceSeconds: 900})).toMatchObject({ok: true})
    expect(verify({now: NOW + 10 * 86_400_000, toleranceSeconds: 0})).toMatchObject({ok: true})
  })

  it('round-trips any body and rejects any one-byte change', () => {
    fc.assert(
      fc.property(fc.uint8Array({minLength: 1, maxLength: 300}), fc.string({minLength: 1}), fc.nat(), (bytes, secret, position) => {
        const body = Buffer.from(bytes)
        const signature = signBody(secret, TIMESTAMP, body)
        expect(verifySignature({secret, signature, timestamp: TIMESTAMP, rawBody: body, now: NOW}).ok).toBe(true)
        const tampered = Buffer.from(body)
        const index = position % tampered.length
        tampered[index] = tampered[index]! ^ 0x01
        expect(verifySignature({secret, signature, timestamp: TIMESTAMP, rawBody: tampered, now: NOW}).ok).toBe(false)
      }),
    )
  })
})

describe('URL validation', () => {
  it('answers with the worked vector', () => {
    expect(answerChallenge(SECRET, 'qgg8vlvZRS6UYooatFL8Aw')).toEqual({
      plainToken: 'qgg8vlvZRS6UYooatFL8Aw',
      encryptedToken: 'd598e5dbaccc206be12d523c6bf53901da3a7b6ddffda7dd5eded4683b0a6e2f',
    })
  })

  it('finds the plainToken only in a challenge', () => {
    expect(challengeToken({event: 'endpoint.url_validation', payload: {plainToken: 'abc'}})).toBe('abc')
    expect(challengeToken({event: 'meeting.started', payload: {plainToken: 'abc'}})).toBeUndefined()
    expect(challengeToken({event: 'endpoint.url_validation', payload: {}})).toBeUndefined()
  })

  it('checks an answer and explains each kind of wrong one', () => {
    const good = JSON.stringify(answerChallenge(SECRET, 'tok'))
    expect(checkChallengeAnswer(SECRET, 'tok', 200, 'application/json', good)).toEqual({ok: true})
    expect(checkChallengeAnswer(SECRET, 'tok', 401, 'application/json', good)).toMatchObject({ok: false, reason: expect.stringContaining('401')})
    expect(checkChallengeAnswer(SECRET, 'tok', 200, 'text/html', '<html>')).toMatchObject({ok: false, reason: expect.stringContaining('not JSON')})
    expect(checkChallengeAnswer('other', 'tok', 200, 'application/json', good)).toMatchObject({ok: false, reason: expect.stringContaining('different secret')})
    expect(checkChallengeAnswer(SECRET, 'other', 200, 'application/json', good)).toMatchObject({ok: false, reason: expect.stringContaining('echo')})
    expect(checkChallengeAnswer(SECRET, 'tok', 200, 'text/plain', good)).toMatchObject({ok: false, reason: expect.stringContaining('content-type')})
  })
})
