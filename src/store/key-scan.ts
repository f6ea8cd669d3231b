import {forEachLine} from './line-reader.js'
import {format2Layout} from './records.js'

/** What the dedupe index needs of one stored line. */
export interface KeyEntry {
  id: string
  dedupeKey: string
  duplicate: boolean
}

const QUOTE = 0x22
const ID = Buffer.from('{"id":"')
const DEDUPE_KEY = Buffer.from(',"dedupeKey":"')
const DUPLICATE_OF = Buffer.from(',"duplicateOf":"')

/**
 * The dedupe keys of a day file, read as bytes: serve's start-up must not parse every delivery of the
 * window (a million in two days is 1.3 GB of JSON). The receiver writes `{"id":"…"` first; in format 2
 * the keys come before the body (which may hold any key, so they are looked for before it), in format 1
 * after the body (an escaped string: inside any JSON string a quote is escaped, so `,"dedupeKey":"` can
 * only be the record's own key). A line of another shape (written by hand, or cut short by a crash) is
 * parsed as JSON instead.
 * Reads up to `upTo` bytes: what is appended meanwhile is indexed as it is claimed.
 */
export async function scanKeys(path: string, upTo: number, onEntry: (entry: KeyEntry) => void): Promise<{skipped: number}> {
  let skipped = 0
  const {rest} = await forEachLine(path, 0, upTo, (line) => {
    if (!readLine(line, onEntry)) skipped++
  })
  // The last line without its newline: complete if the file ends there, else a write cut short.
  if (rest.length > 0 && !readLine(rest, onEntry)) skipped++
  return {skipped}
}

/** false for a line that is not a record (a write cut short by a crash). */
function readLine(line: Buffer, onEntry: (entry: KeyEntry) => void): boolean {
  if (line.length === 0 || (line.length === 1 && line[0] === 0x0d)) return true
  const members = ownMembers(line)
  if (members) {
    // Format 2: the first key, before the body; format 1: the last, after the escaped body.
    const keyAt = members.format2 ? line.indexOf(DEDUPE_KEY, ID.length) : line.lastIndexOf(DEDUPE_KEY)
    if (keyAt === -1 || keyAt > members.end) return true
    const id = stringAt(line, ID.length)
    const dedupeKey = stringAt(line, keyAt + DEDUPE_KEY.length)
    if (id !== undefined && dedupeKey !== undefined) {
      const duplicateAt = line.indexOf(DUPLICATE_OF, keyAt)
      onEntry({id, dedupeKey, duplicate: duplicateAt !== -1 && duplicateAt < members.end})
      return true
    }
  }
  try {
    const record = JSON.parse(line.toString('utf8')) as {id?: unknown; dedupeKey?: unknown; duplicateOf?: unknown}
    if (typeof record.id === 'string' && typeof record.dedupeKey === 'string') onEntry({id: record.id, dedupeKey: record.dedupeKey, duplicate: record.duplicateOf !== undefined})
    return true
  } catch {
    return false
  }
}

/**
 * For a whole line as the receiver writes it, where the record's own members end (a format-2 body may
 * hold any key; a format-1 body is an escaped string that cannot); undefined for any other line.
 */
function ownMembers(line: Buffer): {end: number; format2: boolean} | undefined {
  if (!line.subarray(0, ID.length).equals(ID)) return undefined
  const layout = format2Layout(line)
  if (layout) return layout.complete ? {end: layout.metadataEnd, format2: true} : undefined
  return line[line.length - 1] === 0x7d ? {end: line.length, format2: false} : undefined
}

/** An id, a key or a time of a stored line: plain characters up to the closing quote; undefined with an escape (or no quote). */
export function stringAt(line: Buffer, from: number): string | undefined {
  const close = line.indexOf(QUOTE, from)
  if (close === -1) return undefined
  const value = line.toString('latin1', from, close)
  return value.includes('\\') ? undefined : value
}
