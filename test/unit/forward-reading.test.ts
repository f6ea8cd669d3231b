import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {allEvents} from '../../src/catalog/catalog.js'
import {eventTimeOfText, eventTsOf, topLevelMember} from '../../src/forward/event-time.js'
import {BodyFactory} from '../../src/sender/index.js'
import {agentDocument, agentDocumentHead, type AgentEnvelope} from '../../src/mapping/index.js'
import {readRecord, readStoredLine, recordLine} from '../../src/store/records.js'

describe("the forwarder's reading of stored bodies without parsing them", () => {
  it('finds a top-level member as JSON.parse does, in any JSON object, or declines', () => {
    const member = fc.oneof(fc.integer(), fc.double({noNaN: true, noDefaultInfinity: true}), fc.string(), fc.constant(null), fc.object())
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.option(member, {nil: undefined}), fc.nat(), fc.boolean(), (object, value, position, spaced) => {
        const entries = Object.entries(object)
        // event_ts anywhere among the members, nested copies of it too, so that only the top level counts.
        if (value !== undefined) entries.splice(position % (entries.length + 1), 0, ['event_ts', value as fc.JsonValue])
        entries.push(['payload', {event_ts: 1, object: {event_ts: 'nested'}}])
        const text = JSON.stringify(Object.fromEntries(entries), null, spaced ? 1 : undefined)
        const expected = (JSON.parse(text) as {event_ts?: unknown}).event_ts
        const found = topLevelMember(text, 'event_ts')
        if (found !== undefined) expect(found).toEqual(expected)
        // It declines only what it cannot read for sure: a value other than a number or a string without escapes.
        else expect(typeof expected === 'number' || (typeof expected === 'string' && !JSON.stringify(expected).includes('\\'))).toBe(false)
      }),
      {numRuns: 2000},
    )
  })

  it('gives the same event time as the parsed body for every event of the catalog', () => {
    const factory = new BodyFactory(7)
    for (const spec of allEvents()) {
      const text = factory.body(spec)
      const parsed = JSON.parse(text) as {event_ts?: number}
      expect(eventTimeOfText(text), spec.event).toBe(parsed.event_ts)
      expect(eventTsOf(parsed)).toBe(parsed.event_ts)
    }
    // Not a plausible time in ms, not an object, escaped: the caller falls back to parsing.
    expect(eventTimeOfText('{"event_ts":12}')).toBeUndefined()
    expect(eventTimeOfText('[{"event_ts":1764000000000}]')).toBeUndefined()
    expect(eventTimeOfText('{"event_ts":"17640000\\u00300000"}')).toBeUndefined()
    expect(eventTimeOfText('{"event_ts":"1764000000000"}')).toBe(1764000000000)
  })

  it('reads a stored line as readRecord does, whatever its format, with the body kept as text', () => {
    const meta = {id: 'r1', receivedAt: '2026-12-07T10:00:00.000Z', source: {address: '127.0.0.1'}, method: 'POST', path: '/zoom-webhook', headers: {}, eventType: 'meeting.started', dedupeKey: 'k'}
    const bodies = ['{"event":"meeting.started","payload":{"x":"a,\\"v\\":2,\\"bodySize\\":9"}}', '{"event":"meeting.started",\n"payload":{}}', '{"event":"é"}']
    for (const body of bodies) {
      const line = recordLine(meta, Buffer.from(body), true)
      const withoutNewline = line.subarray(0, line.length - 1)
      expect(readStoredLine(withoutNewline)).toEqual(readRecord(withoutNewline.toString()))
      expect(readStoredLine(withoutNewline).rawBody).toBe(body)
    }
    // A format-2 line cut short (a crash mid-write) is not read as a record.
    const torn = recordLine(meta, Buffer.from(bodies[0]!), true).subarray(0, 150)
    expect(() => readStoredLine(torn)).toThrow()
  })

  it("writes the agent's document up to its body as JSON.stringify writes the whole, with the body appended as it came", () => {
    const envelope = fc.record(
      {
        receivedAt: fc.date({min: new Date('1970-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true}),
        namespace: fc.option(fc.string(), {nil: undefined}),
        tags: fc.option(fc.array(fc.string(), {maxLength: 4}), {nil: undefined}),
        preserveOriginal: fc.option(fc.boolean(), {nil: undefined}),
        rawBody: fc.option(fc.string(), {nil: undefined}),
      },
      {requiredKeys: ['receivedAt']},
    )
    fc.assert(
      fc.property(envelope, fc.string(), fc.jsonValue(), (given, key, body) => {
        const text = JSON.stringify(body) ?? 'null'
        // Each twice: the second comes from the members kept for that namespace, offset and tags.
        for (let i = 0; i < 2; i++) {
          const {zoom, ...members} = agentDocument(JSON.parse(text), given as AgentEnvelope)
          expect(`${agentDocumentHead(given as AgentEnvelope, {zoomctl_dedupe_key: key})}${text}}`).toBe(JSON.stringify({...members, labels: {zoomctl_dedupe_key: key}, zoom}))
        }
      }),
      {numRuns: 1000},
    )
  })
})
