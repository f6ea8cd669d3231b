// A receiver in the style of Zoom's webhook sample: verify the HMAC over "v0:{ts}:{body}", parse JSON,
// answer 200. No storage: what verification alone costs.
import {createHmac, timingSafeEqual} from 'node:crypto'
import {createServer} from 'node:http'

const secret = process.env.ZOOM_WEBHOOK_SECRET_TOKEN
const server = createServer((request, response) => {
  const chunks = []
  request.on('data', (chunk) => chunks.push(chunk))
  request.on('end', () => {
    const body = Buffer.concat(chunks)
    const expected = Buffer.from(`v0=${createHmac('sha256', secret).update(`v0:${request.headers['x-zm-request-timestamp']}:`).update(body).digest('hex')}`)
    const given = Buffer.from(String(request.headers['x-zm-signature'] ?? ''))
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return response.writeHead(401).end()
    JSON.parse(body.toString('utf8'))
    response.writeHead(200, {'content-type': 'application/json'}).end('{"status":"ok"}')
  })
})
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({type: 'listening', url: `http://127.0.0.1:${server.address().port}/zoom-webhook`})))
process.on('SIGTERM', () => server.close(() => process.exit(0)))
