import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {writeFileAtomic} from '../store/atomic.js'

/**
 * How far a sink has confirmed the store: every record before (file, offset) is delivered. Written as a
 * checkpoint — temp file, fsync, rename, directory fsync — so a crash leaves the old cursor or the new one,
 * never a torn one. A crash between a sink's confirmation and the write resends at most one batch, which
 * the sinks make harmless (Elasticsearch: same _id → 409).
 */
export interface Cursor {
  /** Base name of the store file (events/2026-11-29.ndjson → 2026-11-29.ndjson); '' before the first. */
  file: string
  /** Byte offset in that file just after the last confirmed record. */
  offset: number
  /** Records confirmed since the cursor was created (for status only). */
  records: number
}

export const START: Cursor = {file: '', offset: 0, records: 0}

export function cursorPath(dataDir: string, sink: string): string {
  return join(dataDir, 'cursors', `${sink}.json`)
}

export async function loadCursor(path: string): Promise<Cursor> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {...START}
    throw error
  }
  const parsed = JSON.parse(text) as Partial<Cursor>
  if (typeof parsed.file !== 'string' || typeof parsed.offset !== 'number' || parsed.offset < 0) throw new Error(`${path} is not a cursor`)
  return {file: parsed.file, offset: parsed.offset, records: parsed.records ?? 0}
}

export async function saveCursor(path: string, cursor: Cursor): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(cursor))
}
