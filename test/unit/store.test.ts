import {appendFileSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {Readable} from 'node:stream'

import {describe, expect, it} from 'vitest'

import {parseLine, readDeliveries} from '../../src/deliveries/source.js'
import {runRecord} from '../../src/sender/record.js'
import {dedupeKey, type DeliveryRecord, encodeRawBody, FileStore, type FileStoreOptions, rawBodyBytes} from '../../src/store/index.js'
import {StoreCounter} from '../../src/deliveries/counts.js'
import {findDelivery} from '../../src/deliveries/newest.js'
import {DedupeIndex} from '../../src/store/dedupe-index.js'
import {removeUnusedDataDir, unwritten} from '../../src/store/file-store.js'
import {readRecord, recordLine} from '../../src/store/records.js'

/** The line the store writes for a record whose rawBody is its body, as text. */
const lineOf = (stored: DeliveryRecord, bodyIsJson: boolean) => recordLine(stored, Buffer.from(stored.rawBody, stored.rawBodyEncoding === 'base64' ? 'base64' : 'utf8'), bodyIsJson).toString()
import {tempDir} from '../helpers/cli.js'

const record = (id: string, receivedAt = '2026-11-25T10:00:00.000Z'): DeliveryRecord => ({
  id,
  receivedAt,
  source: {address: '127.0.0.1'},
  method: 'POST',
  path: '/zoom-webhook',
  headers: {},
  rawBody: `{"id":"${id}"}`,
  dedupeKey: `key-${id}`,
})

/** Stores a record with its rawBody as the body's bytes, as the receiver does. */
const put = (store: FileStore, kind: 'events' | 'refused', stored: DeliveryRecord, bodyIsJson = false) => store.append(kind, stored, Buffer.from(stored.rawBody), bodyIsJson)

describe('file store', () => {
  it('appends concurrently, one file per day, and reads back in order', async () => {
    const dir = tempDir()
    const store = await FileStore.open(dir)
    // 599 of them in one batch: three pieces each, more than one writev(2) takes (IOV_MAX is 1024).
    await Promise.all(Array.from({length: 600}, (_, i) => put(store, 'events', record(`r${i}`), i % 2 === 0)))
    await put(store, 'events', record('tomorrow', '2026-11-26T00:00:01.000Z'))
    await store.close()
    const ids = await storedIds(dir)
    expect(ids).toEqual([...Array.from({length: 600}, (_, i) => `r${i}`), 'tomorrow'])
  })

  it('splits a batch that spans midnight by day, each line in its own day file, in order', async () => {
    const dir = tempDir()
    const store = await FileStore.open(dir)
    // A first append opens the file; the rest queue behind it and go together as one batch of two days.
    const first = put(store, 'events', record('first', '2026-11-25T23:59:59.000Z'))
    const days = ['2026-11-25T23:59:59.500Z', '2026-11-26T00:00:00.100Z']
    await Promise.all([first, ...Array.from({length: 9}, (_, i) => put(store, 'events', record(`r${i}`, days[i % 3 === 2 ? 1 : 0]), i % 2 === 0))])
    await put(store, 'events', record('last', '2026-11-26T00:00:01.000Z'))
    await store.close()
    const [before, after] = await store.files('events')
    const idsIn = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((line) => parseLine(line, file).id)
    expect(idsIn(before!)).toEqual(['first', 'r0', 'r1', 'r3', 'r4', 'r6', 'r7'])
    expect(idsIn(after!)).toEqual(['r2', 'r5', 'r8', 'last'])
  })

  // The day file's writes go through to the disk (O_DSYNC) when sync is on, and only then.
  it.runIf(process.platform === 'linux')('opens its day files with O_DSYNC when it syncs, without it when not', async () => {
    const dsyncOf = async (sync: boolean) => {
      const dir = tempDir()
      const store = await FileStore.open(dir, {sync})
      await put(store, 'events', record(`sync-${sync}`))
      const [file] = await store.files('events')
      const fd = readdirSync('/proc/self/fd').find((each) => {
        try {
          return readlinkSync(`/proc/self/fd/${each}`) === file
        } catch {
          return false
        }
      })
      const flags = Number.parseInt(/^flags:\s+([0-7]+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1]!, 8)
      await store.close()
      // O_SYNC includes O_DSYNC's bit: only the O_DSYNC bit is asked for.
      return (flags & constants.O_DSYNC) === constants.O_DSYNC
    }
    expect(await dsyncOf(true)).toBe(true)
    expect(await dsyncOf(false)).toBe(false)
  })

  it('takes back a data dir it made only while it holds nothing', async () => {
    const unused = join(tempDir(), 'unused')
    await (await FileStore.open(unused)).close()
    await removeUnusedDataDir(unused)
    expect(existsSync(unused)).toBe(false)
    const used = join(tempDir(), 'used')
    const store = await FileStore.open(used)
    await put(store, 'events', record('kept'))
    await store.close()
    await removeUnusedDataDir(used)
    expect(await storedIds(used)).toEqual(['kept'])
    expect(existsSync(join(used, 'refused'))).toBe(false)
  })

  it('survives a line cut short by a crash and starts the next append on a fresh line', async () => {
    const dir = tempDir()
    mkdirSync(join(dir, 'events'), {recursive: true})
    const file = join(dir, 'events', '2026-11-25.ndjson')
    appendFileSync(file, `${JSON.stringify(record('before'))}\n{"id":"cut sho`)
    const store = await FileStore.open(dir)
    await put(store, 'events', record('after'))
    await store.close()
    expect(await storedIds(dir)).toEqual(['before', 'after'])
    expect(readFileSync(file, 'utf8').split('\n').at(-2)).toContain('"after"')
  })

  it('remembers dedupe keys across restarts, and claims them atomically', async () => {
    const dir = tempDir()
    const store = await FileStore.open(dir)
    await store.indexed()
    expect(store.claim('key-a', 'a')).toBeUndefined()
    expect(store.claim('key-a', 'b')).toBe('a')
    await put(store, 'events', record('a', new Date().toISOString()))
    store.claim('key-x', 'x')
    store.release('key-x', 'x')
    expect(store.claim('key-x', 'y')).toBeUndefined()
    await store.close()
    expect((await indexedStore(dir)).claim('key-a', 'c')).toBe('a')
  })

  it('loads only the dedupe window at start, so start-up does not grow with history', async () => {
    const dir = tempDir()
    const store = await FileStore.open(dir)
    await put(store, 'events', record('old', new Date(Date.now() - 3 * 86_400_000).toISOString()))
    await put(store, 'events', record('yesterday', new Date(Date.now() - 86_400_000).toISOString()))
    await store.close()
    const reopened = await indexedStore(dir)
    expect(reopened.claim('key-yesterday', 'y2')).toBe('yesterday')
    expect(reopened.claim('key-old', 'o2')).toBeUndefined()
    expect((await indexedStore(dir, {dedupeWindowMs: 5 * 86_400_000})).claim('key-old', 'o3')).toBe('old')
  })

  it('reads the keys of lines of every shape, and skips a line cut short', async () => {
    const dir = tempDir()
    const day = new Date().toISOString().slice(0, 10)
    const file = join(dir, 'events', `${day}.ndjson`)
    mkdirSync(join(dir, 'events'), {recursive: true})
    const written = {...record('plain', new Date().toISOString()), rawBody: '{"event":"x","dedupeKey":"fake"}'}
    const copy = {...record('copy', new Date().toISOString()), dedupeKey: 'key-plain', duplicateOf: 'plain'}
    const reordered = {dedupeKey: 'key-reordered', id: 'reordered', receivedAt: new Date().toISOString()}
    const huge = {...record('huge', new Date().toISOString()), rawBody: 'x'.repeat(9 * 1024 * 1024)}
    const lines = [written, copy, reordered, huge].map((line) => JSON.stringify(line))
    writeFileSync(file, `${lines.join('\n')}\n{"id":"cut","receivedAt":"2026`)
    const store = await indexedStore(dir)
    expect(store.claim('key-plain', 'p2')).toBe('plain')
    expect(store.claim('fake', 'f')).toBeUndefined()
    expect(store.claim('key-reordered', 'r2')).toBe('reordered')
    expect(store.claim('key-huge', 'h2')).toBe('huge')
    expect(store.indexSize).toBe(4)
    expect(store.skippedLines).toBe(1)
  })

  it('stores a JSON body unescaped (format 2) and reads back the same bytes; other bodies as format 1', () => {
    const body = '{"event":"meeting.started","payload":{"object":{"topic":"Zoë \\"quoted\\" \\u2028 😀"}}}'
    const line = lineOf({...record('r1'), rawBody: body}, true)
    expect(line).toMatch(/^\{"id":"r1",.*,"dedupeKey":"key-r1","v":2,"bodySize":\d+,"body":\{"event":"meeting.started"/)
    expect(line.endsWith(`"body":${body}}\n`)).toBe(true)
    expect(readRecord(line.trimEnd()).rawBody).toBe(body)
    expect(readRecord(line.trimEnd())).toEqual({...record('r1'), rawBody: body})
    // Smaller than the record with its body escaped in a string.
    expect(Buffer.byteLength(line)).toBeLessThan(Buffer.byteLength(JSON.stringify({...record('r1'), rawBody: body})))
    for (const [rawBody, bodyIsJson] of [['{"a":\n1}', true], ['{"a":\r\n1}', true], ['not json', false]] as const) {
      const written = lineOf({...record('r2'), rawBody}, bodyIsJson)
      expect(written).toContain('"v":1,"rawBody":')
      expect(readRecord(written.trimEnd())).toEqual({...record('r2'), rawBody})
    }
    const binary = {...record('r3'), ...encodeRawBody(Buffer.from([0xff, 0x7b, 0x7d]))}
    expect(lineOf(binary, true)).not.toContain('"v":2')
    expect(() => readRecord(line.trimEnd().replace('"bodySize":', '"bodySize":1'))).toThrow(/bodySize/)
  })

  it('goes on from the right byte when writev writes only part of a batch', () => {
    const parts = ['ab', 'cde', 'f'].map((text) => Buffer.from(text))
    const left = (written: number) => Buffer.concat(unwritten(parts, written)).toString()
    expect([0, 1, 2, 3, 5, 6].map(left)).toEqual(['abcdef', 'bcdef', 'cdef', 'def', 'f', ''])
    expect(unwritten(parts, 2)).toHaveLength(2)
  })

  it("finds a format-2 record's own id, key and copy mark, whatever keys its body holds", async () => {
    const dir = tempDir()
    const store = await FileStore.open(dir)
    const now = new Date().toISOString()
    // A body that holds every key the byte scans look for, with other values.
    const decoy = (id: string) => JSON.stringify({event: 'x', event_ts: 1, payload: {x: 1, dedupeKey: 'fake', duplicateOf: 'fake', bodySize: 1, nested: {id}, list: [{id: 'other'}]}})
    await put(store, 'events', {...record('first', now), rawBody: decoy('second'), dedupeKey: 'key-1'}, true)
    await put(store, 'events', {...record('second', now), rawBody: decoy('first'), dedupeKey: 'key-1', duplicateOf: 'first'}, true)
    await put(store, 'events', {...record('third', now), rawBody: decoy('third'), dedupeKey: 'key-3'}, true)
    await store.close()
    const file = join(dir, 'events', `${now.slice(0, 10)}.ndjson`)
    // A format-2 line cut short by a crash, though it happens to end in a brace.
    appendFileSync(file, `${lineOf({...record('torn', now), rawBody: decoy('torn'), dedupeKey: 'key-torn'}, true).slice(0, -30)}}`)
    const reopened = await indexedStore(dir)
    expect(reopened.claim('key-1', 'x')).toBe('first')
    expect(reopened.claim('key-3', 'x')).toBe('third')
    expect(reopened.claim('fake', 'x')).toBeUndefined()
    expect(reopened.claim('key-torn', 'x')).toBeUndefined()
    expect(reopened.skippedLines).toBe(1)
    expect(await new StoreCounter(dir).counts()).toMatchObject({accepted: 2, duplicate: 1})
    for (const id of ['first', 'second', 'third']) {
      const found = await findDelivery(dir, ['accepted'], id)
      expect(found?.delivery.id).toBe(id)
      expect(found?.delivery.rawBody.toString()).toBe(decoy(id === 'first' ? 'second' : id === 'second' ? 'first' : 'third'))
    }
    expect((await storedIds(dir)).slice(0, 3)).toEqual(['first', 'second', 'third'])
  })

  it('makes claims wait for the index, never answer from half of it', async () => {
    const store = await FileStore.open(tempDir())
    expect(() => store.claim('k', 'a')).toThrow(/still loading/)
    await store.indexed()
    expect(store.claim('k', 'a')).toBeUndefined()
  })

  it('keeps any body byte for byte', () => {
    for (const bytes of [Buffer.from('{"a":"zoë"}'), Buffer.from([0xff, 0xfe, 0x00, 0x7b])]) {
      expect(rawBodyBytes(encodeRawBody(bytes)).equals(bytes)).toBe(true)
    }
  })

  it('dedupes by event, event_ts and object ids, not by arrival', () => {
    const body = (ts: number, participant: string) => ({event: 'meeting.participant_joined', event_ts: ts, payload: {account_id: 'A', object: {id: '1', uuid: 'u', participant: {user_id: participant}}}})
    const key = (value: unknown) => dedupeKey(value, Buffer.from(JSON.stringify(value)))
    expect(key(body(1, 'p1'))).toBe(key(JSON.parse(JSON.stringify(body(1, 'p1')))))
    expect(key(body(1, 'p1'))).not.toBe(key(body(2, 'p1')))
    expect(key(body(1, 'p1'))).not.toBe(key(body(1, 'p2')))
    expect(key({event: 'x'})).not.toBe(key({event: 'y'}))
    // Zoom's members come in no fixed order: the same ids in another order are the same event.
    const reordered = {payload: {object: {participant: {user_id: 'p1'}, uuid: 'u', id: '1'}, account_id: 'A'}, event_ts: 1, event: 'meeting.participant_joined'}
    expect(key(reordered)).toBe(key(body(1, 'p1')))
  })

  it('keeps the keys it gave before, so that copies stored by an earlier version are still recognised', () => {
    const body = {event: 'meeting.participant_joined', event_ts: 1764470000123, payload: {account_id: 'AAA', object: {id: 85012345678, uuid: 'u/v==', participant: {user_id: '16778240', id: 'pid', email: 'a@b.c', nested: [{call_id: 'c1'}, {x: 1}]}}}}
    const raw = Buffer.from(JSON.stringify(body))
    expect(dedupeKey(body, raw)).toBe('c8c73e704189248a5a7c9863b1855a75cb716dd617464030dcaf884ced18f697')
    expect(dedupeKey({event: 'x'}, raw)).toBe('572a699246d8a76aa3c07032013eaab33f4d02e68f3c2f8d344fb62eb8facab1')
  })
})

/** The accepted deliveries' ids, read as every reader of the store does (a torn line is not one). */
async function storedIds(dataDir: string): Promise<string[]> {
  const ids: string[] = []
  for await (const delivery of readDeliveries({kind: 'store', dataDir, part: 'accepted'})) if (!delivery.unreadable) ids.push(delivery.id)
  return ids
}

async function indexedStore(dir: string, options: FileStoreOptions = {}): Promise<FileStore> {
  const store = await FileStore.open(dir, options)
  await store.indexed()
  return store
}

describe('deliveries source', () => {
  it('reads the lines of a stream: LF and CRLF ends, blank lines, a character cut between chunks, no newline at the end', async () => {
    const text = '{"event":"a","n":1}\r\n\n{"event":"b","who":"Zoë 😀"}\n{"event":"c"}'
    const bytes = Buffer.from(text)
    const cut = bytes.indexOf(Buffer.from('😀')) + 2
    const chunks = [bytes.subarray(0, 7), bytes.subarray(7, cut), bytes.subarray(cut)]
    const read = []
    for await (const delivery of readDeliveries({kind: 'stdin', stream: Readable.from(chunks)})) read.push(delivery)
    expect(read.map((delivery) => delivery.rawBody.toString())).toEqual(['{"event":"a","n":1}', '{"event":"b","who":"Zoë 😀"}', '{"event":"c"}'])
    expect(read.map((delivery) => delivery.id)).toEqual(['stdin:1', 'stdin:3', 'stdin:4'])
    expect(read[1]!.body).toEqual({event: 'b', who: 'Zoë 😀'})
  })

  it("reads a run file's line (simulate --record) as the body it sent, when it sent it", () => {
    const sent = '{"event":"meeting.ended","event_ts":1,"payload":{"object":{"id":"1"}}}'
    const line = JSON.stringify(runRecord('meeting.ended', new Date('2026-11-30T13:01:56.067Z'), 200, Buffer.from(sent)))
    const delivery = parseLine(line, 'run.ndjson:1')
    expect(delivery).toMatchObject({id: 'run.ndjson:1', eventType: 'meeting.ended', receivedAt: '2026-11-30T13:01:56.067Z', body: JSON.parse(sent)})
    expect(delivery.rawBody.toString()).toBe(sent)
  })

  it('reads a format-2 line for its bytes when bodies are not asked for, its metadata when asked for, as the whole reading would', () => {
    // A body that holds the members which end a line's metadata, as keys of its own.
    const body = '{"event":"x","v":2,"bodySize":1,"body":{"id":"fake"},"text":"a \\"quoted\\" ,\\"v\\":2 😀"}'
    const line = lineOf({...record('r1'), rawBody: body, eventType: 'x'}, true).trimEnd()
    const whole = parseLine(line, 'f:1')
    const metadataOnly = parseLine(line, 'f:1', undefined, {bodies: false})
    expect(metadataOnly.rawBody.toString()).toBe(body)
    expect(metadataOnly.record).toEqual(readRecord(line))
    expect(metadataOnly.body).toBeUndefined()
    const {id, receivedAt, eventType, rawBody, origin} = metadataOnly
    expect({id, receivedAt, eventType, rawBody, origin, record: metadataOnly.record, body: JSON.parse(body) as unknown}).toEqual(whole)
    expect(whole.body).toEqual(JSON.parse(body))
    // Cut short by a crash: unreadable either way.
    for (const options of [{}, {bodies: false}]) expect(parseLine(line.slice(0, -5), 'f:1', undefined, options).unreadable).toBe(true)
    // The right size but not JSON (a damaged disk): the whole reading says so; bytes alone are sent as they are.
    const damaged = line.replace('"event":"x","v"', '"event":"x",!v"')
    expect(parseLine(damaged, 'f:1').unreadable).toBe(true)
    expect(parseLine(damaged, 'f:1', undefined, {bodies: false}).rawBody.toString()).toContain('!v"')
    // Metadata that is not JSON around a whole body (only a hand edit does that): the bytes still go, named by
    // where they were read; the whole reading finds the line unreadable.
    const editedMetadata = line.replace('{"id":"r1",', '{"id":"r1",,')
    expect(parseLine(editedMetadata, 'f:1').unreadable).toBe(true)
    const bytesOnly = parseLine(editedMetadata, 'f:1', undefined, {bodies: false})
    expect([bytesOnly.id, bytesOnly.record, bytesOnly.unreadable, bytesOnly.rawBody.toString()]).toEqual(['f:1', undefined, undefined, body])
  })
})

describe('deliveries list', () => {
  it('keeps the newest of every part, however many older ones another part holds', async () => {
    const {listDeliveries} = await import('../../src/deliveries/list.js')
    const dir = tempDir()
    const store = await FileStore.open(dir)
    const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString()
    for (let i = 0; i < 30; i++) await put(store, 'refused', {...record(`old-${i}`, at(120 - i)), refusal: {status: 401, reason: 'stale-timestamp', detail: ''}})
    await put(store, 'events', record('newest', at(1)))
    await store.close()
    const last = await listDeliveries(dir, {}, 5)
    expect(last.map((entry) => entry.id)).toEqual(['old-26', 'old-27', 'old-28', 'old-29', 'newest'])
  })

  it('with --verdict, reads only the parts that keep those verdicts', async () => {
    const {pageOfDeliveries} = await import('../../src/deliveries/list.js')
    const dir = tempDir()
    const store = await FileStore.open(dir)
    const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString()
    for (let i = 0; i < 30; i++) await put(store, 'events', {...record(`accepted-${i}`, at(60 - i)), ...(i === 29 ? {duplicateOf: 'accepted-0'} : {})})
    for (let i = 0; i < 2; i++) await put(store, 'refused', {...record(`refused-${i}`, at(45 - i)), refusal: {status: 401, reason: 'stale-timestamp', detail: ''}})
    await store.close()
    const refused = await pageOfDeliveries(dir, {verdicts: ['refused']}, {limit: 10})
    expect([refused.entries.map((entry) => entry.id), refused.scanned, refused.next]).toEqual([['refused-1', 'refused-0'], 2, undefined])
    const copies = await pageOfDeliveries(dir, {verdicts: ['duplicate']}, {limit: 10})
    expect([copies.entries.map((entry) => entry.id), copies.scanned]).toEqual([['accepted-29'], 30])
    const paged = await pageOfDeliveries(dir, {verdicts: ['accepted', 'refused']}, {limit: 3})
    expect(paged.entries.map((entry) => entry.id)).toEqual(['accepted-28', 'accepted-27', 'accepted-26'])
    expect((await pageOfDeliveries(dir, {verdicts: ['accepted', 'refused']}, {limit: 100, cursor: paged.next})).entries).toHaveLength(28)
  })

  it('with --event, skips the lines of other types unparsed and lists exactly what a full reading does', async () => {
    const {eventTypePrefilter, pageOfDeliveries} = await import('../../src/deliveries/list.js')
    const dir = tempDir()
    const store = await FileStore.open(dir)
    const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString()
    const typed = (id: string, minutesAgo: number, eventType?: string, rawBody = `{"event":"${eventType ?? 'x'}"}`): DeliveryRecord => ({...record(id, at(minutesAgo)), rawBody, ...(eventType ? {eventType} : {})})
    for (let i = 0; i < 20; i++) await put(store, 'events', typed(`other-${i}`, 60 - i, 'meeting.ended'), i % 2 === 0)
    await put(store, 'events', typed('old-started', 50, 'meeting.started'), true)
    await put(store, 'events', typed('started', 30, 'meeting.started'))
    // A body that holds the bytes of another type's metadata is still not of that type.
    await put(store, 'events', typed('lookalike', 20, 'meeting.ended', '{"event":"meeting.ended","note":{"eventType":"meeting.started"}}'), true)
    await put(store, 'events', typed('untyped', 10))
    await put(store, 'refused', {...typed('refused-started', 5, 'meeting.started'), refusal: {status: 401, reason: 'stale-timestamp', detail: ''}}, true)
    await store.close()

    const started = {events: ['meeting.started']}
    const keep = eventTypePrefilter(started)!
    expect(keep(Buffer.from('{"id":"a","receivedAt":"2026-11-30T10:00:00.000Z","eventType":"meeting.ended"}'))).toBe(false)
    expect(keep(Buffer.from('{"id":"a","receivedAt":"2026-11-30T10:00:00.000Z","eventType":"meeting.started"}'))).toBe(true)
    const ids = async (filter: Parameters<typeof pageOfDeliveries>[1], bounded: boolean) =>
      (await pageOfDeliveries(dir, filter, {limit: 100, ...(bounded ? {scanLimit: 1_000_000} : {})})).entries.map((entry) => entry.id)
    expect(await ids(started, false)).toEqual(['refused-started', 'started', 'old-started'])
    expect(await ids(started, false)).toEqual(await ids(started, true))
    // With --since, a line of another type before it still ends the reading, as it would without the prefilter.
    const recent = {...started, since: new Date(Date.now() - 40 * 60_000)}
    expect(await ids(recent, false)).toEqual(['refused-started', 'started'])
    const page = await pageOfDeliveries(dir, recent, {limit: 100})
    expect(page.next).toBeUndefined()
    // Kept: an older line of another type, where reading stops; skipped: a newer one.
    const keepRecent = eventTypePrefilter({...started, since: new Date('2026-11-30T10:00:00.000Z')})!
    expect(keepRecent(Buffer.from('{"id":"a","receivedAt":"2026-11-30T09:59:59.999Z","eventType":"meeting.ended"}'))).toBe(true)
    expect(keepRecent(Buffer.from('{"id":"a","receivedAt":"2026-11-30T10:00:00.000Z","eventType":"meeting.ended"}'))).toBe(false)
    expect(keepRecent(Buffer.from('{"not":"a store line"}'))).toBe(true)
    expect(eventTypePrefilter({})).toBeUndefined()
  })
})

describe('dedupe index', () => {
  it('holds the window\'s days only: a long-running receiver forgets whole days the window has left', () => {
    let now = Date.parse('2026-11-28T12:00:00Z')
    const index = new DedupeIndex(48 * 3_600_000, () => now)
    index.set('a', 'id-a')
    now += 86_400_000
    index.set('b', 'id-b')
    expect([index.get('a'), index.get('b'), index.size]).toEqual(['id-a', 'id-b', 2])
    now += 2 * 86_400_000
    // The first key of a new day moves the window: the 28th is more than 48 h back.
    index.set('c', 'id-c')
    expect([index.get('a'), index.get('b'), index.get('c'), index.size]).toEqual([undefined, 'id-b', 'id-c', 2])
    index.delete('b')
    expect(index.get('b')).toBeUndefined()
  })

  it('files a key under the UTC day of its claim, to the millisecond, whichever way the clock moves', () => {
    let now = Date.parse('2026-11-28T23:59:59.999Z')
    const index = new DedupeIndex(24 * 3_600_000, () => now)
    index.set('late-28th', '1')
    now += 1
    index.set('early-29th', '2')
    // A clock set back: the key goes under the day it says, not the day last seen.
    now = Date.parse('2026-11-28T23:00:00Z')
    index.set('back-on-28th', '3')
    // The 30th's first key leaves the 28th more than 24 h behind: its keys go, the 29th's stay.
    now = Date.parse('2026-11-30T00:00:00Z')
    index.set('30th', '4')
    expect(['late-28th', 'early-29th', 'back-on-28th', '30th'].map((key) => index.get(key))).toEqual([undefined, '2', undefined, '4'])
  })
})
