/**
 * serve --ack-after-index against the strict Elasticsearch double: the 200 comes once the document is in,
 * deliveries that arrive together share a _bulk, and each fallback does what the README says when
 * Elasticsearch is down. Then the dedupe claims: one abandoned by a dead replica is taken over, one held by
 * a live replica is waited for; and validate --duplicates counts copies by the dedupe key.
 */
import {describe, expect, it} from 'vitest'

import {dedupeIndex} from '../../src/elastic/names.js'
import {dedupeKey} from '../../src/store/dedupe.js'
import {deliver, readStore, runCli, SECRET, waitFor} from '../helpers/cli.js'
import {stoppedAfterEachTest, zoomBodies as bodiesOf} from '../helpers/forwarding.js'
import {signatureHeaders} from '../../src/zoom/signature.js'

const STREAM = 'logs-zoom.webhook-default'

const {es, serve} = stoppedAfterEachTest()
const zoomBodies = (count: number, seed: number) => bodiesOf(count, seed, ['meeting.started', 'meeting.participant_joined', 'user.signed_in'])

async function post(url: string, body: string): Promise<{status: number; json: Record<string, unknown>; retryAfter: string | null}> {
  const response = await fetch(url, {method: 'POST', headers: {'content-type': 'application/json; charset=utf-8', ...signatureHeaders(SECRET, body)}, body})
  return {status: response.status, json: (await response.json()) as Record<string, unknown>, retryAfter: response.headers.get('retry-after')}
}

const keyOf = (body: string) => dedupeKey(JSON.parse(body), Buffer.from(body))

describe('serve --ack-after-index', () => {
  it('answers 200 once the document is indexed, and deliveries that arrive together share a _bulk', async () => {
    const double = await es()
    const receiver = await serve(['--es-url', double.url, '--ack-after-index'])
    const [one, ...rest] = zoomBodies(41, 3)
    const answer = await post(receiver.url, one!)
    expect(answer.status).toBe(200)
    // Indexed before the answer, not after it.
    expect(double.documents(STREAM).map((doc) => doc.id)).toEqual([keyOf(one!)])
    expect(double.documents(STREAM)[0]!.source.labels).toEqual({zoomctl_dedupe_key: keyOf(one!)})

    const bulksBefore = double.requests.filter((request) => request.path === '/_bulk').length
    const statuses = await Promise.all(rest.map((body) => post(receiver.url, body).then((reply) => reply.status)))
    expect(statuses.every((status) => status === 200)).toBe(true)
    expect(double.documents(STREAM)).toHaveLength(41)
    // Two _bulk a round (claims, then documents), far fewer rounds than deliveries.
    const bulks = double.requests.filter((request) => request.path === '/_bulk').length - bulksBefore
    expect(bulks).toBeLessThan(40)
    const health = (await (await fetch(receiver.url.replace('/zoom-webhook', '/healthz'))).json()) as {ackAfterIndex: {deliveries: number; indexed: number; bulks: number}}
    expect(health.ackAfterIndex).toMatchObject({deliveries: 41, indexed: 41})
    expect(health.ackAfterIndex.bulks).toBeLessThan(41)
    // The forwarder passes over what the answers indexed: nothing is sent twice.
    await new Promise((resolve) => setTimeout(resolve, 3500))
    expect(double.documents(STREAM)).toHaveLength(41)
  })

  it('answers 503 while Elasticsearch is down (--ack-fallback retry, the default), keeps it, and indexes it once', async () => {
    const double = await es()
    const receiver = await serve(['--es-url', double.url, '--ack-after-index', '--ack-timeout', '1s', '--retry-max', '500ms'])
    const [body] = zoomBodies(1, 4)
    double.down()
    const answer = await post(receiver.url, body!)
    expect(answer).toMatchObject({status: 503, retryAfter: '60', json: {reason: 'not-indexed'}})
    expect(readStore(receiver.dataDir).map((record) => record.dedupeKey)).toEqual([keyOf(body!)])
    double.up()
    // Zoom's retry: indexed (by it or by the forwarder, whichever comes first), and once.
    await waitFor(async () => (await post(receiver.url, body!)).status === 200, 20_000, 'the retry to be answered 200')
    await new Promise((resolve) => setTimeout(resolve, 2500))
    expect(double.documents(STREAM).map((doc) => doc.id)).toEqual([keyOf(body!)])
  })

  it('answers 200 while Elasticsearch is down with --ack-fallback store, and forwards it from the store once it is back', async () => {
    const double = await es()
    const receiver = await serve(['--es-url', double.url, '--ack-after-index', '--ack-timeout', '1s', '--ack-fallback', 'store', '--retry-max', '500ms'])
    const [body] = zoomBodies(1, 5)
    double.down()
    expect((await post(receiver.url, body!)).status).toBe(200)
    expect(double.documents(STREAM)).toHaveLength(0)
    double.up()
    await waitFor(() => double.documents(STREAM).length === 1, 20_000, 'the stored delivery to be forwarded')
  })

  it('refuses --ack-after-index without Elasticsearch, and a budget Zoom would not wait for', async () => {
    const without = await runCli(['serve', '--ack-after-index', '--port', '0'])
    expect(without.code).toBe(2)
    expect(without.stderr).toContain('--ack-after-index goes with --es-url')
    const tooLong = await runCli(['serve', '--ack-after-index', '--es-url', 'http://127.0.0.1:9', '--ack-timeout', '5s', '--port', '0'])
    expect(tooLong.code).toBe(2)
    expect(tooLong.stderr).toContain('below 3s')
  })
})

describe('the dedupe claims', () => {
  it('take over a claim its replica abandoned, and wait for one a live replica holds', async () => {
    const double = await es()
    const [abandoned, held] = zoomBodies(2, 6)
    const plant = (body: string, at: Date) => {
      const index = dedupeIndex(STREAM, (JSON.parse(body) as {event_ts: number}).event_ts)
      const docs = double.plainIndices.get(index) ?? new Map()
      docs.set(keyOf(body), {source: {'@timestamp': at.toISOString(), owner: 'a-replica-that-died'}, seqNo: 1000})
      double.plainIndices.set(index, docs)
    }
    plant(abandoned!, new Date(Date.now() - 10 * 60_000))
    const receiver = await serve(['--es-url', double.url, '--ack-after-index', '--claim-lease', '4s', '--retry-max', '500ms'])
    // Claimed ten minutes ago and never indexed: taken over (compare-and-set) and indexed at once.
    expect((await post(receiver.url, abandoned!)).status).toBe(200)
    expect(double.documents(STREAM).map((doc) => doc.id)).toEqual([keyOf(abandoned!)])
    const claim = [...double.plainIndices.values()].find((docs) => docs.has(keyOf(abandoned!)))!.get(keyOf(abandoned!))!
    expect(claim.source.owner).not.toBe('a-replica-that-died')
    // Claimed just now by another replica: not written here while its holder may be writing it…
    plant(held!, new Date())
    const answer = await post(receiver.url, held!)
    expect(answer).toMatchObject({status: 503, json: {reason: 'not-indexed'}})
    expect(double.documents(STREAM)).toHaveLength(1)
    // …and taken over by the store's resend once the lease is over, since its holder never wrote it.
    await waitFor(() => double.documents(STREAM).length === 2, 30_000, 'the held claim to be taken over')
    expect(new Set(double.documents(STREAM).map((doc) => doc.id))).toEqual(new Set([keyOf(abandoned!), keyOf(held!)]))
  })

  it('index a retry after a rollover once; without them (--no-dedupe-index) twice, which validate --duplicates finds', async () => {
    const double = await es()
    const withClaims = await serve(['--es-url', double.url])
    const [body, other] = zoomBodies(2, 7)
    expect(await deliver(withClaims.url, body!)).toBe(200)
    await waitFor(() => double.documents(STREAM).length === 1, 20_000, 'the first copy')
    await withClaims.stop()
    double.rollover(STREAM)
    // Another replica, with a store of its own, gets Zoom's retry after the rollover.
    const other1 = await serve(['--es-url', double.url])
    expect(await deliver(other1.url, body!)).toBe(200)
    expect(await deliver(other1.url, other!)).toBe(200)
    await waitFor(() => double.documents(STREAM).length === 2, 20_000, 'the other event')
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect(double.documents(STREAM).map((doc) => doc.id).sort()).toEqual([keyOf(body!), keyOf(other!)].sort())
    const clean = await runCli(['validate', '--json', '--es-url', double.url, '--since', '1h', '--duplicates'])
    expect(clean.code).toBe(0)
    expect(JSON.parse(clean.stdout).checks.find((check: {id: string}) => check.id === 'elastic.duplicates')).toMatchObject({status: 'pass', value: '0 duplicates among 2 document(s)'})

    double.rollover(STREAM)
    const without = await serve(['--es-url', double.url, '--no-dedupe-index'])
    expect(await deliver(without.url, body!)).toBe(200)
    await waitFor(() => double.documents(STREAM).length === 3, 20_000, 'the duplicate')
    const found = await runCli(['validate', '--json', '--es-url', double.url, '--since', '1h', '--duplicates'])
    expect(found.code).toBe(1)
    const check = JSON.parse(found.stdout).checks.find((row: {id: string}) => row.id === 'elastic.duplicates')
    expect(check).toMatchObject({status: 'fail', value: '1 event(s) indexed more than once: 1 extra document(s)', details: [`${keyOf(body!)}: 2 documents`]})
  })
})
