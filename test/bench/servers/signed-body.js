// How Zoom's webhook sample reads a delivery: the whole body, then x-zm-signature checked against
// HMAC-SHA256(secret, "v0:{x-zm-request-timestamp}:{body}"). Shared by the bench's plain receivers.
import {createHmac, timingSafeEqual} from 'node:crypto'

/** Calls back with the body of a request whose signature holds; answers 401 itself otherwise. */
export function onSignedBody(request, response, secret, handle) {
  const chunks = []
  request.on('data', (chunk) => chunks.push(chunk))
  request.on('end', () => {
    const body = Buffer.concat(chunks)
    const expected = Buffer.from(`v0=${createHmac('sha256', secret).update(`v0:${request.headers['x-zm-request-timestamp']}:`).update(body).digest('hex')}`)
    const given = Buffer.from(String(request.headers['x-zm-signature'] ?? ''))
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return response.writeHead(401).end()
    handle(body)
  })
}
