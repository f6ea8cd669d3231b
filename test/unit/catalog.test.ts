import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {allEvents, findEvent, suggestEvents} from '../../src/catalog/catalog.js'
import {buildEventBody, eventBodyWriter} from '../../src/catalog/payload.js'
import {createScenario} from '../../src/catalog/scenario.js'
import {runIngestPipeline} from '../../src/mapping/index.js'
import {BodyFactory, selectEvents} from '../../src/sender/simulation.js'

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0, 123)
const elasticTypes = new Set<string>()
for (const file of ['account', 'chat-channel', 'chat-message', 'meeting', 'phone', 'recording', 'user', 'webinar', 'zoomroom']) {
  const corpus = JSON.parse(readFileSync(join(import.meta.dirname, `../../fixtures/elastic-zoom/pipeline-tests/webhook/test-${file}.json`), 'utf8')) as {
    events: Array<{zoom: {event: string}}>
  }
  for (const event of corpus.events) elasticTypes.add(event.zoom.event)
}

describe('event catalog', () => {
  it('covers every event type of the Elastic corpus and the nine categories', () => {
    for (const type of elasticTypes) expect(findEvent(type), type).toBeDefined()
    expect(new Set(allEvents().map((spec) => spec.category))).toEqual(
      new Set(['meeting', 'webinar', 'recording', 'user', 'account', 'chat_channel', 'chat_message', 'phone', 'zoomroom', 'endpoint']),
    )
    expect(allEvents().length).toBe(211)
  })

  it.each(allEvents().map((spec) => [spec.event, spec] as const))('%s builds a body of the real shape', (_, spec) => {
    const body = JSON.parse(JSON.stringify(buildEventBody(spec, createScenario(42, NOW), NOW))) as {
      event: string
      event_ts: number
      payload: Record<string, unknown>
      download_token?: string
    }
    expect(body.event).toBe(spec.event)
    expect(body.event_ts).toBe(NOW)
    const required = spec.payload_fields.filter((field) => !field.endsWith('?'))
    for (const field of required) expect(body.payload, field).toHaveProperty(field)
    if (spec.payload_fields.some((field) => field.replace('?', '') === 'account_id')) expect(typeof body.payload.account_id).toBe('string')
    if (spec.operator === true) expect(String(body.payload.operator)).toContain('@')
    if (spec.object_fields.length > 0) {
      const object = body.payload.object as Record<string, unknown>
      for (const path of spec.object_fields.filter((field) => !field.includes('.') && !field.includes('['))) expect(object, path).toHaveProperty(path)
      if (spec.object_id_type && 'id' in object) expect(typeof object.id).toBe(spec.object_id_type)
    }
    if (spec.top_level_extra?.includes('download_token')) expect(body.download_token).toMatch(/^[A-Za-z0-9]{100,}$/)
    if (spec.event === 'endpoint.url_validation') expect(body.payload).toEqual({plainToken: expect.stringMatching(/^\w{22}$/)})
  })

  it('shares identities across one run and renews them across runs', () => {
    const factory = new BodyFactory(7)
    const started = JSON.parse(factory.body(findEvent('meeting.started')!)) as {payload: {object: {id: string; uuid: string; host_id: string}}}
    const joined = JSON.parse(factory.body(findEvent('meeting.participant_joined')!)) as {payload: {object: {id: string; uuid: string; host_id: string}}}
    const recorded = JSON.parse(factory.body(findEvent('recording.completed')!)) as {payload: {object: {id: number; uuid: string}}}
    expect(joined.payload.object.id).toBe(started.payload.object.id)
    expect(joined.payload.object.uuid).toBe(started.payload.object.uuid)
    expect(joined.payload.object.host_id).toBe(started.payload.object.host_id)
    expect(String(recorded.payload.object.id)).toBe(started.payload.object.id)
    const other = JSON.parse(new BodyFactory(8).body(findEvent('meeting.started')!)) as typeof started
    expect(other.payload.object.uuid).not.toBe(started.payload.object.uuid)
  })

  it('writes, from a compiled entry, the very text of the built body, body after body on one shared stream', () => {
    // Two scenarios of one seed in lockstep: the writers on one, buildEventBody on the other. Entries take
    // turns on the run's random stream, so a hole filled out of order, or a value wrongly taken as fixed,
    // shows as a different body here.
    for (const seed of [1, 2, 99]) {
      const built = createScenario(seed, NOW)
      const written = createScenario(seed, NOW)
      const specs = allEvents()
      const writers = specs.map((spec) => eventBodyWriter(spec, written))
      const times = [NOW, NOW + 1, NOW + 61_001, NOW + 86_400_000 * 40 + 999]
      for (const time of times) {
        for (const [i, spec] of specs.entries()) expect(writers[i]!(time), spec.event).toBe(JSON.stringify(buildEventBody(spec, built, time)))
      }
    }
  })

  it('sends fresh times and identities in each body of a burst, as a factory without writers would', () => {
    const spec = findEvent('meeting.participant_joined')!
    const factory = new BodyFactory(5, [], () => NOW)
    const reference = new BodyFactory(5, ['event=meeting.participant_joined'], () => NOW)
    const bodies = Array.from({length: 3}, () => factory.body(spec))
    expect(bodies).toEqual(Array.from({length: 3}, () => reference.body(spec)))
    expect(bodies.map((body) => (JSON.parse(body) as {event_ts: number}).event_ts)).toEqual([NOW, NOW + 1, NOW + 2])
    expect(new Set(bodies.map((body) => (JSON.parse(body) as {payload: {object: {participant: {public_ip: string}}}}).payload.object.participant.public_ip)).size).toBeGreaterThan(1)
  })

  it('applies --set overrides as JSON when they are JSON', () => {
    const body = JSON.parse(new BodyFactory(1, ['payload.object.topic=Board meeting', 'payload.object.duration=90', 'payload.extra.flag=true']).body(findEvent('meeting.created')!)) as {
      payload: {object: {topic: string; duration: number}; extra: {flag: boolean}}
    }
    expect(body.payload.object.topic).toBe('Board meeting')
    expect(body.payload.object.duration).toBe(90)
    expect(body.payload.extra.flag).toBe(true)
  })

  it('fills every key with a value of its kind, never a placeholder made of the key ("file_path": "file path")', () => {
    const placeholders: string[] = []
    const walk = (value: unknown, key: string, path: string) => {
      if (value && typeof value === 'object') for (const [child, inner] of Object.entries(value)) walk(inner, child, `${path}.${child}`)
      else if (typeof value === 'string' && key && value === key.replace(/_/g, ' ')) placeholders.push(path)
    }
    for (const seed of [1, 2, 3]) {
      const scenario = createScenario(seed, NOW)
      for (const spec of allEvents()) walk(buildEventBody(spec, scenario, NOW), '', spec.event)
    }
    expect(placeholders).toEqual([])
  })

  it('every catalog body maps without a pipeline error', () => {
    for (const spec of allEvents()) {
      const document = runIngestPipeline({zoom: buildEventBody(spec, createScenario(3, NOW), NOW)})
      expect(document.event, spec.event).toMatchObject({kind: ['event'], action: spec.event})
    }
  })

  it('selects by name, category and all, with hints for typos', () => {
    expect(selectEvents({names: ['meeting.started']}).map((spec) => spec.event)).toEqual(['meeting.started'])
    expect(selectEvents({names: [], category: 'zoomroom'}).length).toBe(14)
    const all = selectEvents({names: [], all: true})
    expect(all.length).toBe(210)
    expect(all.map((spec) => spec.event)).not.toContain('endpoint.url_validation')
    // The message names the mistake; the suggestion is the hint (--json keeps them apart).
    expect(() => selectEvents({names: ['meeting.strated']})).toThrow(expect.objectContaining({message: 'unknown event type "meeting.strated"', hint: expect.stringMatching(/^did you mean meeting\.started\b/)}))
    expect(suggestEvents('user.signin')).toContain('user.signed_in')
    expect(() => selectEvents({names: [], category: 'nope'})).toThrow(/unknown category/)
  })
})
