import {readdirSync, readFileSync, statSync} from 'node:fs'
import {join} from 'node:path'

import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {allEvents} from '../../src/catalog/catalog.js'
import {buildEventBody} from '../../src/catalog/payload.js'
import {createScenario} from '../../src/catalog/scenario.js'
import {depthOver, jsonDepth, MAX_BODY_DEPTH} from '../../src/zoom/limits.js'

const FIXTURES = join(import.meta.dirname, '../../fixtures/elastic-zoom/pipeline-tests')

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? files(join(dir, name)) : [join(dir, name)]))
}

describe('the nesting depth of a body', () => {
  it('counts objects and arrays, not brackets inside strings', () => {
    expect(jsonDepth('1')).toBe(0)
    expect(jsonDepth('{}')).toBe(1)
    expect(jsonDepth('[{"a":[1,{"b":{}}]}]')).toBe(5)
    expect(jsonDepth('{"a":"[[[[{{{{","b":"\\\\","c":"\\"[[["}')).toBe(1)
    expect(jsonDepth(Buffer.from(`${'['.repeat(10_000)}${']'.repeat(10_000)}`))).toBe(10_000)
  })

  it('tells a text deeper than a limit as jsonDepth does, counting its brackets first', () => {
    // Texts with brackets in strings, nested arrays and objects, around the limit: JSON, and not.
    const nestedText = fc.letrec<{value: unknown}>((tie) => ({value: fc.oneof({depthSize: 'large', maxDepth: 12}, fc.string({unit: fc.constantFrom('a', '[', '{', '"', '\\', ']')}), fc.array(tie('value'), {maxLength: 3}), fc.dictionary(fc.string(), tie('value'), {maxKeys: 3}))})).value
    const text = fc.oneof(nestedText.map((value) => JSON.stringify(value)), fc.string({unit: fc.constantFrom('[', '{', ']', '}', '"', '\\', 'a')}))
    fc.assert(
      fc.property(text, fc.integer({min: 0, max: 12}), (given, limit) => {
        const bytes = Buffer.from(given)
        const depth = jsonDepth(bytes)
        expect(depthOver(bytes, limit)).toBe(depth > limit ? depth : undefined)
      }),
      {numRuns: 3000},
    )
  })

  it("the limit leaves room above Zoom's deepest body: the catalog's and Elastic's pipeline fixtures'", () => {
    const now = Date.parse('2026-12-01T00:00:00Z')
    const catalog = Math.max(...allEvents().map((spec) => jsonDepth(JSON.stringify(buildEventBody(spec, createScenario(7, now), now)))))
    // The pipeline fixtures wrap each event in {"events": [...]}: two levels that are not Zoom's.
    const fixtures = Math.max(...files(FIXTURES).filter((path) => /\.(json|log)$/.test(path) && !path.endsWith('-expected.json')).map((path) => jsonDepth(readFileSync(path)) - 2))
    expect(catalog).toBe(7)
    expect(fixtures).toBeLessThanOrEqual(catalog)
    expect(MAX_BODY_DEPTH).toBeGreaterThanOrEqual(4 * catalog)
  })
})
