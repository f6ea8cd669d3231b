import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {indexedDocument, runIngestPipeline} from '../../src/mapping/index.js'

describe('mapping beyond the corpus', () => {
  it('gives unknown event types the generic treatment, as the integration does', () => {
    const document = runIngestPipeline({zoom: {event: 'team_chat.channel_created', event_ts: 1, payload: {account_id: 'A', operator: 'a@b.c', operator_id: 'U1', object: {id: 'x', empty: ''}}}})
    expect(document).toEqual({
      ecs: {version: '8.11.0'},
      event: {action: 'team_chat.channel_created', kind: ['event']},
      observer: {product: 'Webhook', vendor: 'Zoom'},
      related: {user: ['U1']},
      user: {id: 'U1', email: 'a@b.c'},
      zoom: {account_id: 'A', operator: 'a@b.c', operator_id: 'U1', object: {id: 'x'}},
    })
  })

  it('records a body without payload as a pipeline error, never throws', () => {
    const document = runIngestPipeline({zoom: {event: 'meeting.started'}})
    expect(document.event).toMatchObject({kind: 'pipeline_error', action: 'meeting.started'})
    expect(document.error).toEqual({message: ["Processor 'rename' failed with message 'field [zoom.payload] doesn't exist'"]})
    expect(document.tags).toEqual(['preserve_original_event'])
  })

  it('handles a failure inside a category pipeline there, and still indexes', () => {
    const document = runIngestPipeline({zoom: {event: 'meeting.started', payload: {object: {id: 1, duration: 'sixty'}}}})
    expect(document.event).toMatchObject({kind: 'pipeline_error', type: ['info', 'start']})
    expect(document.zoom).toMatchObject({meeting: {id: 1}})
  })

  it('gates 1.23.0 behaviour by version', () => {
    // Without operator_id the default pipeline leaves user.email alone, so the user pipeline's rule shows.
    const body = {event: 'user.updated', payload: {operator: 'admin-without-at', object: {id: 'U', email: 'u@example.com'}}}
    expect(runIngestPipeline({zoom: body}, {integrationVersion: '1.20.0'}).user).toMatchObject({email: 'admin-without-at'})
    expect(runIngestPipeline({zoom: body}, {integrationVersion: '1.23.0'}).user).toMatchObject({email: 'u@example.com'})
    expect(() => runIngestPipeline({zoom: body}, {integrationVersion: '1.19.0'})).toThrow(/older than 1.20.0/)
  })

  it('maps webinar participants to source.ip since 1.23.0 and ignores a bad address', () => {
    const body = (ip: string) => ({event: 'webinar.participant_joined', payload: {object: {id: 1, host_id: 'H', participant: {id: 'P', user_name: 'Pat', public_ip: ip}}}})
    expect(runIngestPipeline({zoom: body('2001:db8::1')})).toMatchObject({source: {ip: '2001:db8::1'}, related: {ip: ['2001:db8::1'], user: ['H', 'P']}})
    const bad = runIngestPipeline({zoom: body('not-an-ip')})
    expect(bad.source).toBeUndefined()
    expect((bad.zoom as {participant: object}).participant).toEqual({id: 'P', user_name: 'Pat'})
  })

  it('adds what the Elastic Agent adds around the pipeline', () => {
    const document = indexedDocument({event: 'meeting.started', payload: {object: {id: '1', host_id: 'H'}}}, {receivedAt: new Date('2026-11-25T10:00:00Z'), preserveOriginal: true, rawBody: '{}'})
    expect(document).toMatchObject({
      '@timestamp': '2026-11-25T10:00:00.000Z',
      data_stream: {type: 'logs', dataset: 'zoom.webhook', namespace: 'default'},
      event: {dataset: 'zoom.webhook', module: 'zoom', original: '{}', action: 'meeting.started'},
      input: {type: 'http_endpoint'},
      tags: ['preserve_original_event', 'zoom-webhook', 'forwarded'],
      user: {id: 'H'},
    })
  })

  it('never throws, whatever JSON arrives', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom('meeting', 'webinar', 'recording', 'user', 'account', 'chat_channel', 'chat_message', 'phone', 'zoomroom', 'other'), (payload, category) => {
        const document = runIngestPipeline({zoom: {event: `${category}.anything`, payload}})
        expect(document.observer).toEqual({product: 'Webhook', vendor: 'Zoom'})
      }),
      {numRuns: 500},
    )
  })
})
