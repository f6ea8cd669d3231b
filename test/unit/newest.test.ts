import {appendFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {StoreCounter} from '../../src/deliveries/counts.js'
import {pageOfDeliveries} from '../../src/deliveries/list.js'
import {decodeCursor, encodeCursor, findDelivery, partInWindow, type StoreCursor} from '../../src/deliveries/newest.js'
import {readDeliveries, type StorePart} from '../../src/deliveries/source.js'
import {type DeliveryFilter, deliveryTime, selectDeliveries} from '../../src/replay/select.js'
import type {DeliveryRecord, RecordMeta} from '../../src/store/index.js'
import {recordLine} from '../../src/store/records.js'
import {tempDir} from '../helpers/cli.js'

const minute = 60_000
const start = Date.parse('2026-11-27T23:50:00.000Z')

function record(id: string, at: number, extra: Partial<DeliveryRecord> = {}): DeliveryRecord {
  return {id, receivedAt: new Date(at).toISOString(), source: {address: '127.0.0.1'}, method: 'POST', path: '/zoom-webhook', headers: {}, rawBody: JSON.stringify({event: 'meeting.started', id}), eventType: 'meeting.started', dedupeKey: `key-${id}`, ...extra}
}

/** A record without its body, as serve writes one with the body's own bytes (format 2). */
function meta({rawBody: _body, ...rest}: DeliveryRecord): RecordMeta {
  return rest
}

/** A data dir over three days: accepted (some copies, one body larger than a read chunk), refused, dead letters, a torn line. */
function store(): {dir: string; newestFirst: string[]} {
  const dir = tempDir()
  for (const part of ['events', 'refused', 'dead-letter']) mkdirSync(join(dir, part), {recursive: true})
  const all: Array<{part: string; line: string; id: string; at: number}> = []
  for (let i = 0; i < 300; i++) {
    const at = start + i * minute * 7
    const id = `d${String(i).padStart(3, '0')}`
    if (i % 10 === 3) all.push({part: 'refused', id, at, line: JSON.stringify({...record(id, at), refusal: {status: 401, reason: 'stale-timestamp', detail: 'old'}})})
    else if (i % 25 === 7) all.push({part: 'dead-letter', id, at, line: JSON.stringify({deadAt: new Date(at).toISOString(), sink: 'elasticsearch', error: 'mapper_parsing_exception', record: record(id, at)})})
    else if (i === 150) all.push({part: 'events', id, at, line: JSON.stringify(record(id, at, {rawBody: JSON.stringify({event: 'meeting.started', pad: 'x'.repeat(600_000)})}))})
    else all.push({part: 'events', id, at, line: JSON.stringify(record(id, at, i % 9 === 0 ? {duplicateOf: 'd000'} : {}))})
  }
  for (const {part, line, at} of all) appendFileSync(join(dir, part, `${new Date(at).toISOString().slice(0, 10)}.ndjson`), `${line}\n`)
  // A crash cut a write short; serve went on on a fresh line.
  const day = new Date(start + 100 * minute * 7).toISOString().slice(0, 10)
  appendFileSync(join(dir, 'events', `${day}.ndjson`), '{"id":"torn","receivedAt":"2026\n')
  return {dir, newestFirst: all.sort((a, b) => b.at - a.at).map((item) => item.id)}
}

describe('reading a store newest first', () => {
  it('pages through every part merged by time, each delivery once, the torn line skipped', async () => {
    const {dir, newestFirst} = store()
    const seen: string[] = []
    let cursor: StoreCursor | undefined
    for (let pages = 0; pages < 100; pages++) {
      // Through the URL form each time, as the inspector's page does.
      const page = await pageOfDeliveries(dir, {}, {limit: 17, ...(cursor ? {cursor: decodeCursor(encodeCursor(cursor))!} : {})})
      seen.push(...page.entries.map((entry) => entry.id))
      if (!page.next) break
      cursor = page.next
    }
    expect(seen).toEqual(newestFirst)
  })

  it('filters, stops at --since, and answers a rare filter in parts when the scan is bounded', async () => {
    const {dir, newestFirst} = store()
    const refused = await pageOfDeliveries(dir, {verdicts: ['refused']}, {limit: 5})
    expect(refused.entries.map((entry) => entry.id)).toEqual(newestFirst.filter((id) => Number(id.slice(1)) % 10 === 3).slice(0, 5))
    const since = new Date(start + 290 * minute * 7)
    const recent = await pageOfDeliveries(dir, {since}, {limit: 100})
    expect(recent.entries.map((entry) => entry.id)).toEqual(newestFirst.slice(0, 10))
    expect(recent.next).toBeUndefined()
    const bounded = await pageOfDeliveries(dir, {}, {limit: 10, text: 'd005', scanLimit: 50})
    expect(bounded.entries).toEqual([])
    expect(bounded.scanned).toBe(50)
    const rest = await pageOfDeliveries(dir, {}, {limit: 10, text: 'd005', cursor: bounded.next!})
    expect(rest.entries.map((entry) => entry.id)).toEqual(['d005'])
  })

  it('finds one delivery by id in any part, a large one included, and nothing for an unknown id', async () => {
    const {dir} = store()
    expect((await findDelivery(dir, ['accepted', 'refused', 'dead-letter'], 'd150'))?.delivery.rawBody.length).toBeGreaterThan(600_000)
    expect((await findDelivery(dir, ['accepted', 'refused', 'dead-letter'], 'd007'))?.part).toBe('dead-letter')
    expect((await findDelivery(dir, ['accepted', 'refused', 'dead-letter'], 'd013', '2026-11-28T01:21:00.000Z'))?.part).toBe('refused')
    expect(await findDelivery(dir, ['accepted', 'refused', 'dead-letter'], 'd999')).toBeUndefined()
  })

  it('finds a delivery by the first characters of its id, and says when they name more than one', async () => {
    const dir = tempDir()
    mkdirSync(join(dir, 'events'))
    const ids = ['4df8a672-0c1e-4a8e-9d1b-2f6c5e7a9b10', '4df8a699-5b2d-4c3f-8e4a-6d7b8c9d0e1f', '7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d']
    // A body that holds an object whose id starts the same: only a record's own id counts.
    const lookalike = {event: 'meeting.started', payload: {object: {id: '7a1b2c3d-0000'}}}
    const lines = ids.map((id, i) => recordLine(meta(record(id, start + i * minute)), Buffer.from(JSON.stringify(i === 0 ? lookalike : {event: 'meeting.started'})), true))
    writeFileSync(join(dir, 'events', '2026-11-27.ndjson'), Buffer.concat(lines))
    const parts: StorePart[] = ['accepted']
    expect((await findDelivery(dir, parts, '4df8a672'))?.delivery.id).toBe(ids[0])
    expect((await findDelivery(dir, parts, '7A1B2C3D'))?.delivery.id).toBe(ids[2])
    await expect(findDelivery(dir, parts, '4df8')).rejects.toThrow('2 deliveries have an id that starts with 4df8')
    expect(await findDelivery(dir, parts, '4df8a673')).toBeUndefined()
    // Too short to be taken as a start: looked for whole, and not found.
    expect(await findDelivery(dir, parts, '4df')).toBeUndefined()
    // replay --id takes the same starts.
    const selected: string[] = []
    for await (const batch of selectDeliveries([{kind: 'store', dataDir: dir, part: 'accepted'}], {ids: ['4df8a699', ids[2]!]})) selected.push(...batch.map((delivery) => delivery.id))
    expect(selected).toEqual([ids[1], ids[2]])
  })

  it('refuses a cursor it did not make', () => {
    expect(decodeCursor('not-a-cursor')).toBeUndefined()
    expect(decodeCursor(Buffer.from('{"accepted":{"file":"../../etc/passwd","offset":1}}').toString('base64url'))).toBeUndefined()
  })
})

describe('counting a store', () => {
  it('counts by verdict from the bytes, and reads only what was appended since', async () => {
    const {dir, newestFirst} = store()
    const counter = new StoreCounter(dir)
    const ids = newestFirst.map((id) => Number(id.slice(1)))
    const refused = ids.filter((i) => i % 10 === 3).length
    const dead = ids.filter((i) => i % 10 !== 3 && i % 25 === 7).length
    const duplicates = ids.filter((i) => i % 10 !== 3 && i % 25 !== 7 && i !== 150 && i % 9 === 0).length
    expect(await counter.counts()).toEqual({accepted: 300 - refused - dead - duplicates, duplicate: duplicates, refused, 'dead-letter': dead})
    const file = join(dir, 'events', '2026-11-30.ndjson')
    writeFileSync(file, `${JSON.stringify(record('late', Date.parse('2026-11-30T10:00:00Z')))}\n{"id":"half`)
    expect((await counter.counts()).accepted).toBe(300 - refused - dead - duplicates + 1)
    appendFileSync(file, `","receivedAt":"2026-11-30T10:01:00.000Z","duplicateOf":"late"}\n`)
    expect(await counter.counts()).toMatchObject({accepted: 300 - refused - dead - duplicates + 1, duplicate: duplicates + 1})
  })
})

describe('where each sink stands with a delivery', () => {
  it('delivered before the sink\'s cursor, pending after it, and a dead letter when the sink gave up on it', async () => {
    const {showDelivery} = await import('../../src/deliveries/list.js')
    const {dir} = store()
    const file = '2026-11-28.ndjson'
    const lines = readFileSync(join(dir, 'events', file), 'utf8').split('\n')
    // The cursor stops after the tenth line of the 28th.
    const offset = lines.slice(0, 10).join('\n').length + 1
    mkdirSync(join(dir, 'cursors'))
    writeFileSync(join(dir, 'cursors', 'elasticsearch.json'), JSON.stringify({file, offset, records: 0}))
    const idAt = (line: number) => (JSON.parse(lines[line]!) as {id: string}).id
    const state = async (id: string) => (await showDelivery(dir, id, {}))?.sinks
    expect(await state(idAt(9))).toEqual([{sink: 'elasticsearch', state: 'delivered'}])
    expect(await state(idAt(10))).toEqual([{sink: 'elasticsearch', state: 'pending'}])
    appendFileSync(join(dir, 'dead-letter', file), `${JSON.stringify({deadAt: '2026-11-28T12:00:00Z', sink: 'elasticsearch', error: 'mapper_parsing_exception', record: record(idAt(9), Date.parse('2026-11-28T12:00:00Z'))})}\n`)
    expect(await state(idAt(9))).toEqual([{sink: 'elasticsearch', state: 'dead-letter', error: 'mapper_parsing_exception'}])
  })
})

describe('reading a window of a store', () => {
  const idsIn = async (dir: string, since: number, until: number) => {
    const ids: string[] = []
    for await (const delivery of partInWindow(dir, 'accepted', {since: new Date(since), until: new Date(until)})) ids.push(delivery.id)
    return ids
  }

  it('gives every delivery received within it, across day files, newest first, the torn line left out', async () => {
    const {dir} = store()
    const since = start + 20 * minute * 7
    const until = start + 250 * minute * 7
    const expected = readStoreLines(dir).filter((line) => line.at >= since && line.at <= until).map((line) => line.id).reverse()
    expect(expected.length).toBeGreaterThan(150)
    expect(await idsIn(dir, since, until)).toEqual(expected)
    expect(await idsIn(dir, start - 10 * minute, start - minute)).toEqual([])
  })

  it('finds a delivery stored after later ones (its body came slowly), and stops reading back past the slack', async () => {
    const dir = tempDir()
    mkdirSync(join(dir, 'events'), {recursive: true})
    const since = Date.parse('2026-11-27T12:00:00.000Z')
    const line = (id: string, at: number) => JSON.stringify(record(id, at))
    // In file order: one past where reading stops (a line stored 10 minutes late is not looked for), long
    // before, one of the window stored late, just before (within the slack), in the window, after it.
    const lines = [line('beyond-the-slack', since + 2000), line('long-before', since - 10 * minute), line('slow', since + 1000), line('just-before', since - 100_000), line('inside', since + 20_000), line('after', since + 10 * minute)]
    writeFileSync(join(dir, 'events', '2026-11-27.ndjson'), `${lines.join('\n')}\n`)
    expect(await idsIn(dir, since, since + 5 * minute)).toEqual(['inside', 'slow'])
  })
})

/** The accepted lines of a store() data dir, in file order, with their receive time. */
function readStoreLines(dir: string): Array<{id: string; at: number}> {
  const files = readdirSync(join(dir, 'events')).sort()
  return files.flatMap((file) =>
    readFileSync(join(dir, 'events', file), 'utf8')
      .split('\n')
      .filter((text) => text.startsWith('{"id":"d'))
      .map((text) => {
        const parsed = JSON.parse(text) as DeliveryRecord
        return {id: parsed.id, at: Date.parse(parsed.receivedAt)}
      }),
  )
}

describe('selecting a time window of a store for replay', () => {
  it('reads only the day files the window can match, and finds the same deliveries as reading them all', async () => {
    const {dir} = store()
    // A dead letter filed on a later day than the one its delivery was received.
    const received = start + 30 * minute
    appendFileSync(join(dir, 'dead-letter', '2026-11-29.ndjson'), `${JSON.stringify({deadAt: '2026-11-29T08:00:00.000Z', sink: 'elasticsearch', error: 'x', record: record('late-dead', received)})}\n`)
    const window = {since: new Date(start + 10 * minute), until: new Date(start + 2 * 60 * minute)}
    const select = async (part: StorePart, filter: DeliveryFilter) => {
      const ids: string[] = []
      for await (const batch of selectDeliveries([{kind: 'store', dataDir: dir, part}], filter)) ids.push(...batch.map((delivery) => delivery.id))
      return ids
    }
    for (const part of ['accepted', 'refused', 'dead-letter'] as const) {
      const all = (await select(part, {})).length
      const everyDelivery: string[] = []
      for await (const delivery of readDeliveries({kind: 'store', dataDir: dir, part})) {
        const at = deliveryTime(delivery)
        if (!delivery.unreadable && at !== undefined && at >= window.since.getTime() && at <= window.until.getTime()) everyDelivery.push(delivery.id)
      }
      expect(all).toBeGreaterThan(everyDelivery.length)
      expect(await select(part, window)).toEqual(everyDelivery)
    }
    expect(await select('dead-letter', window)).toContain('late-dead')
  })
})

describe('selecting event types of a store for replay', () => {
  it('skips the lines of other types unparsed, and selects what a full reading selects', async () => {
    const dir = tempDir()
    for (const part of ['events', 'dead-letter']) mkdirSync(join(dir, part), {recursive: true})
    const lines: string[] = []
    for (let i = 0; i < 60; i++) {
      const eventType = i % 3 ? 'meeting.ended' : 'meeting.started'
      lines.push(JSON.stringify(record(`d${i}`, start + i * minute, {eventType, rawBody: JSON.stringify({event: eventType})})))
    }
    // A body holding another type's mark, a record without a type, a line that is no delivery.
    // (format 2: the body unescaped in the line)
    const {rawBody: _, ...lookalike} = record('lookalike', start + 61 * minute, {eventType: 'meeting.ended'})
    lines.push(recordLine(lookalike, Buffer.from('{"event":"meeting.ended","x":{"eventType":"meeting.started"}}'), true).toString().trimEnd())
    lines.push(JSON.stringify(record('untyped', start + 62 * minute, {eventType: undefined})))
    lines.push('{"id":"torn","eventType":"meeting.ended","rec')
    writeFileSync(join(dir, 'events', '2026-11-28.ndjson'), `${lines.join('\n')}\n`)
    writeFileSync(join(dir, 'dead-letter', '2026-11-28.ndjson'), `${JSON.stringify({deadAt: '2026-11-28T09:00:00.000Z', sink: 'elasticsearch', error: 'x', record: record('dead', start)})}\n`)
    const select = async (part: StorePart, prefiltered: boolean) => {
      const ids: string[] = []
      const tally = {deliveries: 0, unreadable: 0, unreadableAt: []}
      const filter = {events: ['meeting.started']}
      for await (const batch of selectDeliveries([{kind: 'store', dataDir: dir, part}], filter, prefiltered ? {eventTypes: filter.events} : {}, tally)) ids.push(...batch.map((delivery) => delivery.id))
      return {ids, tally}
    }
    const full = await select('accepted', false)
    const quick = await select('accepted', true)
    expect(quick.ids).toEqual(full.ids)
    expect(quick.ids).toEqual(Array.from({length: 20}, (_, i) => `d${i * 3}`))
    // Parsed: the 20 of the type and the lookalike, not the 40 others, the untyped one or the torn line.
    expect([full.tally.deliveries, full.tally.unreadable, quick.tally.deliveries, quick.tally.unreadable]).toEqual([62, 1, 21, 0])
    expect((await select('dead-letter', true)).ids).toEqual(['dead'])
  })
})
