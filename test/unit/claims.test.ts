import type {Client} from '@elastic/elasticsearch'
import {describe, expect, it} from 'vitest'

import {judgeDuplicates} from '../../src/checks/duplicates.js'
import {dedupeIndex} from '../../src/elastic/names.js'
import {ClaimLedger} from '../../src/forward/claims.js'

/** A client that answers the ledger's three calls from a script, and records what it was asked. */
function scripted(answers: {bulk: unknown[]; mget?: unknown; search?: unknown}) {
  const calls: Array<{api: string; params: unknown}> = []
  const client = {
    bulk: async (params: unknown) => {
      calls.push({api: 'bulk', params})
      return answers.bulk.shift()
    },
    mget: async (params: unknown) => {
      calls.push({api: 'mget', params})
      return answers.mget
    },
    search: async (params: unknown) => {
      calls.push({api: 'search', params})
      return answers.search ?? {hits: {hits: []}}
    },
  }
  return {client: client as unknown as Client, calls}
}

const NOW = Date.UTC(2026, 11, 7, 9, 0, 0)
const item = (key: string) => ({key, eventMs: NOW - 1000})
const created = (index: string) => ({create: {_index: index, status: 201, _seq_no: 1, _primary_term: 1}})
const conflict = {create: {status: 409, error: {type: 'version_conflict_engine_exception', reason: 'document already exists'}}}
const claimDoc = (at: number, owner = 'elsewhere') => ({_index: 'claims', found: true, _seq_no: 7, _primary_term: 1, _source: {'@timestamp': new Date(at).toISOString(), owner}})

describe('claim ledger', () => {
  const settings = {dataStream: 'logs-zoom.webhook-default', leaseMs: 60_000, now: () => NOW}

  it('claims in the index of the event day, writes what it claimed, and writes again without a new claim while in time', async () => {
    const index = dedupeIndex(settings.dataStream, NOW)
    expect(index).toBe('zoomctl-dedupe-logs-zoom.webhook-default-2026.12.07')
    const {client, calls} = scripted({bulk: [{items: [created(index)]}]})
    const ledger = new ClaimLedger(client, settings)
    expect(await ledger.decide([item('k1')])).toEqual([{kind: 'write'}])
    const claimed = calls[0]!.params as {operations: string[]; filter_path: string}
    // Written as NDJSON lines by the ledger itself; the answer asked for holds only what is read of it.
    expect(JSON.parse(claimed.operations[0]!)).toEqual({create: {_index: index, _id: 'k1'}})
    expect(JSON.parse(claimed.operations[1]!)).toMatchObject({owner: ledger.owner})
    expect(claimed.filter_path).toContain('items.*.status')
    // A 429 on the document: the next try writes under the same claim, no round trip.
    expect(await ledger.decide([item('k1')])).toEqual([{kind: 'write'}])
    expect(calls).toHaveLength(1)
  })

  it('is done when the document of a claimed key is found, waits while its claim is young, takes an old one over', async () => {
    const {client, calls} = scripted({
      bulk: [{items: [conflict, conflict, conflict]}, {items: [{index: {status: 200}}]}],
      mget: {docs: [claimDoc(NOW - 5000), claimDoc(NOW - 5000), claimDoc(NOW - 120_000)]},
      search: {hits: {hits: [{_id: 'found'}]}},
    })
    const ledger = new ClaimLedger(client, settings)
    const verdicts = await ledger.decide([item('found'), item('young'), item('old')])
    expect(verdicts[0]).toEqual({kind: 'done'})
    expect(verdicts[1]).toMatchObject({kind: 'retry', error: expect.stringContaining('another serve (elsewhere) claimed this event 5 s ago')})
    expect(verdicts[2]).toEqual({kind: 'write'})
    // The takeover is a compare-and-set on the claim as it was read.
    const takeover = calls.find((call, i) => call.api === 'bulk' && i > 0)!.params as {operations: Array<Record<string, unknown>>}
    expect(takeover.operations[0]).toEqual({index: {_index: 'claims', _id: 'old', if_seq_no: 7, if_primary_term: 1}})
  })

  it('waits when another taker won the compare-and-set, and pauses on a refusal of its credentials', async () => {
    const {client} = scripted({
      bulk: [{items: [conflict, {create: {status: 403, error: {type: 'security_exception', reason: 'unauthorized'}}}]}, {items: [{index: {status: 409}}]}],
      mget: {docs: [claimDoc(NOW - 120_000)]},
    })
    const verdicts = await new ClaimLedger(client, settings).decide([item('old'), item('denied')])
    expect(verdicts[0]).toMatchObject({kind: 'retry', error: 'another serve took over its abandoned claim first'})
    expect(verdicts[1]).toMatchObject({kind: 'paused', error: expect.stringContaining('--no-dedupe-index')})
  })
})

describe('validate --duplicates', () => {
  it('passes with no copies, fails naming the keys with copies, and says what it could not check', () => {
    expect(judgeDuplicates({source: 's', total: 0, keyed: 0, duplicated: []}).status).toBe('skip')
    expect(judgeDuplicates({source: 's', total: 5, keyed: 0, duplicated: []}).status).toBe('warn')
    expect(judgeDuplicates({source: 's', total: 5, keyed: 5, duplicated: []})).toMatchObject({status: 'pass', value: '0 duplicates among 5 document(s)'})
    const found = judgeDuplicates({source: 's', total: 6, keyed: 5, duplicated: [{key: 'k', documents: 3}]})
    expect(found).toMatchObject({status: 'fail', details: ['k: 3 documents'], data: {duplicatedEvents: 1, extraDocuments: 2}})
    expect(found.value).toContain('1 document(s) without labels.zoomctl_dedupe_key')
  })
})
