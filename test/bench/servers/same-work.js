// serve's work on an accepted delivery, written as plainly as it can be, as a bound for serve itself:
// verify the signature, parse, the dedupe key and its claim, the store line, the line appended with the
// others of its batch and on disk (written with O_DSYNC, as serve's store does) before the batch is
// answered. serve's own dedupe key and store line (dist/) so that their cost is the same; nothing else of
// serve: no refusals kept, no outcome, no log line, no day files, no error handling. What is left between
// this and serve is serve's structure.
import {randomUUID} from 'node:crypto'
import {constants, fdatasync, openSync, writev} from 'node:fs'
import {createServer} from 'node:http'
import {join} from 'node:path'

import {dedupeKey} from '../../../dist/store/index.js'
import {recordLineParts} from '../../../dist/store/records.js'
import {onSignedBody} from './signed-body.js'

const secret = process.env.ZOOM_WEBHOOK_SECRET_TOKEN
// --no-fsync: the same without the sync, beside serve --no-fsync (what the sync costs each, apart from the rest).
const sync = process.argv[3] !== '--no-fsync'
// As serve's store: O_DSYNC where there is one (each batch's writev returns once it is on disk), else fdatasync after it.
const dsync = sync && constants.O_DSYNC !== undefined
const file = openSync(join(process.argv[2], 'events.ndjson'), dsync ? constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_DSYNC : 'a', 0o600)
const claims = new Map()
let batch = []
let answers = []
let writing = false
// Deliveries written and fdatasyncs made, for the bench's deliveries-per-sync column (GET /stats).
const stats = {records: 0, syncs: 0}

function commit() {
  if (writing || batch.length === 0) return
  writing = true
  const parts = batch
  const waiting = answers
  batch = []
  answers = []
  const done = () => {
    stats.records += waiting.length
    if (sync) stats.syncs++
    writing = false
    for (const answer of waiting) answer()
    commit()
  }
  writev(file, parts, () => (sync && !dsync ? fdatasync(file, done) : done()))
}

const server = createServer((request, response) => {
  if (request.method === 'GET') return response.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify(stats))
  onSignedBody(request, response, secret, (body) => {
    const event = JSON.parse(body.toString('utf8'))
    const id = randomUUID()
    const key = dedupeKey(event, body)
    const first = claims.get(key)
    if (first === undefined) claims.set(key, id)
    const headers = {}
    for (const name of ['content-type', 'user-agent', 'x-zm-signature', 'x-zm-request-timestamp', 'x-zm-trackingid']) if (request.headers[name]) headers[name] = request.headers[name]
    const meta = {id, receivedAt: new Date().toISOString(), source: {address: request.socket.remoteAddress, port: request.socket.remotePort}, method: 'POST', path: '/zoom-webhook', headers, eventType: event.event, dedupeKey: key, ...(first ? {duplicateOf: first} : {})}
    batch.push(...recordLineParts(meta, body, true))
    answers.push(() => response.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify({status: first ? 'duplicate' : 'accepted', id})))
    commit()
  })
})
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({type: 'listening', url: `http://127.0.0.1:${server.address().port}/zoom-webhook`})))
process.on('SIGTERM', () => server.close(() => process.exit(0)))
