import {randomBytes} from 'node:crypto'

import {type AuthSettings, modeHeader} from '../zoom/auth.js'
import {SIGNATURE_HEADER, TIMESTAMP_HEADER, USER_AGENT} from '../zoom/headers.js'
import {epochSeconds, signBody} from '../zoom/signature.js'

export interface PreparedDelivery {
  headers: Record<string, string>
  body: Buffer
}

export interface PrepareOptions {
  /** Epoch seconds for x-zm-request-timestamp (default: now). */
  timestamp?: number
  /** Extra headers, e.g. from --header; they win over the defaults. */
  extraHeaders?: Record<string, string>
}

/**
 * A delivery as Zoom makes it: JSON with Zoom's user agent, signed over the exact bytes sent, plus the
 * auth mode's header. The body is sent as given, never re-serialised, so a file is signed byte for byte.
 */
export function prepareDelivery(body: string | Buffer, auth: AuthSettings, options: PrepareOptions = {}): PreparedDelivery {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body
  // One object literal a delivery, nothing merged into it: a burst prepares tens of thousands a second.
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    'user-agent': USER_AGENT,
    'x-zm-trackingid': nextTrackingId(),
  }
  if (auth.secretToken) {
    const timestamp = options.timestamp ?? epochSeconds()
    headers[SIGNATURE_HEADER] = signBody(auth.secretToken, timestamp, bytes)
    headers[TIMESTAMP_HEADER] = String(timestamp)
  }
  const extra = modeHeader(auth)
  if (extra) headers[extra[0]] = extra[1]
  if (options.extraHeaders) for (const name in options.extraHeaders) headers[name.toLowerCase()] = options.extraHeaders[name]!
  return {headers, body: bytes}
}

/**
 * An opaque id per delivery, as Zoom's: a random prefix per process and a counter, unique without a random
 * draw and a UUID's formatting for each of a burst's tens of thousands a second.
 */
const TRACKING_PREFIX = `zoomctl_${randomBytes(8).toString('hex')}`
let trackingCount = 0
function nextTrackingId(): string {
  return TRACKING_PREFIX + (trackingCount++).toString(16).padStart(16, '0')
}
