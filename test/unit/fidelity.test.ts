import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {findEvent} from '../../src/catalog/catalog.js'
import {ecsFields} from '../../src/checks/expectations.js'
import {indexedDocument} from '../../src/mapping/index.js'
import {BodyFactory} from '../../src/sender/index.js'

const CORPUS = join(import.meta.dirname, '../../fixtures/elastic-zoom/pipeline-tests/webhook')
/** Every version where the integration's behaviour changes (see mapping/version.ts). */
const VERSIONS = ['1.20.0', '1.21.0', '1.23.0', '1.27.2']

/** Real Zoom bodies from Elastic's pipeline tests, by event type. */
const samples = new Map<string, Array<Record<string, unknown>>>()
for (const file of readdirSync(CORPUS).filter((name) => name.endsWith('.json') && !name.includes('expected'))) {
  for (const event of (JSON.parse(readFileSync(join(CORPUS, file), 'utf8')) as {events: Array<{zoom: Record<string, unknown>}>}).events) {
    const type = event.zoom.event as string
    samples.set(type, [...(samples.get(type) ?? []), event.zoom])
  }
}

/** Key paths of a JSON value; array items share one path (`list[].key`). */
function keyPaths(value: unknown, prefix = '', out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    if (!value.length) out.add(`${prefix}[]`)
    for (const item of value) keyPaths(item, `${prefix}[]`, out)
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, child] of Object.entries(value)) keyPaths(child, prefix ? `${prefix}.${key}` : key, out)
  } else {
    out.add(prefix)
  }
  return out
}

describe("simulate's bodies carry what real Zoom deliveries carry", () => {
  const types = [...samples.keys()].sort()

  it('covers every event type of the corpus', () => {
    expect(types.length).toBeGreaterThan(70)
    expect(types.filter((type) => !findEvent(type))).toEqual([])
  })

  it.each([1, 2, 3])('has every payload key path of the real samples (seed %i)', (seed) => {
    const factory = new BodyFactory(seed)
    const missing: string[] = []
    for (const type of types) {
      const simulated = [...keyPaths(factory.build(findEvent(type)!).payload)]
      for (const sample of samples.get(type)!) {
        for (const path of keyPaths(sample.payload)) {
          // An empty array in a sample is matched by any items of that array.
          const covered = path.endsWith('[]') ? simulated.some((mine) => mine.startsWith(path)) : simulated.includes(path)
          if (!covered) missing.push(`${type}: payload.${path}`)
        }
      }
    }
    expect(missing).toEqual([])
  })

  it.each([1, 2, 3])("gives, mapped, every ECS field the real samples give, at every integration version (seed %i)", (seed) => {
    const factory = new BodyFactory(seed)
    const missing: string[] = []
    for (const type of types) {
      const body = factory.build(findEvent(type)!)
      for (const version of VERSIONS) {
        const mine = new Set(ecsFields(indexedDocument(body, {receivedAt: new Date(0), integrationVersion: version})))
        for (const sample of samples.get(type)!) {
          for (const field of ecsFields(indexedDocument(sample, {receivedAt: new Date(0), integrationVersion: version}))) {
            if (!mine.has(field)) missing.push(`${type}@${version}: ${field}`)
          }
        }
      }
    }
    expect(missing).toEqual([])
  })

  it('gives participants a public address from a documentation range, which becomes source.ip', () => {
    const body = new BodyFactory(4).build(findEvent('meeting.participant_joined')!)
    const payload = body.payload as {object: {participant: {public_ip: string}}}
    const ip = payload.object.participant.public_ip
    expect(ip).toMatch(/^203\.0\.113\.\d+$/)
    expect(indexedDocument(body, {receivedAt: new Date(0), integrationVersion: '1.27.2'})).toMatchObject({source: {ip}})
  })
})
