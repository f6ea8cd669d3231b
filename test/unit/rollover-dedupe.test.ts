import {type Client, errors} from '@elastic/elasticsearch'
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {judgeDuplicates} from '../../src/checks/duplicates.js'
import {type BackingIndex, olderCandidates, RolloverDedupe} from '../../src/forward/rollover-dedupe.js'

const MINUTE = 60_000
const NOW = Date.UTC(2026, 11, 7, 9, 0, 0)
const STREAM = 'logs-zoom.webhook-default'
const name = (generation: number) => `.ds-${STREAM}-2026.12.07-00000${generation}`

/** Three backing indices: created two days ago, yesterday, and ten minutes ago (the write index). */
const BACKING: BackingIndex[] = [
  {name: name(1), createdMs: NOW - 2 * 1440 * MINUTE},
  {name: name(2), createdMs: NOW - 1440 * MINUTE},
  {name: name(3), createdMs: NOW - 10 * MINUTE},
]

/**
 * A client that answers the dedupe's calls from what is in `held` (index → ids), and records what it was
 * asked. `closed` indices answer a look-up with an error, `readOnly` ones refuse a delete with a block.
 */
function cluster(held: Record<string, string[]>, refuse: {settings?: number; deleteItems?: number; closed?: string[]; readOnly?: string[]} = {}) {
  const calls: Array<{api: string; params: Record<string, unknown>}> = []
  const refusal = (status: number) => Object.assign(new Error(`security_exception: refused`), {statusCode: status})
  const client = {
    indices: {
      getDataStream: async (params: Record<string, unknown>) => {
        calls.push({api: 'getDataStream', params})
        if (refuse.settings) throw refusal(refuse.settings)
        return {data_streams: [{name: STREAM, indices: BACKING.map((index) => ({index_name: index.name}))}]}
      },
      getSettings: async (params: Record<string, unknown>) => {
        calls.push({api: 'getSettings', params})
        if (refuse.settings) throw refusal(refuse.settings)
        // Not in creation order, as a cluster may answer.
        return Object.fromEntries([...BACKING].reverse().map((index) => [index.name, {settings: {index: {creation_date: String(index.createdMs)}}}]))
      },
    },
    mget: async (params: {docs: Array<{_index: string; _id: string}>}) => {
      calls.push({api: 'mget', params})
      return {
        docs: params.docs.map(({_index, _id}) => {
          if (refuse.closed?.includes(_index)) return {_index, _id, error: {type: 'index_closed_exception', reason: 'closed'}}
          return held[_index] ? {_index, _id, found: held[_index]!.includes(_id)} : {_index, _id, error: {type: 'index_not_found_exception', reason: 'gone'}}
        }),
      }
    },
    bulk: async (params: {operations: string[]}) => {
      calls.push({api: 'bulk', params})
      return {
        items: params.operations.map((line) => {
          const {_index, _id} = (JSON.parse(line) as {delete: {_index: string; _id: string}}).delete
          if (refuse.deleteItems) return {delete: {_index, status: refuse.deleteItems, error: {type: 'security_exception', reason: 'unauthorized'}}}
          if (refuse.readOnly?.includes(_index)) return {delete: {_index, status: 403, error: {type: 'cluster_block_exception', reason: 'index [read-only-allow-delete] blocked'}}}
          const at = held[_index]?.indexOf(_id) ?? -1
          if (at >= 0) held[_index]!.splice(at, 1)
          return {delete: {_index, status: at >= 0 ? 200 : 404}}
        }),
      }
    },
  }
  return {client: client as unknown as Client, calls}
}

const dedupe = (client: Client, settleMs = 30_000, onWarning?: (message: string) => void) => new RolloverDedupe(client, {dataStream: STREAM, settleMs, now: () => NOW, onWarning})
const READ = ['getDataStream', 'getSettings']

describe('olderCandidates', () => {
  it('names the older backing indices that took writes since the event, within the clock margin and the settle time', () => {
    const margin = {marginMs: MINUTE, settleMs: 0}
    // An event of a minute ago landed in the write index: it was created before the event, nothing to look for.
    expect(olderCandidates(BACKING, 2, NOW - MINUTE, NOW, margin)).toEqual([])
    // Close to the rollover (within the margin), or before it: the index before took writes then.
    expect(olderCandidates(BACKING, 2, NOW - 10 * MINUTE, NOW, margin).map((index) => index.name)).toEqual([name(2)])
    expect(olderCandidates(BACKING, 2, NOW - 9.5 * MINUTE, NOW, margin).map((index) => index.name)).toEqual([name(2)])
    // Before yesterday's rollover: both older ones.
    expect(olderCandidates(BACKING, 2, NOW - 1441 * MINUTE, NOW, margin).map((index) => index.name)).toEqual([name(1), name(2)])
    // In the middle index, an event of twelve hours ago: the first index had stopped taking writes by then.
    expect(olderCandidates(BACKING, 1, NOW - 720 * MINUTE, NOW, margin)).toEqual([])
    // No event time, or one in the future (not trusted): every older index.
    expect(olderCandidates(BACKING, 2, undefined, NOW, margin)).toEqual(BACKING.slice(0, 2))
    expect(olderCandidates(BACKING, 2, NOW + 10 * MINUTE, NOW, margin)).toEqual(BACKING.slice(0, 2))
    expect(olderCandidates(BACKING, 0, undefined, NOW, margin)).toEqual([])
    // Writes may still reach the index before for the settle time after the rollover: five minutes of it here.
    expect(olderCandidates(BACKING, 2, NOW - 5 * MINUTE, NOW, {marginMs: MINUTE, settleMs: 5 * MINUTE}).map((index) => index.name)).toEqual([name(2)])
    expect(olderCandidates(BACKING, 2, NOW - 3 * MINUTE, NOW, {marginMs: MINUTE, settleMs: 5 * MINUTE})).toEqual([])
  })

  it('includes exactly the older indices that were the write index at some time since the event (less the margin)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({min: 1, max: 10_000}), {minLength: 1, maxLength: 8}), fc.nat(), fc.integer({min: 0, max: 80_000}), fc.integer({min: 0, max: 500}), fc.integer({min: 0, max: 2000}), (gaps, pick, event, margin, settle) => {
        let at = 0
        const backing = gaps.map((gap, i) => ({name: `i${i}`, createdMs: (at += gap)}))
        const landing = pick % backing.length
        const found = olderCandidates(backing, landing, event, 100_000, {marginMs: margin, settleMs: settle}).map((index) => index.name)
        // Index i took writes from its creation until the next one's, and for the settle time after it.
        const expected = backing.slice(0, landing).filter((_, i) => backing[i + 1]!.createdMs + settle >= event - margin).map((index) => index.name)
        expect(found).toEqual(expected)
      }),
      {numRuns: 1000},
    )
  })
})

describe('the rollover dedupe', () => {
  it('does nothing more for an event younger than its backing index, whatever else the data stream holds', async () => {
    const {client, calls} = cluster({[name(2)]: ['k1']})
    expect(await dedupe(client).settle([{key: 'k1', eventMs: NOW - MINUTE, index: name(3)}])).toEqual([{kind: 'done'}])
    // The backing indices are read once, for the index it landed in; nothing is looked up.
    expect(calls.map((call) => call.api)).toEqual(READ)
  })

  it('waits while its backing index is younger than the settle time (and the clock margin), for copies still on their way to an older one', async () => {
    const {client, calls} = cluster({})
    const [verdict] = await dedupe(client, 15 * MINUTE).settle([{key: 'k1', eventMs: NOW - 20 * MINUTE, index: name(3)}])
    expect(verdict).toMatchObject({kind: 'retry', retryAfterMs: 6 * MINUTE, waiting: true, error: expect.stringContaining(`${name(3)} was created 600 s ago`)})
    expect(calls.map((call) => call.api)).toEqual(READ)
  })

  it('deletes the copies in newer indices than the oldest one found, and keeps an event found nowhere older', async () => {
    const held = {[name(1)]: ['twice'], [name(2)]: ['twice', 'once-before'], [name(3)]: ['twice', 'once-before', 'new']}
    const {client, calls} = cluster(held)
    const copies = dedupe(client)
    const verdicts = await copies.settle([
      {key: 'twice', eventMs: NOW - 2000 * MINUTE, index: name(3)},
      {key: 'once-before', eventMs: NOW - 60 * MINUTE, index: name(3)},
      {key: 'new', eventMs: NOW - 30 * MINUTE, index: name(3)},
    ])
    expect(verdicts).toEqual([{kind: 'done'}, {kind: 'done'}, {kind: 'done'}])
    const looked = calls.find((call) => call.api === 'mget')!.params.docs as Array<{_index: string; _id: string}>
    expect(looked).toEqual([
      {_index: name(1), _id: 'twice'},
      {_index: name(2), _id: 'twice'},
      {_index: name(2), _id: 'once-before'},
      {_index: name(2), _id: 'new'},
    ])
    // The oldest copy of each stays; the rest go.
    expect(held).toEqual({[name(1)]: ['twice'], [name(2)]: ['once-before'], [name(3)]: ['new']})
    expect(copies.removed).toBe(3)
  })

  it('takes an older index that is gone (its lifecycle deleted it) as holding no copy', async () => {
    const {client, calls} = cluster({[name(3)]: ['k1']})
    const copies = dedupe(client)
    expect(await copies.settle([{key: 'k1', eventMs: NOW - 3000 * MINUTE, index: name(3)}])).toEqual([{kind: 'done'}])
    // Read once for the index it landed in, which serves the look-up too.
    expect(calls.map((call) => call.api)).toEqual([...READ, 'mget'])
    // Read again before a later look-up: an index renamed by its lifecycle since is looked for under its new name.
    expect(await copies.settle([{key: 'k2', eventMs: NOW - 3000 * MINUTE, index: name(3)}])).toEqual([{kind: 'done'}])
    expect(calls.map((call) => call.api)).toEqual([...READ, 'mget', ...READ, 'mget'])
  })

  it('pauses forwarding, saying what to grant, when the credentials may not read the backing indices or delete a copy', async () => {
    const noMetadata = cluster({}, {settings: 403})
    expect((await dedupe(noMetadata.client).settle([{key: 'k1', eventMs: NOW, index: name(3)}]))[0]).toMatchObject({
      kind: 'paused',
      error: expect.stringContaining(`grant view_index_metadata on ${STREAM}, or run serve with --no-dedupe-index`),
    })
    const noDelete = cluster({[name(2)]: ['k1'], [name(3)]: ['k1']}, {deleteItems: 403})
    expect((await dedupe(noDelete.client).settle([{key: 'k1', eventMs: NOW - 60 * MINUTE, index: name(3)}]))[0]).toMatchObject({
      kind: 'paused',
      error: expect.stringContaining(`grant delete on ${STREAM}, or run serve with --no-dedupe-index`),
    })
  })

  it('reads the backing indices again when a write lands in one it does not know, and goes on when it is not one of them', async () => {
    const {client, calls} = cluster({})
    const warnings: string[] = []
    const copies = dedupe(client, 30_000, (message) => warnings.push(message))
    expect(await copies.settle([{key: 'k1', eventMs: NOW, index: name(3)}])).toEqual([{kind: 'done'}])
    expect(await copies.settle([{key: 'k2', eventMs: NOW, index: name(3)}])).toEqual([{kind: 'done'}])
    // Not a backing index of the data stream once read again (a reroute processor, the failure store): said once, not waited for.
    expect(await copies.settle([{key: 'k3', eventMs: NOW, index: '.fs-logs-zoom.webhook-default-2026.12.07-000001'}])).toEqual([{kind: 'done'}])
    expect(calls.map((call) => call.api)).toEqual([...READ, ...READ])
    expect(warnings).toEqual([expect.stringContaining('is not a backing index of logs-zoom.webhook-default')])
  })

  it('takes a closed older index as holding no copy, and leaves a copy in a read-only one, saying so once', async () => {
    const held = {[name(1)]: ['k1'], [name(2)]: ['k1', 'k2'], [name(3)]: ['k1', 'k2']}
    const warnings: string[] = []
    const {client} = cluster(held, {closed: [name(1)], readOnly: [name(2)]})
    const verdicts = await dedupe(client, 30_000, (message) => warnings.push(message)).settle([{key: 'k2', eventMs: undefined, index: name(3)}])
    expect(verdicts).toEqual([{kind: 'done'}])
    // k2 is found in the index before: the copy in the write index goes.
    expect(held[name(3)]).toEqual(['k1'])
    expect(warnings).toEqual([`${name(1)} is closed: a copy in it cannot be looked for`])
    const blocked = cluster({[name(1)]: ['k3'], [name(2)]: ['k3'], [name(3)]: ['k3']}, {readOnly: [name(2)]})
    const said: string[] = []
    expect(await dedupe(blocked.client, 30_000, (message) => said.push(message)).settle([{key: 'k3', eventMs: undefined, index: name(3)}])).toEqual([{kind: 'done'}])
    expect(said).toEqual([expect.stringContaining(`${name(2)} is read-only: a later copy of an event in it cannot be deleted (k3)`)])
  })
})

describe('the rollover dedupe on a plain index', () => {
  it('takes an index that is no data stream as never rolling over: nothing to look for, said once', async () => {
    const missing = new errors.ResponseError({body: {error: {type: 'index_not_found_exception'}}, statusCode: 404, headers: {}, warnings: null, meta: {} as never})
    const calls: string[] = []
    const client = {indices: {getDataStream: async () => (calls.push('getDataStream'), Promise.reject(missing)), getSettings: async () => (calls.push('getSettings'), {})}} as unknown as Client
    const warnings: string[] = []
    const copies = dedupe(client, 30_000, (message) => warnings.push(message))
    expect(await copies.settle([{key: 'k1', index: STREAM}, {key: 'k2', eventMs: NOW, index: STREAM}])).toEqual([{kind: 'done'}, {kind: 'done'}])
    expect(await copies.settle([{key: 'k3', index: STREAM}])).toEqual([{kind: 'done'}])
    expect(calls).toEqual(['getDataStream', 'getSettings'])
    expect(warnings).toEqual([`${STREAM} is a plain index, not a data stream: it never rolls over, and the _id alone keeps copies out`])
  })
})

describe('validate --duplicates', () => {
  it('passes with no copies, fails naming the keys with copies, and says what it could not check', () => {
    expect(judgeDuplicates({source: 's', total: 0, keyed: 0, duplicated: []}).status).toBe('skip')
    expect(judgeDuplicates({source: 's', total: 5, keyed: 0, duplicated: []}).status).toBe('warn')
    expect(judgeDuplicates({source: 's', total: 5, keyed: 5, duplicated: []})).toMatchObject({status: 'pass', value: '0 duplicates among 5 document(s)'})
    const copies = [
      {id: 'a', index: '.ds-s-000001'},
      {id: 'a', index: '.ds-s-000002'},
    ]
    const found = judgeDuplicates({source: 's', total: 6, keyed: 5, duplicated: [{key: 'k', documents: 3, copies}]})
    // The oldest is kept; each extra one named by its _id and backing index, with how many more were not listed.
    expect(found).toMatchObject({status: 'fail', details: ['k: 3 documents; keep a in .ds-s-000001; extra: a in .ds-s-000002 and 1 more'], data: {duplicatedEvents: 1, extraDocuments: 2, duplicated: [{key: 'k', copies}]}})
    expect(found.value).toContain('1 document(s) without labels.zoomctl_dedupe_key')
    expect(found.hint).toContain('DELETE <index>/_doc/<_id>')
  })
})
