// A bare node:http server: reads the body, answers 200. The ceiling any receiver on Node is measured against.
import {createServer} from 'node:http'

const server = createServer((request, response) => {
  const chunks = []
  request.on('data', (chunk) => chunks.push(chunk))
  request.on('end', () => {
    Buffer.concat(chunks)
    response.writeHead(200, {'content-type': 'application/json'}).end('{"status":"ok"}')
  })
})
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({type: 'listening', url: `http://127.0.0.1:${server.address().port}/zoom-webhook`})))
process.on('SIGTERM', () => server.close(() => process.exit(0)))
