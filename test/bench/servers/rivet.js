// A receiver on Zoom's own Node SDK, @zoom/rivet (the meetings module's built-in HTTP receiver): it
// verifies x-zm-signature, answers the challenge and hands each event to a listener. No storage.
import {Server} from 'node:net'

import {MeetingsS2SAuthClient} from '@zoom/rivet/meetings'

// Rivet listens on every interface and takes no host: keep the benchmark on loopback.
const listen = Server.prototype.listen
Server.prototype.listen = function (port, ...rest) {
  return listen.call(this, port, '127.0.0.1', ...rest.filter((arg) => typeof arg === 'function'))
}

const client = new MeetingsS2SAuthClient({
  clientId: 'bench-client',
  clientSecret: 'bench-client-secret',
  accountId: 'bench-account',
  webhooksSecretToken: process.env.ZOOM_WEBHOOK_SECRET_TOKEN,
  port: 0,
  
})
let received = 0
client.webEventConsumer.event('meeting.participant_joined', () => {
  received++
})
const server = await client.start()
console.log(JSON.stringify({type: 'listening', url: `http://127.0.0.1:${server.address().port}/zoom/events`}))
process.on('SIGTERM', () => {
  console.log(JSON.stringify({type: 'stopped', received}))
  server.close(() => process.exit(0))
})
