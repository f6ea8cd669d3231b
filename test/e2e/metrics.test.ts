import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {findEvent} from '../../src/catalog/catalog.js'
import {BodyFactory} from '../../src/sender/index.js'
import {signatureHeaders} from '../../src/zoom/signature.js'
import {answerChallenge} from '../../src/zoom/challenge.js'
import {ElasticsearchDouble} from '../doubles/elasticsearch.js'
import {parseExposition, type PromFamily} from '../helpers/prometheus.js'
import {deliver, runCli, SECRET, startServe, type ServeProcess, tempDir, waitFor} from '../helpers/cli.js'

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

async function scrape(receiver: ServeProcess): Promise<Map<string, PromFamily>> {
  const response = await fetch(receiver.url.replace('/zoom-webhook', '/metrics'))
  expect(response.status).toBe(200)
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
  return parseExposition(await response.text())
}

/** The sum of the samples named `sample` (the family's own name by default) whose labels include these; 0 when none. */
function sample(families: Map<string, PromFamily>, name: string, labels: Record<string, string> = {}, sampleName = name): number {
  const family = families.get(name)
  if (!family) throw new Error(`no metric ${name}`)
  const found = family.samples.filter((entry) => entry.name === sampleName && Object.entries(labels).every(([key, value]) => entry.labels[key] === value))
  return found.reduce((total, entry) => total + entry.value, 0)
}

async function health(receiver: ServeProcess): Promise<{urlValidation: {state: string; lastAnsweredAt?: string; overdue: unknown[]}; warnings?: string[]}> {
  return (await fetch(receiver.url.replace('/zoom-webhook', '/healthz'))).json() as never
}

describe('serve /metrics', () => {
  it('counts a known mix of deliveries by verdict and type, their latency and sizes, copies, forwarding and the last URL validation', async () => {
    const es = await new ElasticsearchDouble().start()
    cleanups.push(() => es.stop())
    const receiver = await startServe(['--es-url', es.url])
    cleanups.push(() => receiver.stop())

    const factory = new BodyFactory(7)
    const started = factory.body(findEvent('meeting.started')!)
    const bodies = [started, factory.body(findEvent('meeting.started')!), factory.body(findEvent('user.signed_in')!)]
    for (const body of bodies) expect(await deliver(receiver.url, body)).toBe(200)
    expect(await deliver(receiver.url, started)).toBe(200) // Zoom's retry: a copy
    expect(await deliver(receiver.url, factory.body(findEvent('meeting.ended')!), 'not-the-token')).toBe(401) // forged
    // Authentic but stale (signed 10 minutes ago): refused, kept.
    const stale = factory.body(findEvent('meeting.ended')!)
    const staleAnswer = await fetch(receiver.url, {method: 'POST', headers: {'content-type': 'application/json', ...signatureHeaders(SECRET, stale, Math.floor(Date.now() / 1000) - 600)}, body: stale})
    expect(staleAnswer.status).toBe(401)
    // Zoom's URL validation, then doctor's own challenge, which is not Zoom's re-validation.
    const before = Date.now()
    const challenge = JSON.stringify({payload: {plainToken: 'abc123'}, event_ts: Date.now(), event: 'endpoint.url_validation'})
    const answer = await fetch(receiver.url, {method: 'POST', headers: {'content-type': 'application/json', ...signatureHeaders(SECRET, challenge)}, body: challenge})
    expect(await answer.json()).toEqual(answerChallenge(SECRET, 'abc123'))
    const doctor = await runCli(['doctor', receiver.url, '--allow-http', '--no-test-event', '--samples', '1', '--json'])
    expect(doctor.stdout).toContain('serve.revalidation')

    await waitFor(() => es.documents('logs-zoom.webhook-default').length === 3, 20_000, 'three documents indexed')
    let families = await scrape(receiver)
    await waitFor(async () => {
      families = await scrape(receiver)
      return sample(families, 'zoomctl_forwarded_total', {sink: 'elasticsearch'}) === 3
    }, 10_000, 'the forwarder to confirm three')

    const deliveries = (labels: Record<string, string>) => sample(families, 'zoomctl_deliveries_total', labels)
    expect(deliveries({result: 'accepted', event_type: 'meeting.started'})).toBe(2)
    expect(deliveries({result: 'accepted', event_type: 'user.signed_in'})).toBe(1)
    expect(deliveries({result: 'accepted'})).toBe(3)
    expect(deliveries({result: 'duplicate', event_type: 'meeting.started'})).toBe(1)
    expect(deliveries({result: 'refused', event_type: 'meeting.ended'})).toBe(1)
    // Ours, and doctor's probes: an unsigned and a mis-signed challenge, a GET.
    expect(deliveries({result: 'rejected'})).toBe(4)
    // What an unauthenticated body claims to be is never a label: anyone could mint series without end.
    expect(families.get('zoomctl_deliveries_total')!.samples.filter((entry) => entry.labels.result === 'rejected' && entry.labels.event_type !== '')).toEqual([])
    expect(deliveries({result: 'challenge', event_type: 'endpoint.url_validation'})).toBe(2) // Zoom's and doctor's
    expect(sample(families, 'zoomctl_dedupe_copies_total', {event_type: 'meeting.started'})).toBe(1)

    const latency = 'zoomctl_answer_duration_seconds'
    expect(families.get(latency)!.type).toBe('histogram')
    expect(sample(families, latency, {result: 'accepted'}, `${latency}_count`)).toBe(3)
    expect(sample(families, latency, {result: 'accepted', le: '+Inf'}, `${latency}_bucket`)).toBe(3)
    expect(sample(families, latency, {result: 'accepted', le: '3'}, `${latency}_bucket`)).toBe(3) // all within Zoom's 3 s
    expect(sample(families, latency, {result: 'duplicate'}, `${latency}_count`)).toBe(1)
    const sizes = 'zoomctl_delivery_body_bytes'
    expect(sample(families, sizes, {result: 'accepted'}, `${sizes}_sum`)).toBe(bodies.reduce((total, body) => total + Buffer.byteLength(body), 0))
    expect(sample(families, sizes, {result: 'accepted'}, `${sizes}_count`)).toBe(3)

    expect(sample(families, 'zoomctl_forward_lag_records', {sink: 'elasticsearch'})).toBe(0)
    expect(sample(families, 'zoomctl_forward_lag_seconds', {sink: 'elasticsearch'})).toBe(0)
    expect(sample(families, 'zoomctl_forward_up', {sink: 'elasticsearch'})).toBe(1)
    expect(sample(families, 'zoomctl_dead_letters_total', {sink: 'elasticsearch'})).toBe(0)
    expect(sample(families, 'zoomctl_sink_errors_total', {sink: 'elasticsearch'})).toBe(0)
    // Only Zoom's challenge counts as a validation: doctor's came later.
    const last = sample(families, 'zoomctl_url_validation_last_timestamp_seconds')
    expect(last * 1000).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000)
    expect((await health(receiver)).urlValidation.lastAnsweredAt).toBe(new Date(last * 1000).toISOString())
    expect(sample(families, 'zoomctl_url_validation_overdue')).toBe(0)
  })

  it('counts the queue, the lag and the errors of a sink that is down, and dead letters', async () => {
    const es = await new ElasticsearchDouble().start()
    cleanups.push(() => es.stop())
    es.down()
    const receiver = await startServe(['--es-url', es.url, '--retry-max', '200ms'])
    cleanups.push(() => receiver.stop())
    const factory = new BodyFactory(9)
    for (let i = 0; i < 4; i++) expect(await deliver(receiver.url, factory.body(findEvent('meeting.started')!))).toBe(200)
    let families = await scrape(receiver)
    await waitFor(async () => {
      families = await scrape(receiver)
      return sample(families, 'zoomctl_sink_errors_total', {sink: 'elasticsearch', kind: 'retry'}) >= 2
    }, 15_000, 'retries counted')
    expect(sample(families, 'zoomctl_forward_lag_records', {sink: 'elasticsearch'})).toBe(4)
    expect(sample(families, 'zoomctl_forward_queue_bytes', {sink: 'elasticsearch'})).toBeGreaterThan(4 * 500)
    expect(sample(families, 'zoomctl_forward_up', {sink: 'elasticsearch'})).toBe(0)
    // Back, but refusing user events for good (a mapping conflict, say): those become dead letters.
    es.switches.itemError = (doc) => ((doc.event as {action?: string} | undefined)?.action === 'user.signed_in' ? {status: 400, type: 'mapper_parsing_exception', reason: 'failed to parse'} : undefined)
    es.up()
    await waitFor(async () => {
      families = await scrape(receiver)
      return sample(families, 'zoomctl_forwarded_total', {sink: 'elasticsearch'}) === 4
    }, 15_000, 'all four forwarded')
    expect(sample(families, 'zoomctl_forward_lag_records', {sink: 'elasticsearch'})).toBe(0)
    expect(sample(families, 'zoomctl_forward_up', {sink: 'elasticsearch'})).toBe(1)
    for (let i = 0; i < 2; i++) expect(await deliver(receiver.url, factory.body(findEvent('user.signed_in')!))).toBe(200)
    await waitFor(async () => {
      families = await scrape(receiver)
      return sample(families, 'zoomctl_dead_letters_total', {sink: 'elasticsearch'}) === 2
    }, 15_000, 'two dead letters')
    expect(sample(families, 'zoomctl_sink_errors_total', {sink: 'elasticsearch', kind: 'dead'})).toBe(2)
    expect(sample(families, 'zoomctl_forward_lag_records', {sink: 'elasticsearch'})).toBe(0)
  })
})

describe("Zoom's re-validation watched", () => {
  it('warns on /healthz, /metrics, the banner and doctor when the last challenge is more than 72 h old', async () => {
    const dataDir = tempDir()
    const lastAnsweredAt = new Date(Date.now() - 73 * 3_600_000).toISOString()
    writeFileSync(join(dataDir, 'url-validation.json'), JSON.stringify({last: {'': lastAnsweredAt}, count: {'': 5}}))
    const receiver = await startServe(['--data-dir', dataDir])
    cleanups.push(() => receiver.stop())
    expect(JSON.parse(receiver.lines[0]!).warnings.join(' ')).toContain('Zoom re-validates every 72 h and none came')
    const state = await health(receiver)
    expect(state.urlValidation).toMatchObject({state: 'overdue', lastAnsweredAt, overdue: [{lastAnsweredAt, hoursAgo: 73}]})
    expect(state.warnings![0]).toMatch(/subscription is still enabled/)
    expect(sample(await scrape(receiver), 'zoomctl_url_validation_overdue')).toBe(1)
    const doctor = await runCli(['doctor', receiver.url, '--allow-http', '--no-test-event', '--json'])
    const check = (JSON.parse(doctor.stdout) as {checks: Array<{id: string; status: string; hint?: string}>}).checks.find((entry) => entry.id === 'serve.revalidation')
    expect(check).toMatchObject({status: 'warn', hint: expect.stringContaining('Zoom App Marketplace')})
    // Zoom's next challenge puts it right; doctor's own did not.
    const challenge = JSON.stringify({payload: {plainToken: 'xyz'}, event_ts: Date.now(), event: 'endpoint.url_validation'})
    await fetch(receiver.url, {method: 'POST', headers: {'content-type': 'application/json', ...signatureHeaders(SECRET, challenge)}, body: challenge})
    expect((await health(receiver)).urlValidation.state).toBe('ok')
    expect(sample(await scrape(receiver), 'zoomctl_url_validation_overdue')).toBe(0)
  })
})
