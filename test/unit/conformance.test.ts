import {createHash} from 'node:crypto'
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {runIngestPipeline} from '../../src/mapping/index.js'
import {fingerprint, REPORT_STREAM_SINCE, runReportPipeline} from '../../src/mapping/reports/index.js'
import {compareVersions, KNOWN_VERSIONS} from '../../src/mapping/version.js'
import type {ReportStream} from '../../src/zoom/reports.js'
import {diffDocuments, type FieldDifference} from '../helpers/flatten.js'

const CORPUS = join(import.meta.dirname, '../../fixtures/elastic-zoom')
const WEBHOOK = join(CORPUS, 'pipeline-tests/webhook')

type AgentDoc = {zoom: {event: string}}

/** Fields whose value the corpus does not fix, each with the reason. */
const VOLATILE: Record<string, string> = {
  'event.ingested': 'set at ingest time; every -config.yml declares it a dynamic field',
}
/** Fields that depend on Elasticsearch's own databases, not on the pipeline's logic. */
const ENVIRONMENT: Record<string, string> = {
  'source.geo': "GeoIP lookup from Elasticsearch's test databases, which zoomctl does not carry",
  'source.as': "ASN lookup from Elasticsearch's test databases, which zoomctl does not carry",
}

const excluded = (reasons: Record<string, string>) => (field: string) => Object.keys(reasons).some((prefix) => field === prefix || field.startsWith(`${prefix}.`))

interface Case {
  file: string
  index: number
  input: AgentDoc
  expected: unknown
}

function loadPairs(dir: string): Case[] {
  const cases: Case[] = []
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.json') && !name.includes('-expected'))) {
    const events = (JSON.parse(readFileSync(join(dir, file), 'utf8')) as {events: AgentDoc[]}).events
    const expected = (JSON.parse(readFileSync(join(dir, `${file}-expected.json`), 'utf8')) as {expected: unknown[]}).expected
    expect(expected).toHaveLength(events.length)
    events.forEach((input, index) => cases.push({file, index, input, expected: expected[index]}))
  }
  return cases
}

function report(title: string, results: Array<{kase: Case; differences: FieldDifference[]}>): string {
  const matching = results.filter((result) => result.differences.length === 0).length
  const lines = [`${title}: ${matching}/${results.length} events match exactly`]
  for (const {kase, differences} of results.filter((result) => result.differences.length > 0)) {
    for (const difference of differences) {
      lines.push(
        `  ${kase.file} #${kase.index} ${kase.input.zoom.event} ${difference.field}: expected ${JSON.stringify(difference.expected)}, got ${JSON.stringify(difference.actual)}`,
      )
    }
  }
  return lines.join('\n')
}

describe('conformance with the integration pipeline tests', () => {
  it('reproduces every 1.20.0 webhook document', () => {
    const cases = loadPairs(WEBHOOK)
    expect(cases.length).toBeGreaterThanOrEqual(72)
    const results = cases.map((kase) => ({
      kase,
      differences: diffDocuments(kase.expected, runIngestPipeline(kase.input, {integrationVersion: '1.20.0'}), excluded(VOLATILE)),
    }))
    const text = report('zoom 1.20.0 webhook corpus', results)
    console.log(text)
    expect(text).toBe(`zoom 1.20.0 webhook corpus: ${cases.length}/${cases.length} events match exactly`)
  })

  it('reproduces the 1.23.0 meeting documents (participant email, ids and source.ip)', () => {
    const inputs = (JSON.parse(readFileSync(join(WEBHOOK, 'test-meeting.json'), 'utf8')) as {events: AgentDoc[]}).events
    const expected = (JSON.parse(readFileSync(join(CORPUS, 'pipeline-tests/webhook-1.23.0-partial/test-meeting.json-expected.json'), 'utf8')) as {
      expected: Array<{event: {action: string}}>
    }).expected
    // The 1.23.0 file pairs with the upstream input; ours lacks the set-aside events, so pair by action in order.
    const {zoom} = JSON.parse(readFileSync(join(CORPUS, 'reconstructed/meeting-participant-joined-public-ip.json'), 'utf8')) as AgentDoc
    const reconstructed: AgentDoc = {zoom}
    const all = [...inputs, reconstructed]
    const cases: Case[] = []
    let cursor = 0
    for (const [index, input] of all.entries()) {
      while (cursor < expected.length && expected[cursor]!.event.action !== input.zoom.event) cursor++
      expect(cursor, `no 1.23.0 document for ${input.zoom.event}`).toBeLessThan(expected.length)
      cases.push({file: index < inputs.length ? 'test-meeting.json (1.23.0)' : 'reconstructed', index, input, expected: expected[cursor++]})
    }
    const results = cases.map((kase) => ({
      kase,
      differences: diffDocuments(kase.expected, runIngestPipeline(kase.input, {integrationVersion: '1.23.0'}), excluded({...VOLATILE, ...ENVIRONMENT})),
    }))
    const text = report('zoom 1.23.0 meeting corpus', results)
    console.log(text)
    expect(text).toBe(`zoom 1.23.0 meeting corpus: ${cases.length}/${cases.length} events match exactly`)
  })
})

describe('conformance with the audit streams’ pipeline tests (activity, operation, meeting_activity)', () => {
  const CORPORA: Array<{stream: ReportStream; file: string}> = [
    {stream: 'activity', file: 'activity/test-zoom-activity.log'},
    {stream: 'operation', file: 'operation/test-zoom-operation.log'},
    {stream: 'meeting_activity', file: 'meeting_activity/test-zoom-meeting-activity.log'},
  ]
  for (const {stream, file} of CORPORA) {
    const lines = readFileSync(join(CORPUS, 'pipeline-tests', file), 'utf8').split('\n').filter((line) => line.trim() !== '')
    const expected = (JSON.parse(readFileSync(join(CORPUS, 'pipeline-tests', `${file}-expected.json`), 'utf8')) as {expected: unknown[]}).expected
    const versions = KNOWN_VERSIONS.filter((version) => compareVersions(version, REPORT_STREAM_SINCE[stream]) >= 0)

    it(`reproduces every ${stream} document in every version that has the stream (${versions.join(', ')})`, () => {
      expect(expected).toHaveLength(lines.length)
      expect(versions.length).toBeGreaterThan(0)
      const failures: string[] = []
      for (const version of versions) {
        lines.forEach((line, index) => {
          // As elastic-package runs a pipeline test: each line is the message; the test config adds the tag.
          const {document, id} = runReportPipeline(stream, {message: line, tags: ['preserve_original_event']}, {integrationVersion: version})
          expect(id).toBe(fingerprint(line))
          for (const difference of diffDocuments(expected[index], document, excluded({...VOLATILE, ...ENVIRONMENT}))) {
            failures.push(`${version} ${file} #${index} ${difference.field}: expected ${JSON.stringify(difference.expected)}, got ${JSON.stringify(difference.actual)}`)
          }
        })
      }
      expect(failures).toEqual([])
    })
  }

  it('sets the same _id as Elasticsearch’s fingerprint processor (SHA-1 of a 0 byte and the text, base64)', () => {
    // Worked by hand: sha1("\0abc") in base64.
    expect(fingerprint('abc')).toBe(createHash('sha1').update(Buffer.concat([Buffer.from([0]), Buffer.from('abc')])).digest('base64'))
  })
})
