/**
 * serve --ack-after-index against the strict Elasticsearch double: the 200 comes once the document is in,
 * deliveries that arrive together share a _bulk, and each fallback does what the README says when
 * Elasticsearch is down. Then the rollover dedupe: a retry that lands in a newer backing index than its first
 * copy is deleted again, and so is a copy a dead replica left there unchecked; validate --duplicates counts
 * copies by the dedupe key.
 */
import {describe, expect, it} from 'vitest'

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
  it('says at start that --ack-fallback and --ack-timeout change nothing without it', async () => {
    const double = await es()
    const receiver = await serve(['--es-url', double.url, '--ack-fallback', 'store', '--ack-timeout', '1s'])
    const listening = JSON.parse(receiver.lines.find((line) => line.includes('"listening"'))!) as {forwarding: string[]; warnings: string[]}
    expect(listening.warnings).toContain('--ack-fallback and --ack-timeout only apply with --ack-after-index: without it serve answers once a delivery is stored, and forwards it after')
    expect(listening.forwarding.join('\n')).not.toContain('once indexed')
  })

  it('answers 200 once the document is indexed, and deliveries that arrive together share a _bulk', async () => {
    const double = await es()
    const receiver = await serve(['--es-url', double.url, '--ack-after-index'])
    // The listening line says what a 200 means now, and what comes past the budget.
    const listening = JSON.parse(receiver.lines.find((line) => line.includes('"listening"'))!) as {forwarding: string[]; warnings: string[]}
    expect(listening.forwarding).toEqual([expect.stringContaining('answering Zoom once indexed (--ack-after-index: up to 2 s, then 503 so that Zoom retries (--ack-fallback retry))')])
    expect(listening.warnings).toEqual([])
    const [one, ...rest] = zoomBodies(41, 3)
    const answer = await post(receiver.url, one!)
    expect(answer.status).toBe(200)
    // Indexed before the answer, not after it.
    expect(double.documents(STREAM).map((doc) => doc.id)).toEqual([keyOf(one!)])
    expect(double.documents(STREAM)[0]!.source.labels).toEqual({zoomctl_dedupe_key: keyOf(one!)})

    const bulksBefore = double.requests.filter((request) => request.path === '/_bulk').length
    // Each round takes 30 ms, so that deliveries sent together still meet a round in flight on a loaded
    // machine, where the answers of a fast double could otherwise come before the next request is read.
    double.switches.slowMs = 30
    const statuses = await Promise.all(rest.map((body) => post(receiver.url, body).then((reply) => reply.status)))
    expect(statuses.every((status) => status === 200)).toBe(true)
    expect(double.documents(STREAM)).toHaveLength(41)
    // One _bulk a round, far fewer rounds than deliveries.
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
    // Its line says that this 200 was not an indexed one.
    await waitFor(() => receiver.lines.some((line) => line.includes('"type":"delivery"')), 5000, 'the delivery line')
    expect(JSON.parse(receiver.lines.find((line) => line.includes('"type":"delivery"'))!)).toMatchObject({result: 'accepted', detail: expect.stringContaining('answered 200 from the store (--ack-fallback store), forwarded from it later')})
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

describe('the rollover dedupe', () => {
  it('removes a copy that a replica which died before its check left in a newer backing index, when Zoom retries', async () => {
    const double = await es()
    // An event of two days ago: its first copy went in before yesterday's rollover; a replica wrote another
    // after it, and died before it could look for the first.
    const body = JSON.stringify({...(JSON.parse(zoomBodies(1, 6)[0]!) as object), event_ts: Date.now() - 2 * 86_400_000})
    const key = keyOf(body)
    const document = double.agentDocument(JSON.parse(body))
    double.seed(STREAM, [document], {id: key})
    double.created.set(double.documents(STREAM)[0]!.index, Date.now() - 3 * 86_400_000)
    double.rollover(STREAM, Date.now() - 86_400_000)
    double.seed(STREAM, [document], {id: key, generation: 2})
    const receiver = await serve(['--es-url', double.url, '--ack-after-index'])
    // Zoom's retry: refused as a copy by the write index (409), which is how the other one is found.
    expect((await post(receiver.url, body)).status).toBe(200)
    expect(double.documents(STREAM).map((doc) => [doc.id, doc.index])).toEqual([[key, expect.stringMatching(/-000001$/)]])
    // Counted where an operator looks.
    const health = (await (await fetch(receiver.url.replace('/zoom-webhook', '/healthz'))).json()) as {forwarding: Array<{laterCopiesRemoved?: number}>}
    expect(health.forwarding[0]!.laterCopiesRemoved).toBe(1)
  })

  it('answer 503 to a retry whose check must wait out a rollover, and finish the check from the store (--ack-after-index)', async () => {
    const double = await es()
    const receiver = await serve(['--es-url', double.url, '--ack-after-index', '--ack-timeout', '1s', '--rollover-settle', '4s', '--clock-margin', '0s', '--retry-max', '500ms'])
    const [body] = zoomBodies(1, 8)
    expect((await post(receiver.url, body!)).status).toBe(200)
    double.rollover(STREAM)
    // Zoom's retry to the same serve: stored as a copy, written by the answer's path into the new write index,
    // whose check must wait out the settle time, longer than the answer's budget. A 200 now would leave
    // the check to this replica alone; a 503 leaves it to Zoom's retry too, on whichever replica.
    expect((await post(receiver.url, body!)).json).toMatchObject({reason: 'not-indexed'})
    expect(double.documents(STREAM)).toHaveLength(2)
    // The forwarder sends the copy too (the answer did not mark it done), and its check removes the later one.
    await waitFor(() => double.documents(STREAM).length === 1, 30_000, 'the later copy removed')
    expect(double.documents(STREAM)[0]!.index).toMatch(/-000001$/)
  })

  it('index a retry after a rollover once; without it (--no-dedupe-index) twice, which validate --duplicates finds', async () => {
    const double = await es()
    const first = await serve(['--es-url', double.url])
    const [body, other] = zoomBodies(2, 7)
    expect(await deliver(first.url, body!)).toBe(200)
    await waitFor(() => double.documents(STREAM).length === 1, 20_000, 'the first copy')
    await first.stop()
    double.rollover(STREAM)
    // Another replica, with a store of its own, gets Zoom's retry after the rollover. The retry lands in the
    // new write index; once writes still on their way to the old one would be visible (--rollover-settle),
    // the first copy is found there and the retry's deleted.
    const second = await serve(['--es-url', double.url, '--rollover-settle', '1s', '--clock-margin', '0s', '--retry-max', '500ms'])
    expect(await deliver(second.url, body!)).toBe(200)
    expect(await deliver(second.url, other!)).toBe(200)
    const settled = () => double.documents(STREAM).map((doc) => doc.id).sort().join() === [keyOf(body!), keyOf(other!)].sort().join()
    await waitFor(settled, 20_000, 'the retry deleted and the other event in')
    expect(double.documents(STREAM).find((doc) => doc.id === keyOf(body!))?.index).toMatch(/-000001$/)
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect(settled()).toBe(true)
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
    expect(check).toMatchObject({status: 'fail', value: '1 event(s) indexed more than once: 1 extra document(s)'})
    // Where each copy is, to delete the extra one: the same _id in two backing indices, the older kept.
    const [older, newer] = double.documents(STREAM).filter((doc) => doc.id === double.documents(STREAM).at(-1)!.id)
    expect(check.details).toEqual([`${keyOf(body!)}: 2 documents; keep ${older!.id} in ${older!.index}; extra: ${newer!.id} in ${newer!.index}`])
  })
})
