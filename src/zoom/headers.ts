/** Header names of Zoom's webhook protocol, lower-cased as node:http presents them. */
export const SIGNATURE_HEADER = 'x-zm-signature'
export const TIMESTAMP_HEADER = 'x-zm-request-timestamp'
export const USER_AGENT = 'Zoom Marketplace/1.0a'

/**
 * Headers worth keeping with a captured delivery: enough to replay it and to explain it later. Not
 * content-length: the store keeps the body's size (and the body).
 */
export const CAPTURED_HEADERS = [
  'content-type',
  'user-agent',
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  'x-zm-trackingid',
  'x-zm-request-id',
  'clientid',
  'traceparent',
  'authorization',
  'x-forwarded-for',
] as const
