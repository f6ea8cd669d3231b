import {randomUUID} from 'node:crypto'

import {type AuthSettings, modeHeader} from '../zoom/auth.js'
import {USER_AGENT} from '../zoom/headers.js'
import {epochSeconds, signatureHeaders} from '../zoom/signature.js'

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
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    'user-agent': USER_AGENT,
    'x-zm-trackingid': `zoomctl_${randomUUID().replace(/-/g, '')}`,
  }
  if (auth.secretToken) Object.assign(headers, signatureHeaders(auth.secretToken, bytes, options.timestamp ?? epochSeconds()))
  const extra = modeHeader(auth)
  if (extra) headers[extra[0]] = extra[1]
  for (const [name, value] of Object.entries(options.extraHeaders ?? {})) headers[name.toLowerCase()] = value
  return {headers, body: bytes}
}
