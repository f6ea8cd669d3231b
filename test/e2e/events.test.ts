import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {runCli, tempDir} from '../helpers/cli.js'

// Documents are read field by field below; any shape is fine.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = Record<string, any>

const CORPUS = join(import.meta.dirname, '../../fixtures/elastic-zoom/pipeline-tests/webhook')

describe('zoomctl events', () => {
  it('lists the catalog as a plain table when piped, and as JSON', async () => {
    const table = await runCli(['events', '--category', 'zoomroom'])
    expect(table.code).toBe(0)
    expect(table.stdout).toMatch(/^EVENT\s+CATEGORY\s+ELASTIC\s+DESCRIPTION/)
    expect(table.stdout).toContain('zoomroom.checked_in')
    expect(table.stdout).toContain('14 event types')
    expect(table.stdout).not.toContain('\u001B[')
    const json = JSON.parse((await runCli(['events', '--json', '--elastic', 'tested'])).stdout) as Array<{event: string; pipeline: string}>
    expect(json).toHaveLength(77)
    expect(json.find((row) => row.event === 'phone.callee_missed')?.pipeline).toBe('phone')
  })

  it('shows a body for a type', async () => {
    const result = await runCli(['events', 'show', 'chat_message.sent', '--seed', '5', '--json'])
    expect(JSON.parse(result.stdout)).toMatchObject({event: 'chat_message.sent', payload: {object: {contact_id: expect.any(String)}}})
    // --seed with --now: the same body byte for byte, run after run (--seed alone: the times move).
    const pinned = ['events', 'show', 'meeting.started', '--seed', '7', '--now', '2026-01-01T00:00:00Z']
    const [first, second] = [await runCli(pinned), await runCli(pinned)]
    expect(first.stdout).toBe(second.stdout)
    expect(JSON.parse(first.stdout)).toMatchObject({event_ts: Date.parse('2026-01-01T00:00:00Z')})
  })

  it('maps a file, standard input, or a catalog event to the document Elastic indexes', async () => {
    const corpus = JSON.parse(readFileSync(join(CORPUS, 'test-user.json'), 'utf8')) as {events: Array<{zoom: unknown}>}
    const expected = JSON.parse(readFileSync(join(CORPUS, 'test-user.json-expected.json'), 'utf8')) as {expected: unknown[]}
    const file = join(tempDir(), 'user.json')
    writeFileSync(file, JSON.stringify(corpus.events[0]!.zoom))
    const fromFile = await runCli(['events', 'map', file, '--pipeline-only', '--integration-version', '1.20.0', '--json'])
    expect(fromFile.code, fromFile.stderr).toBe(0)
    expect(JSON.parse(fromFile.stdout)).toEqual(expected.expected[0])

    const fromStdin = await runCli(['events', 'map'], {}, JSON.stringify(corpus.events[1]))
    expect(JSON.parse(fromStdin.stdout)).toMatchObject({data_stream: {dataset: 'zoom.webhook'}, event: {action: 'user.invitation_accepted'}})

    const built = JSON.parse((await runCli(['events', 'map', '--event', 'meeting.participant_joined', '--json'])).stdout) as Doc
    expect(built.event.type).toEqual(['info'])
    expect(built.user.email).toMatch(/@example\.org$/)
    expect(built.related.user.length).toBeGreaterThanOrEqual(3)

    // A line of serve's store: its receive time becomes @timestamp, as the agent's receipt time would.
    const storedLine = JSON.stringify({id: 'r1', receivedAt: '2026-11-25T10:00:00.000Z', rawBody: '{}', event: corpus.events[0]!.zoom})
    const fromRecord = await runCli(['events', 'map', '--json'], {}, storedLine)
    expect(JSON.parse(fromRecord.stdout)).toMatchObject({event: {action: 'user.created'}, '@timestamp': '2026-11-25T10:00:00.000Z'})

    const broken = await runCli(['events', 'map'], {}, '{not json')
    expect(broken.code).toBe(2)
    expect(broken.stderr).toContain('standard input is not JSON')

    const missing = await runCli(['events', 'map', join(tempDir(), 'not-there.ndjson'), '--json'])
    expect(missing.code).toBe(2)
    expect(JSON.parse(missing.stdout).error.hint).toBe('give a store or NDJSON file, or - for standard input')

    const typeForFile = await runCli(['events', 'map', 'meeting.started'])
    expect(typeForFile.code).toBe(2)
    expect(typeForFile.stderr).toContain('zoomctl events map --event meeting.started')
  })

  it('simulate --explain --dry-run shows what each event should become, with no secret printed', async () => {
    const result = await runCli(['simulate', 'user.signed_in', '--dry-run', '--explain', '--auth', 'header', '--auth-value', 'elastic-secret-value', '--json'])
    expect(result.code).toBe(0)
    expect(result.stdout).not.toContain('elastic-secret-value')
    const {requests} = JSON.parse(result.stdout) as {requests: Array<{headers: Record<string, string>; document: Doc}>}
    expect(requests[0]!.headers.authorization).toBe('[redacted]')
    expect(requests[0]!.document.event).toMatchObject({category: ['authentication'], type: ['start']})
    const human = await runCli(['simulate', 'user.signed_in', '--dry-run', '--auth', 'header', '--auth-value', 'elastic-secret-value'])
    expect(human.stdout).toContain('-H "authorization: ${ZOOMCTL_AUTH_VALUE:?set ZOOMCTL_AUTH_VALUE}"')
    expect(human.stdout).not.toContain('elastic-secret-value')
  })
})

describe('events map --data-stream (the audit streams)', () => {
  const REPORTS = join(import.meta.dirname, '../../fixtures/elastic-zoom/pipeline-tests')

  it('maps report records a line each, as the pipeline test does, and the Elastic Agent form by default', async () => {
    const file = join(REPORTS, 'activity/test-zoom-activity.log')
    const expected = JSON.parse(readFileSync(`${file}-expected.json`, 'utf8')) as {expected: Doc[]}
    const result = await runCli(['events', 'map', '--data-stream', 'activity', file, '--pipeline-only', '--json'])
    expect(result.code, result.stderr).toBe(0)
    const documents = JSON.parse(result.stdout) as Doc[]
    expect(documents).toHaveLength(5)
    // Everything but the GeoIP lookups, which need Elasticsearch's databases, and the test config's tag.
    const {source: _geo, tags: _tags, ...rest} = expected.expected[3]!
    expect(documents[3]).toEqual(rest)
    expect(documents[0]!.source).toEqual({ip: '192.0.2.10'})

    const agent = await runCli(['events', 'map', '--data-stream', 'operation', '--json'], {}, readFileSync(join(REPORTS, 'operation/test-zoom-operation.log'), 'utf8'))
    expect(agent.code, agent.stderr).toBe(0)
    expect((JSON.parse(agent.stdout) as Doc[])[1]).toMatchObject({data_stream: {dataset: 'zoom.operation'}, input: {type: 'cel'}, tags: ['forwarded', 'zoom-operation'], event: {action: 'Add', type: ['change', 'creation']}})
  })

  it('builds a synthetic record by event.action, says which exist, and refuses a version without the stream', async () => {
    const built = await runCli(['events', 'map', '--data-stream', 'activity', '--event', 'sign-out', '--seed', '3', '--json'])
    expect(built.code, built.stderr).toBe(0)
    expect(JSON.parse(built.stdout)).toMatchObject({event: {action: 'sign-out', type: ['end']}, user: {email: expect.stringMatching(/@example\.com$/)}, source: {ip: expect.any(String)}})
    const unknown = await runCli(['events', 'map', '--data-stream', 'meeting_activity', '--event', 'nope', '--seed', '3'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('Meeting Started')
    const old = await runCli(['events', 'map', '--data-stream', 'meeting_activity', '--event', 'Meeting Started', '--integration-version', '1.25.0'])
    expect(old.code).toBe(2)
    expect(old.stderr).toContain('came in 1.26.0')
  })
})

describe('integration versions', () => {
  it('reproduces 1.20.0 to 1.27.2 and refuses others with exit 2', async () => {
    const old = await runCli(['events', 'map', '--event', 'meeting.started', '--integration-version', '1.19.0'])
    expect(old.code).toBe(2)
    expect(old.stderr).toContain('older than 1.20.0')
    const serve = await runCli(['serve', '--port', '0', '--integration-version', 'latest'])
    expect(serve.code).toBe(2)
    expect(serve.stderr).toContain('is not an integration version')
  })
})
