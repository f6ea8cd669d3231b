import {describe, expect, it} from 'vitest'

import {getField} from '../../src/mapping/document.js'
import {celAgentDocument, encodeJson, indexedReportDocument, runReportPipeline} from '../../src/mapping/reports/index.js'
import {reportRecordsIn} from '../../src/mapping/reports/input.js'
import {parseIso8601, parseZoomActivityTime} from '../../src/mapping/reports/frame.js'

const line = (record: unknown) => ({message: JSON.stringify(record)})

describe('audit streams’ pipelines beyond the corpus', () => {
  it('reads ISO8601 with an offset, without one (UTC) and a bare date, as the date processor does', () => {
    expect(new Date(parseIso8601('2026-03-01T10:00:00+02:00')!).toISOString()).toBe('2026-03-01T08:00:00.000Z')
    expect(new Date(parseIso8601('2026-03-01T10:00:00.123456')!).toISOString()).toBe('2026-03-01T10:00:00.123Z')
    expect(new Date(parseIso8601('2026-03-01')!).toISOString()).toBe('2026-03-01T00:00:00.000Z')
    expect(parseIso8601('2026-02-31T00:00:00Z')).toBeUndefined()
    expect(parseIso8601('yesterday')).toBeUndefined()
    expect(new Date(parseZoomActivityTime('2026-03-01 23:59:58:007')!).toISOString()).toBe('2026-03-01T23:59:58.007Z')
  })

  it('records a time it cannot read as the pipeline does: no @timestamp from it, error.message, pipeline_error, the tag since 1.27.2', () => {
    const {document} = runReportPipeline('operation', line({time: '07/06/2026', action: 'Update', operator: 'admin@example.com'}))
    expect(getField(document, 'event.kind')).toBe('pipeline_error')
    expect(getField(document, 'error.message')).toEqual(['Failed to parse zoom.operation.time: unable to parse date [07/06/2026]'])
    expect(getField(document, 'tags')).toEqual(['preserve_original_event'])
    expect(getField(document, 'zoom.operation.time')).toBeUndefined()
    expect(getField(document, 'event.action')).toBe('Update')
    const older = runReportPipeline('operation', line({time: '07/06/2026'}), {integrationVersion: '1.25.0'}).document
    expect(getField(older, 'tags')).toBeUndefined()
  })

  it('drops "N/A", null and empty values, and refuses a bad IP into error.message while keeping the sign-in', () => {
    const {document} = runReportPipeline('activity', line({email: 'a@example.com', time: '2026-01-02T03:04:05Z', type: 'Sign in', ip_address: 'N/A', client_type: '', version: null}))
    expect(getField(document, 'zoom')).toEqual({activity: {type: 'Sign in'}})
    expect(getField(document, 'source')).toBeUndefined()
    const bad = runReportPipeline('activity', line({email: 'a@example.com', time: '2026-01-02T03:04:05Z', type: 'Sign in', ip_address: '999.1.1.1'})).document
    expect(getField(bad, 'event.kind')).toBe('pipeline_error')
    expect(getField(bad, 'event.action')).toBe('sign-in')
    expect(String(getField(bad, 'error.message'))).toContain('Failed to convert zoom.activity.ip_address to IP')
  })

  it('fails the whole pipeline on a message that is not JSON, naming the processor and its tag', () => {
    const {document, id} = runReportPipeline('meeting_activity', {message: 'not json'})
    expect(id).toBeUndefined()
    expect(getField(document, 'event.kind')).toBe('pipeline_error')
    expect(String(getField(document, 'error.message'))).toMatch(/^Processor 'json'\nwith tag 'parse_json_from_event_original'\nfailed with message/)
  })

  it('an operation without an @ in its operator has a user.name and no user.email; activity_type-less records still map', () => {
    const {document} = runReportPipeline('operation', line({time: '2026-01-02T03:04:05Z', action: 'Remove', category_type: 'Role', operator: 'API'}))
    expect(getField(document, 'user')).toEqual({name: 'API'})
    expect(getField(document, 'event.type')).toEqual(['change', 'deletion'])
    expect(getField(document, 'event.category')).toEqual(['configuration', 'iam'])
  })

  it('refuses a version that has no such stream', () => {
    expect(() => runReportPipeline('meeting_activity', line({}), {integrationVersion: '1.25.0'})).toThrow(/came in 1.26.0/)
  })

  it('wraps a record as the CEL input does: the record re-encoded with sorted keys in message, dataset, input cel, default tags', () => {
    const record = {type: 'Sign in', email: 'a@example.com', time: '2026-01-02T03:04:05Z'}
    const agent = celAgentDocument('activity', record, {polledAt: new Date('2026-01-03T00:00:00Z')})
    expect(agent).toMatchObject({message: encodeJson(record), data_stream: {dataset: 'zoom.activity'}, input: {type: 'cel'}, tags: ['forwarded', 'zoom-activity']})
    expect(agent.message).toBe('{"email":"a@example.com","time":"2026-01-02T03:04:05Z","type":"Sign in"}')
    const {document, id} = indexedReportDocument('activity', record, {polledAt: new Date('2026-01-03T00:00:00Z')})
    expect(getField(document, '@timestamp')).toBe('2026-01-02T03:04:05.000Z')
    expect(getField(document, 'event.original')).toBe(agent.message)
    expect(id).toMatch(/^[A-Za-z0-9+/]{27}=$/)
  })

  it('takes a record, an array of records, or a whole API response as input', () => {
    const record = {email: 'a@example.com'}
    expect(reportRecordsIn('activity', ' {"email":"a@example.com"} ', record)).toEqual([{record, text: '{"email":"a@example.com"}'}])
    expect(reportRecordsIn('activity', '', [record, record])).toHaveLength(2)
    expect(reportRecordsIn('activity', '', {from: '2026-01-01', activity_logs: [record], next_page_token: ''})).toEqual([{record, text: JSON.stringify(record)}])
  })
})
