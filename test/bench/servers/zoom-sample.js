// A receiver in the style of Zoom's webhook sample: verify the HMAC over "v0:{ts}:{body}", parse JSON,
// answer 200. No storage: what verification alone costs.
import {createServer} from 'node:http'

import {onSignedBody} from './signed-body.js'

const secret = process.env.ZOOM_WEBHOOK_SECRET_TOKEN
const server = createServer((request, response) => {
  onSignedBody(request, response, secret, (body) => {
    JSON.parse(body.toString('utf8'))
    response.writeHead(200, {'content-type': 'application/json'}).end('{"status":"ok"}')
  })
})
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({type: 'listening', url: `http://127.0.0.1:${server.address().port}/zoom-webhook`})))
process.on('SIGTERM', () => server.close(() => process.exit(0)))
