import {open} from 'node:fs/promises'
import {basename} from 'node:path'

import {UserError} from '../errors.js'
import {dayOf} from '../store/dedupe-index.js'
import {idPrefix} from './ids.js'
import {type Delivery, parseLine, type ReadOptions, type StorePart, storeFiles} from './source.js'

/**
 * Reading a store from its newest delivery backwards, so that "the latest 200" costs 200 lines, not the
 * whole history: a page of the inspector or of `zoomctl deliveries` on a million-delivery store reads
 * what it shows. Positions are (day file, byte offset): a page ends where the next one starts.
 */

/** Where a part was read back to: the next page reads the lines before this offset of this day file. */
export interface PartPosition {
  /** The day file's name (2026-11-29.ndjson). */
  file: string
  offset: number
}

export type StoreCursor = Partial<Record<StorePart, PartPosition | 'start'>>

const CHUNK_BYTES = 256 * 1024
const NEWLINE = 0x0a

interface LineAt {
  line: Buffer
  /** Where the line starts in its file. */
  offset: number
}

/** The lines of a file that end at or before `end`, last first. */
async function* linesBackwards(path: string, end?: number): AsyncGenerator<LineAt> {
  const handle = await open(path, 'r')
  try {
    let position = end ?? (await handle.stat()).size
    let tail = Buffer.alloc(0)
    while (position > 0) {
      const size = Math.min(CHUNK_BYTES, position)
      position -= size
      const chunk = Buffer.alloc(size)
      await handle.read(chunk, 0, size, position)
      let buffer = tail.length ? Buffer.concat([chunk, tail]) : chunk
      let lineEnd = buffer.length
      for (let newline = buffer.lastIndexOf(NEWLINE, lineEnd - 1); newline !== -1; newline = buffer.lastIndexOf(NEWLINE, lineEnd - 1)) {
        if (newline + 1 < lineEnd) yield {line: buffer.subarray(newline + 1, lineEnd), offset: position + newline + 1}
        lineEnd = newline
        if (lineEnd === 0) break
      }
      // What precedes the first newline of this chunk belongs to a line that starts in an earlier chunk.
      tail = Buffer.from(buffer.subarray(0, lineEnd))
      buffer = Buffer.alloc(0)
    }
    if (tail.length) yield {line: tail, offset: 0}
  } finally {
    await handle.close()
  }
}

export interface NewestReadOptions extends ReadOptions {
  /** A look at a line's bytes before it is parsed: false skips it (a filter it cannot match). */
  keepLine?: (line: Buffer) => boolean
}

export interface PartDelivery {
  part: StorePart
  delivery: Delivery
  position: PartPosition
}

/** One part of a data dir, newest first, from a position (exclusive) or from its end. */
export async function* partNewestFirst(dataDir: string, part: StorePart, from?: PartPosition, options: NewestReadOptions = {}): AsyncGenerator<PartDelivery> {
  const files = (await storeFiles(dataDir, part)).reverse()
  for (const path of files) {
    const file = basename(path)
    if (from && file > from.file) continue
    for await (const {line, offset} of linesBackwards(path, from && file === from.file ? from.offset : undefined)) {
      if (options.keepLine && !options.keepLine(line)) continue
      const text = line.toString('utf8').trim()
      if (!text) continue
      const delivery = parseLine(text, `${path}:@${offset}`, dataDir, options)
      // A line torn by a crash has nothing to show.
      if (delivery.unreadable && !delivery.record) continue
      yield {part, delivery, position: {file, offset}}
    }
  }
}

/**
 * How far a store line may sit from its receive-time order: lines are appended as deliveries are stored,
 * and a request whose body trickled in for up to 30 s (serve's request timeout) is stored after quicker
 * ones received later. Reading back stops this far before a window.
 */
const ORDER_SLACK_MS = 120_000

/**
 * The deliveries of one part received within a window, newest first: only the day files the window
 * touches are read, from their end back to just before the window, so that "the last 15 minutes" of a
 * million-delivery store costs those minutes. A line torn by a crash is left out.
 */
export async function* partInWindow(dataDir: string, part: StorePart, window: {since: Date; until: Date}): AsyncGenerator<Delivery> {
  const since = window.since.getTime()
  const until = window.until.getTime()
  const firstFile = `${dayOf(since)}.ndjson`
  const lastFile = `${dayOf(until)}.ndjson`
  for (const path of (await storeFiles(dataDir, part)).reverse()) {
    const file = basename(path)
    if (file > lastFile) continue
    if (file < firstFile) return
    for await (const {line, offset} of linesBackwards(path)) {
      const text = line.toString('utf8').trim()
      if (!text) continue
      const delivery = parseLine(text, `${path}:@${offset}`, dataDir)
      const at = Date.parse(delivery.receivedAt ?? '')
      if (delivery.unreadable || Number.isNaN(at) || at > until) continue
      if (at >= since) yield delivery
      else if (at < since - ORDER_SLACK_MS) break
    }
  }
}

/**
 * Every part merged newest first by receive time (each part is in time order on its own). Yields each
 * delivery with the cursor that, given back, continues right after it.
 */
export async function* newestFirst(dataDir: string, parts: StorePart[], cursor: StoreCursor = {}, options: NewestReadOptions = {}): AsyncGenerator<PartDelivery & {cursor: StoreCursor}> {
  const open = parts.filter((part) => cursor[part] !== 'start')
  const readers = open.map((part) => partNewestFirst(dataDir, part, cursor[part] === 'start' ? undefined : cursor[part], options))
  const heads = await Promise.all(readers.map((reader) => reader.next()))
  const state: StoreCursor = {...cursor}
  // A part with nothing (left) to read is done from the start: the cursor says so, so that nobody asks again.
  for (const [i, head] of heads.entries()) if (head.done) state[open[i]!] = 'start'
  try {
    for (;;) {
      let newest = -1
      for (const [i, head] of heads.entries()) {
        if (head.done) continue
        if (newest === -1 || receivedAt(head.value) > receivedAt((heads[newest] as IteratorYieldResult<PartDelivery>).value)) newest = i
      }
      if (newest === -1) return
      const taken = (heads[newest] as IteratorYieldResult<PartDelivery>).value
      state[taken.part] = taken.position
      heads[newest] = await readers[newest]!.next()
      if (heads[newest]!.done) state[taken.part] = 'start'
      yield {...taken, cursor: {...state}}
    }
  } finally {
    await Promise.all(readers.map((reader) => reader.return(undefined)))
  }
}

function receivedAt(item: PartDelivery): string {
  return item.delivery.receivedAt ?? item.delivery.record?.receivedAt ?? ''
}

/** A cursor as it travels in a URL, and back (undefined when it is not one of ours). */
export function encodeCursor(cursor: StoreCursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url')
}

export function decodeCursor(text: string): StoreCursor | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Record<string, unknown>
    const cursor: StoreCursor = {}
    for (const [part, value] of Object.entries(parsed)) {
      if (!['accepted', 'refused', 'dead-letter'].includes(part)) return undefined
      if (value === 'start') cursor[part as StorePart] = 'start'
      else if (isPosition(value)) cursor[part as StorePart] = {file: value.file, offset: value.offset}
      else return undefined
    }
    return cursor
  } catch {
    return undefined
  }
}

function isPosition(value: unknown): value is PartPosition {
  const position = value as PartPosition
  return typeof position === 'object' && position !== null && /^\d{4}-\d{2}-\d{2}\.ndjson$/.test(position.file) && Number.isInteger(position.offset) && position.offset >= 0
}

// A record's id opens its object (a store line, or the record of a dead letter).
const ID_FIELD = (id: string) => Buffer.from(`{"id":${JSON.stringify(id)}`)

/** Several deliveries start with the characters given: the longer id that tells them apart is needed. */
export class AmbiguousIdError extends UserError {
  constructor(prefix: string, ids: string[]) {
    super(`${ids.length} deliveries have an id that starts with ${prefix}`, {code: 'ambiguous-id', hint: `give more of the id: ${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ' …' : ''}`})
  }
}

/**
 * One delivery by id, found by searching the bytes of each day file (newest first, the day of `hint`
 * first when given) and parsing only the line that holds it: a second or so for a million deliveries
 * rather than a JSON.parse of each. The first characters of an id find it too, when no other delivery's
 * id starts with them (every file is then searched, to be sure).
 */
export async function findDelivery(dataDir: string, parts: StorePart[], id: string, hint?: string): Promise<{part: StorePart; delivery: Delivery; position: PartPosition} | undefined> {
  const prefix = idPrefix(id)
  // An id's opening quote is in the needle, not its closing one, when only its start is given.
  const needle = prefix ? Buffer.from(`{"id":"${prefix}`) : ID_FIELD(id)
  const matches = new Map<string, {part: StorePart; delivery: Delivery; position: PartPosition}>()
  for (const part of parts) {
    const files = (await storeFiles(dataDir, part)).reverse()
    const day = hint && /^\d{4}-\d{2}-\d{2}/.exec(hint)?.[0]
    if (day) files.sort((a, b) => Number(basename(b).startsWith(day)) - Number(basename(a).startsWith(day)))
    for (const path of files) {
      // A body may hold the same bytes (format 2 keeps bodies unescaped): search on past a line that is not the record.
      for (let found = await findLine(path, needle); found; found = await findLine(path, needle, found.offset + Buffer.byteLength(found.line) + 1)) {
        const delivery = parseLine(found.line, `${path}:@${found.offset}`, dataDir)
        const match = {part, delivery, position: {file: basename(path), offset: found.offset}}
        if (delivery.id === id) return match
        if (prefix && delivery.id.startsWith(prefix) && !matches.has(delivery.id)) matches.set(delivery.id, match)
      }
    }
  }
  if (matches.size > 1) throw new AmbiguousIdError(id, [...matches.keys()])
  return matches.values().next().value
}

/** The first line of a file from `from` on holding the needle, and where it starts, read in chunks (a line may cross a chunk's edge). */
async function findLine(path: string, needle: Buffer, from = 0): Promise<{line: string; offset: number} | undefined> {
  const handle = await open(path, 'r')
  try {
    const size = (await handle.stat()).size
    let carried = Buffer.alloc(0)
    // Where the buffer's first byte is in the file.
    let base = from
    for (let position = from; position < size; ) {
      const chunk = Buffer.alloc(Math.min(4 * CHUNK_BYTES, size - position))
      const {bytesRead} = await handle.read(chunk, 0, chunk.length, position)
      if (bytesRead === 0) break
      position += bytesRead
      const buffer = carried.length ? Buffer.concat([carried, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead)
      const at = buffer.indexOf(needle)
      const lastNewline = buffer.lastIndexOf(NEWLINE)
      if (at !== -1) {
        const start = buffer.lastIndexOf(NEWLINE, at) + 1
        let end = buffer.indexOf(NEWLINE, at)
        if (end === -1 && position < size) {
          // The line goes on past this chunk: read on to its end.
          carried = Buffer.from(buffer.subarray(start))
          base += start
          continue
        }
        if (end === -1) end = buffer.length
        return {line: buffer.toString('utf8', start, end), offset: base + start}
      }
      // Keep the unfinished last line: the needle may start in it.
      carried = Buffer.from(buffer.subarray(lastNewline + 1))
      base += lastNewline + 1
    }
  } finally {
    await handle.close()
  }
  return undefined
}
