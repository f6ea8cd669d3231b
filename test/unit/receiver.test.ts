import {createHmac} from 'node:crypto'
import {request} from 'node:http'
import {connect} from 'node:net'
import {readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {DeliveryHandler} from '../../src/receiver/delivery-handler.js'
import {type DeliveryOutcome, type RunningReceiver, startReceiver} from '../../src/receiver/index.js'
import {prepareDelivery} from '../../src/sender/prepare.js'
import {FileStore} from '../../src/store/index.js'
import type {AuthSettings} from '../../src/zoom/auth.js'
import {answerChallenge} from '../../src/zoom/challenge.js'
import {MAX_BODY_DEPTH} from '../../src/zoom/limits.js'
import {readStore, tempDir} from '../helpers/cli.js'

const secretToken = 'unit-secret'
const running: RunningReceiver[] = []

afterEach(async () => {
  await Promise.all(running.splice(0).map((receiver) => receiver.close(100)))
})

async function receiver(auth: AuthSettings = {mode: 'signature', secretToken}, options: {maxBodyBytes?: number; keepOversizedBytes?: number; dataDir?: string; retryMismatched?: boolean} = {}) {
  const dataDir = options.dataDir ?? tempDir()
  const store = await FileStore.open(dataDir)
  const outcomes: DeliveryOutcome[] = []
  const started = await startReceiver({
    host: '127.0.0.1',
    port: 0,
    path: '/zoom-webhook',
    auth,
    toleranceSeconds: 300,
    retryMismatched: options.retryMismatched,
    maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
    keepOversizedBytes: options.keepOversizedBytes,
    store,
    onOutcome: (outcome) => outcomes.push(outcome),
  })
  running.push(started)
  return {...started, dataDir, outcomes}
}

function post(url: string, body: string | Buffer, headers: Record<string, string>, method = 'POST'): Promise<{status: number; body: Record<string, unknown>; headers: Record<string, unknown>}> {
  return new Promise((resolve, reject) => {
    const req = request(url, {method, headers}, (res) => {
      let text = ''
      res.on('data', (chunk: Buffer) => (text += chunk.toString()))
      res.on('end', () => resolve({status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers}))
    })
    req.on('error', reject)
    req.end(body)
  })
}

const event = (overrides: Record<string, unknown> = {}) =>
  JSON.stringify({event: 'meeting.started', event_ts: 1_764_000_000_000, payload: {account_id: 'ACC', object: {id: '123', uuid: 'u==', host_id: 'H'}}, ...overrides})

function signed(body: string, auth: AuthSettings = {mode: 'signature', secretToken}, timestamp?: number) {
  const prepared = prepareDelivery(body, auth, timestamp === undefined ? {} : {timestamp})
  return prepared.headers
}

describe('receiver', () => {
  it('stores an accepted event byte for byte, with its dedupe key, before answering 200', async () => {
    const r = await receiver()
    const body = event()
    const response = await post(r.url, body, signed(body))
    expect(response.status).toBe(200)
    expect(response.body).toMatchObject({status: 'accepted', id: expect.any(String)})
    const [record] = readStore(r.dataDir)
    expect(record).toMatchObject({id: response.body.id, eventType: 'meeting.started', rawBody: body})
    expect(record!.headers['x-zm-signature']).toMatch(/^v0=/)
    expect(record).toMatchObject({dedupeKey: expect.stringMatching(/^[0-9a-f]{64}$/)})
    // The event's own time, in the metadata: the forwarder's rollover check reads it without scanning the body.
    expect(record).toMatchObject({eventTs: (JSON.parse(body) as {event_ts: number}).event_ts})
    expect(record!.document).toBeUndefined()
  })

  it('answers the URL-validation challenge', async () => {
    const r = await receiver()
    const body = JSON.stringify({payload: {plainToken: 'abc123'}, event_ts: Date.now(), event: 'endpoint.url_validation'})
    const response = await post(r.url, body, signed(body))
    expect(response.status).toBe(200)
    expect(response.headers['content-type']).toBe('application/json')
    expect(response.body).toEqual(answerChallenge(secretToken, 'abc123'))
    expect(readStore(r.dataDir)).toHaveLength(0)
  })

  it('refuses other methods and paths', async () => {
    const r = await receiver()
    expect((await post(r.url, '', {}, 'GET')).headers.allow).toBe('POST')
    expect((await post(r.url.replace('/zoom-webhook', '/other'), event(), signed(event()))).status).toBe(404)
    expect(readStore(r.dataDir)).toHaveLength(0)
    expect(r.outcomes.map((outcome) => [outcome.status, outcome.reason])).toEqual([
      [405, 'wrong-method'],
      [404, 'wrong-path'],
    ])
  })

  it('answers 413 over the body limit, keeps an authentic oversized body, and stops reading a huge one', async () => {
    const r = await receiver(undefined, {maxBodyBytes: 100, keepOversizedBytes: 1000})
    const big = event({padding: 'x'.repeat(200)})
    expect((await post(r.url, big, signed(big))).body).toMatchObject({reason: 'too-large'})
    expect((await post(r.url, big, {...signed(big), 'transfer-encoding': 'chunked'})).status).toBe(413)
    expect((await post(r.url, big, signed(big, {mode: 'signature', secretToken: 'forged'}))).status).toBe(401)
    const huge = event({padding: 'x'.repeat(5000)})
    expect((await post(r.url, huge, signed(huge))).status).toBe(413)
    expect((await post(r.url, huge, {...signed(huge), 'transfer-encoding': 'chunked'})).status).toBe(413)
    expect(readStore(r.dataDir)).toHaveLength(0)
    // Kept in files of their own (never held in memory), the record pointing at each.
    const kept = readStore(r.dataDir, 'refused') as Array<{refusal?: {status: number}; rawBodyFile?: string; eventType?: string}>
    expect(kept.map((record) => [record.refusal?.status, record.eventType, readFileSync(join(r.dataDir, record.rawBodyFile!), 'utf8')])).toEqual([
      [413, 'meeting.started', big],
      [413, 'meeting.started', big],
    ])
    // Nothing is left behind by the forged and the too-large ones.
    expect(readdirSync(join(r.dataDir, 'refused', 'bodies'))).toHaveLength(2)
  })

  it('rejects a forged delivery and stores nothing', async () => {
    const r = await receiver()
    const body = event()
    const response = await post(r.url, body, signed(body, {mode: 'signature', secretToken: 'wrong'}))
    expect(response).toMatchObject({status: 401, body: {reason: 'signature-mismatch'}})
    expect((await post(r.url, body, {})).body).toMatchObject({reason: 'missing-signature'})
    expect(readStore(r.dataDir)).toHaveLength(0)
    expect(readStore(r.dataDir, 'refused')).toHaveLength(0)
  })

  it('keeps a stale but authentic delivery under refused/, saying why', async () => {
    const r = await receiver()
    const body = event()
    const response = await post(r.url, body, signed(body, undefined, Math.floor(Date.now() / 1000) - 3600))
    expect(response).toMatchObject({status: 401, body: {reason: 'stale-timestamp', error: expect.stringContaining('3600s old')}})
    const [kept] = readStore(r.dataDir, 'refused')
    expect(kept).toMatchObject({rawBody: body, eventType: 'meeting.started', refusal: {status: 401, reason: 'stale-timestamp'}})
  })

  it('keeps an authentic malformed body under refused/ and answers 400', async () => {
    const r = await receiver()
    for (const body of ['{"event": ', '{"payload":{}}']) {
      const response = await post(r.url, body, signed(body))
      expect(response.status).toBe(400)
    }
    expect(readStore(r.dataDir, 'refused').map((record) => record.refusal?.reason)).toEqual(['malformed-json', 'no-event'])
  })

  it('checks the mode header on top of the signature, and redacts it in the store', async () => {
    const auth: AuthSettings = {mode: 'basic', secretToken, username: 'zoom', password: 'hunter2'}
    const r = await receiver(auth)
    const body = event()
    expect((await post(r.url, body, signed(body))).body).toMatchObject({reason: 'auth-header'})
    expect((await post(r.url, body, signed(body, {...auth, password: 'nope'}))).status).toBe(401)
    expect((await post(r.url, body, signed(body, auth))).status).toBe(200)
    const [record] = readStore(r.dataDir)
    expect(record!.headers.authorization).toBe('Basic [redacted]')
    expect(JSON.stringify(record)).not.toContain(Buffer.from('zoom:hunter2').toString('base64'))
  })

  it('marks a redelivery of the same event as a duplicate, whatever the arrival order', async () => {
    const r = await receiver()
    const first = event()
    const other = event({event_ts: 1_764_000_000_001})
    const copy = JSON.stringify(JSON.parse(first))
    const answers = await Promise.all([first, other, copy, first].map((body) => post(r.url, body, signed(body))))
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200])
    const records = readStore(r.dataDir)
    expect(records).toHaveLength(4)
    expect(records.filter((record) => !record.duplicateOf)).toHaveLength(2)
  })

  it('listens before the stored keys are loaded, and a copy sent at that moment is still a duplicate', async () => {
    const dataDir = tempDir()
    const before = await receiver(undefined, {dataDir})
    const original = await post(before.url, event(), signed(event()))
    await before.close(100)
    // Enough stored lines that loading them takes a while: the copy arrives while they load.
    const day = readdirSync(join(dataDir, 'events'))[0]!
    const stored = readFileSync(join(dataDir, 'events', day), 'utf8')
    const filler = JSON.parse(stored) as Record<string, unknown>
    const lines = Array.from({length: 20_000}, (_, i) => JSON.stringify({...filler, id: `filler-${i}`, dedupeKey: `filler-${i}`}))
    writeFileSync(join(dataDir, 'events', day), `${lines.join('\n')}\n${stored}`)
    const after = await receiver(undefined, {dataDir})
    const copy = await post(after.url, event(), signed(event()))
    expect(copy.body).toMatchObject({status: 'duplicate', duplicateOf: original.body.id})
  })

  it("through a Secret Token's regeneration: the previous token is accepted beside the new one, and a mismatch may be answered 503 for Zoom to retry", async () => {
    const previous = 'the-token-before-regeneration'
    const r = await receiver({mode: 'signature', secretToken, previousSecretToken: previous}, {retryMismatched: true})
    const old = event({event_ts: 1_764_000_000_001})
    expect((await post(r.url, old, signed(old, {mode: 'signature', secretToken: previous}))).body).toMatchObject({status: 'accepted'})
    const current = event({event_ts: 1_764_000_000_002})
    expect((await post(r.url, current, signed(current))).body).toMatchObject({status: 'accepted'})
    // Signed with a token serve does not have (yet): 503, which Zoom retries, and nothing stored.
    const unknown = event({event_ts: 1_764_000_000_003})
    const refused = await post(r.url, unknown, signed(unknown, {mode: 'signature', secretToken: 'a-token-serve-has-not-got'}))
    expect(refused.status).toBe(503)
    expect(refused.headers['retry-after']).toBe('300')
    expect(r.outcomes.at(-1)).toMatchObject({result: 'rejected', status: 503, reason: 'signature-mismatch'})
    // The challenge is answered with the new token only.
    const challenge = JSON.stringify({event: 'endpoint.url_validation', event_ts: 1, payload: {plainToken: 'abc'}})
    const answer = await post(r.url, challenge, signed(challenge))
    expect(answer.body).toEqual({plainToken: 'abc', encryptedToken: createHmac('sha256', secretToken).update('abc').digest('hex')})
    // Without the flag a mismatch stays a 401: a forgery is refused for good.
    const strict = await receiver({mode: 'signature', secretToken, previousSecretToken: previous})
    expect((await post(strict.url, unknown, signed(unknown, {mode: 'signature', secretToken: 'a-token-serve-has-not-got'}))).status).toBe(401)
    expect(readStore(r.dataDir).map((record) => record.eventType)).toHaveLength(2)
  })

  it('answers 503 when the store cannot write, so that Zoom retries', async () => {
    const r = await receiver()
    rmSync(join(r.dataDir, 'events'), {recursive: true})
    writeFileSync(join(r.dataDir, 'events'), 'not a directory')
    const body = event()
    const response = await post(r.url, body, signed(body))
    expect(response.status).toBe(503)
    expect(response.headers['retry-after']).toBe('60')
    expect(r.outcomes.at(-1)).toMatchObject({result: 'error', reason: 'store-failed'})
  })

  it("stores a copy as the first when the first copy, still being written, could not be stored: none is lost", async () => {
    const dataDir = tempDir()
    const store = await FileStore.open(dataDir)
    const append = store.append.bind(store)
    let failFirst!: (error: Error) => void
    let calls = 0
    // The first write hangs, then fails; the others go to disk.
    store.append = (...args: Parameters<FileStore['append']>) => (++calls === 1 ? new Promise<void>((_, reject) => (failFirst = reject)) : append(...args))
    const handler = new DeliveryHandler({auth: {mode: 'signature', secretToken}, toleranceSeconds: 300, store})
    const body = event()
    // The same event over the webhook and over the socket at once (a migration from one to the other).
    const delivery = (source: string) => ({method: 'POST', path: '/zoom-webhook', headers: {}, rawBody: Buffer.from(body), remoteAddress: source, receivedAt: new Date().toISOString(), websocket: {subscriptionId: 's'}})
    const first = handler.handleSocketEvent(delivery('webhook'))
    await new Promise((resolve) => setTimeout(resolve, 20))
    const copy = handler.handleSocketEvent(delivery('socket'))
    await new Promise((resolve) => setTimeout(resolve, 20))
    failFirst(new Error('disk full'))
    expect((await first).status).toBe(503)
    expect((await copy).outcome).toMatchObject({result: 'accepted', status: 200})
    const stored = readStore(dataDir)
    expect(stored).toHaveLength(1)
    expect(stored[0]!.duplicateOf).toBeUndefined()
    await store.close()
  })

  it('notes a client that hangs up mid-body, and stores nothing', async () => {
    const r = await receiver()
    const {port} = new URL(r.url)
    await new Promise<void>((resolve) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write('POST /zoom-webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"event":')
        setTimeout(() => socket.destroy(), 50)
      })
      socket.on('close', () => resolve())
    })
    for (let i = 0; i < 50 && r.outcomes.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10))
    expect(r.outcomes).toMatchObject([{result: 'error', reason: 'request-failed', detail: expect.stringContaining('before the body was complete')}])
    expect(readStore(r.dataDir)).toHaveLength(0)
  })

  it('serves a health check', async () => {
    const r = await receiver()
    const response = await post(r.url.replace('/zoom-webhook', '/healthz'), '', {}, 'GET')
    expect(response).toMatchObject({status: 200, body: {status: 'ok'}})
  })
})

describe('receiver under hostile input', () => {
  it('answers 400, not 500, to a malformed request target', async () => {
    const r = await receiver()
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(r.port, '127.0.0.1', () => socket.end('POST //[ HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n'))
      let text = ''
      socket.on('data', (chunk: Buffer) => (text += chunk.toString()))
      socket.on('close', () => resolve(text))
    })
    expect(answer).toMatch(/^HTTP\/1\.1 400/)
  })

  it('refuses a correctly signed body nested deeper than MAX_BODY_DEPTH with 422 (never a 500), and keeps it under refused/', async () => {
    const r = await receiver()
    const nested = (levels: number) => {
      // payload and object are 2 levels, the body itself 1: `levels` in all.
      let object: Record<string, unknown> = {id: 'leaf'}
      for (let i = 0; i < levels - 3; i++) object = {id: String(i), child: object}
      return JSON.stringify({event: 'meeting.updated', event_ts: levels, payload: {account_id: 'A', object}})
    }
    const atLimit = nested(MAX_BODY_DEPTH)
    expect((await post(r.url, atLimit, signed(atLimit))).status).toBe(200)
    for (const levels of [MAX_BODY_DEPTH + 1, 2000]) {
      const body = nested(levels)
      const response = await post(r.url, body, signed(body))
      expect(response.status).toBe(422)
      expect(response.body).toMatchObject({reason: 'too-deep', error: expect.stringContaining(`nests ${levels} levels`)})
    }
    expect(readStore(r.dataDir).map((record) => record.rawBody)).toEqual([atLimit])
    expect(readStore(r.dataDir, 'refused').map((record) => record.refusal?.reason)).toEqual(['too-deep', 'too-deep'])
  })

  it('keeps a correctly signed delivery whose timestamp is in milliseconds', async () => {
    const r = await receiver()
    const body = event()
    const response = await post(r.url, body, signed(body, undefined, Date.now()))
    expect(response.status).toBe(401)
    expect(readStore(r.dataDir, 'refused')[0]).toMatchObject({rawBody: body, refusal: {reason: 'malformed-timestamp'}})
  })

  it.each([42, null, {}, undefined])('refuses a challenge whose plainToken is %s with 400, and keeps it', async (plainToken) => {
    const r = await receiver()
    const body = JSON.stringify({event: 'endpoint.url_validation', event_ts: 1, payload: {plainToken}})
    const response = await post(r.url, body, signed(body))
    expect(response.status).toBe(400)
    expect(response.body).toMatchObject({reason: 'bad-challenge'})
    expect(readStore(r.dataDir)).toHaveLength(0)
    expect(readStore(r.dataDir, 'refused')).toHaveLength(1)
  })
})

describe('receiver properties (fast-check)', () => {
  it('never 5xx for what it can judge, never accepts what is not signed right, and stores exactly what it acknowledged', async () => {
    const fc = (await import('fast-check')).default
    const r = await receiver(undefined, {maxBodyBytes: 2048, keepOversizedBytes: 8192})
    const acknowledged: string[] = []
    const body = fc.oneof(
      fc.record({event: fc.constantFrom('meeting.started', 'user.signed_in', 'endpoint.url_validation', ''), event_ts: fc.integer(), payload: fc.object({maxDepth: 3})}).map((value) => JSON.stringify(value)),
      fc.json({maxDepth: 4}),
      fc.string({maxLength: 300}),
      fc.uint8Array({maxLength: 300}).map((bytes) => Buffer.from(bytes).toString('latin1')),
      fc.string({minLength: 2100, maxLength: 3000}).map((text) => JSON.stringify({event: 'meeting.updated', event_ts: 1, payload: {text}})),
      // Pretty-printed, with LF or CRLF: JSON the store cannot keep on one line as it is (format 1).
      fc.record({event: fc.constantFrom('meeting.started', 'user.signed_in'), event_ts: fc.integer(), payload: fc.object({maxDepth: 2})}).chain((value) =>
        fc.constantFrom('\n', '\r\n').map((newline) => JSON.stringify(value, null, 2).replaceAll('\n', newline)),
      ),
    )
    const signing = fc.constantFrom('right', 'wrong-secret', 'none', 'stale', 'milliseconds', 'garbage-signature')
    await fc.assert(
      fc.asyncProperty(body, signing, async (text, how) => {
        const now = Math.floor(Date.now() / 1000)
        const headers: Record<string, string> =
          how === 'right' ? signed(text)
          : how === 'wrong-secret' ? signed(text, {mode: 'signature', secretToken: 'other'})
          : how === 'stale' ? signed(text, undefined, now - 3600)
          : how === 'milliseconds' ? signed(text, undefined, Date.now())
          : how === 'garbage-signature' ? {'x-zm-signature': 'v0=zz', 'x-zm-request-timestamp': String(now)}
          : {}
        const response = await post(r.url, text, {'content-type': 'application/json', ...headers})
        expect(response.status).toBeLessThan(500)
        const accepted = response.status === 200 && (response.body.status === 'accepted' || response.body.status === 'duplicate')
        if (accepted) {
          expect(how).toBe('right')
          acknowledged.push(text)
        }
      }),
      {numRuns: 200},
    )
    const stored = readStore(r.dataDir).map((record) => record.rawBody)
    expect(stored.sort()).toEqual(acknowledged.sort())
  })
})
