import {createHmac, timingSafeEqual} from 'node:crypto'

/**
 * zoomctl doctor's marks, which only a zoomctl serve reads. Zoom knows none of them.
 *
 * - A test event carries PROBE_FIELD in its body. The body is signed with the Secret Token, so a body that
 *   verifies and carries the field comes from someone holding the token, and Zoom never sends it: serve
 *   answers it, records it as a probe, and neither stores nor forwards it. A proxy cannot strip it.
 * - A request doctor forges on purpose (unsigned, mis-signed, to see it refused) carries PROBE_HEADER, an
 *   HMAC of its body with the Secret Token: serve refuses it as any other, and records it as doctor's
 *   rather than among the refusals of unauthenticated deliveries. Anyone else's header does not verify.
 */
export const PROBE_FIELD = 'zoomctl_probe'
export const PROBE_FIELD_VALUE = 'doctor'
export const PROBE_HEADER = 'x-zoomctl-probe'

/** The value of PROBE_HEADER for a body: v0= and the HMAC-SHA256 of "zoomctl-probe:{body}" with the secret. */
export function probeMark(secret: string, body: Buffer): string {
  return `v0=${createHmac('sha256', secret).update('zoomctl-probe:').update(body).digest('hex')}`
}

/** Whether a request's PROBE_HEADER was made with one of the secrets over this body. */
export function isProbeMark(header: string | undefined, secrets: Array<string | undefined>, body: Buffer): boolean {
  if (!header) return false
  const given = Buffer.from(header)
  return secrets.some((secret) => {
    if (!secret) return false
    const expected = Buffer.from(probeMark(secret, body))
    return given.length === expected.length && timingSafeEqual(given, expected)
  })
}

/** Whether a parsed (and authenticated) body is doctor's test event. */
export function isProbeBody(body: Record<string, unknown>): boolean {
  return body[PROBE_FIELD] === PROBE_FIELD_VALUE
}
