import {spawn} from 'node:child_process'
import {createInterface} from 'node:readline'

import {afterEach, describe, expect, it} from 'vitest'

import {findEvent} from '../../src/catalog/catalog.js'
import {BodyFactory} from '../../src/sender/index.js'
import {signatureHeaders} from '../../src/zoom/signature.js'
import {ElasticsearchDouble} from '../doubles/elasticsearch.js'
import {BIN, deliver, ISOLATED, SECRET, tempDir, waitFor} from '../helpers/cli.js'

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

const MARKER = 'BODY-MARKER-7f3a'
const API_KEY = 'ZWNzLWxvZy10ZXN0OnNlY3JldC1hcGkta2V5LXZhbHVl'

describe('serve --log-format ecs', () => {
  it("writes start, every verdict, sink state changes, dead letters and the stop as ECS JSON, with no secret nor body", async () => {
    const es = await new ElasticsearchDouble().start()
    cleanups.push(() => es.stop())
    const child = spawn(process.execPath, [BIN, 'serve', '--log-format', 'ecs', '--port', '0', '--data-dir', tempDir(), '--es-url', es.url, '--retry-max', '200ms'], {
      env: {...process.env, ...ISOLATED, ZOOM_WEBHOOK_SECRET_TOKEN: SECRET, ELASTICSEARCH_API_KEY: API_KEY},
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
    cleanups.push(async () => {
      if (child.exitCode === null) child.kill('SIGTERM')
      await exited
    })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const lines: string[] = []
    createInterface({input: child.stdout}).on('line', (line) => lines.push(line))
    const parsed = () => lines.map((line) => JSON.parse(line) as Record<string, unknown> & {event?: {action?: string}; message: string})
    await waitFor(() => parsed().some((line) => line.event?.action === 'listening'), 15_000, 'the listening line')
    const url = (parsed().find((line) => line.event?.action === 'listening')!.url as {full: string}).full
    es.down()

    const factory = new BodyFactory(5)
    const body = (event: string) => {
      const value = JSON.parse(factory.body(findEvent(event)!)) as {payload: {object: Record<string, unknown>}}
      value.payload.object.topic = MARKER
      return JSON.stringify(value)
    }
    expect(await deliver(url, body('meeting.started'))).toBe(200)
    expect(await deliver(url, body('meeting.ended'), 'wrong-secret')).toBe(401)
    const malformed = `{"event": "meeting.started", "topic": "${MARKER}", oops}`
    const refused = await fetch(url, {method: 'POST', headers: {'content-type': 'application/json', ...signatureHeaders(SECRET, malformed)}, body: malformed})
    expect(refused.status).toBe(400)
    await waitFor(() => parsed().some((line) => line.event?.action === 'sink-down'), 15_000, 'the sink-down line')
    // Back, refusing user events for good with a preview of the value, as Elasticsearch's mapping errors do.
    es.switches.itemError = (doc) => ((doc.event as {action?: string} | undefined)?.action === 'user.signed_in' ? {status: 400, type: 'document_parsing_exception', reason: `failed to parse field [zoom.payload.object.topic]. Preview of field's value: '${MARKER}'`} : undefined)
    es.up()
    await waitFor(() => parsed().some((line) => line.event?.action === 'sink-up'), 15_000, 'the sink-up line')
    expect(await deliver(url, body('user.signed_in'))).toBe(200)
    await waitFor(() => parsed().some((line) => line.event?.action === 'dead-letter'), 15_000, 'the dead-letter line')
    child.kill('SIGTERM')
    expect(await exited).toBe(0)

    const records = parsed()
    expect(records.map((line) => line.event?.action)).toEqual(['listening', 'warning', 'accepted', 'rejected', 'refused', 'sink-down', 'sink-up', 'accepted', 'dead-letter', 'stopped'].filter((action) => action !== 'warning' || records.some((line) => line.event?.action === 'warning')))
    for (const line of records) {
      expect(Number.isNaN(Date.parse(line['@timestamp'] as string))).toBe(false)
      expect(['info', 'warn', 'error']).toContain(line['log.level'])
      expect(line['ecs.version']).toMatch(/^\d+\.\d+\.\d+$/)
      expect(typeof line.message).toBe('string')
      expect(line.message.length).toBeGreaterThan(0)
    }
    const levels = Object.fromEntries(records.map((line) => [line.event!.action, line['log.level']]))
    expect(levels).toMatchObject({listening: 'info', accepted: 'info', rejected: 'warn', refused: 'warn', 'sink-down': 'error', 'sink-up': 'info', 'dead-letter': 'warn'})
    expect(records.find((line) => line.event?.action === 'accepted')).toMatchObject({http: {response: {status_code: 200}}, zoomctl: {delivery: {event_type: 'meeting.started'}}})
    const text = lines.join('\n')
    for (const secret of [SECRET, 'wrong-secret', API_KEY, MARKER, 'oops']) expect(text).not.toContain(secret)
    expect(stderr).toBe('')
  })
})
