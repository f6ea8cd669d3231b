import {describe, expect, it} from 'vitest'

import {connectElastic} from '../../src/elastic/connection.js'
import {ElasticSink} from '../../src/forward/elastic-sink.js'
import {readStoredLine, recordLine} from '../../src/store/records.js'
import {stoppedAfterEachTest} from '../helpers/forwarding.js'

describe("the Elasticsearch sink's documents, whatever the stored body's lines", () => {
  const started = stoppedAfterEachTest()

  it('sends a body on one line as its own text, and one with line breaks (LF, CRLF or a lone CR) parsed and written again', async () => {
    const event = {event: 'meeting.started', event_ts: 1_764_000_000_000, payload: {account_id: 'acc', object: {id: '85', topic: 'a "quoted"\tline'}}}
    const bodies = {
      oneLine: JSON.stringify(event),
      lf: JSON.stringify(event, null, 2),
      crlf: JSON.stringify(event, null, 2).replaceAll('\n', '\r\n'),
      cr: JSON.stringify(event, null, 2).replaceAll('\n', '\r'),
    }
    // As the forwarder reads them from the store: a body with a line break is stored in format 1, the others in format 2.
    const records = Object.entries(bodies).map(([name, body]) => {
      const line = recordLine({id: name, receivedAt: '2026-12-07T10:00:00.000Z', source: {address: '127.0.0.1'}, method: 'POST', path: '/zoom-webhook', headers: {}, eventType: event.event, dedupeKey: `key-${name}`}, Buffer.from(body), true)
      return readStoredLine(line.subarray(0, line.length - 1))
    })
    // No integration installed: the double keeps each document as it was sent, so `zoom` is the body as the sink wrote it.
    const es = await started.es({integration: false})
    const connection = await connectElastic({nodes: [es.url], namespace: 'bodies', requestTimeoutMs: 10_000})
    const sink = new ElasticSink(connection, {namespace: 'bodies', preMap: false, dedupeIndex: false})
    try {
      const outcome = await sink.send(records)
      expect(outcome).toEqual({kind: 'items', items: records.map(() => ({kind: 'done'}))})
    } finally {
      await sink.close()
    }
    const documents = es.documents('logs-zoom.webhook-bodies')
    expect(documents.map((document) => document.id).sort()).toEqual(Object.keys(bodies).map((name) => `key-${name}`).sort())
    for (const document of documents) expect(document.source.zoom).toEqual(event)
  })
})
