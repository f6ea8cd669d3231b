import {open, stat} from 'node:fs/promises'

import {type StorePart, storeFiles} from './source.js'

export type VerdictCounts = Record<'accepted' | 'duplicate' | 'refused' | 'dead-letter', number>

const DUPLICATE_OF = Buffer.from(',"duplicateOf":"')
const NEWLINE = 0x0a
const CLOSING_BRACE = 0x7d
const CHUNK_BYTES = 1024 * 1024

interface FileCount {
  size: number
  lines: number
  duplicates: number
  /** Bytes after the last newline: a line still being written, counted once it is complete. */
  partial: number
}

/**
 * How many deliveries a data dir holds, by verdict, counted from the bytes (newlines, and the
 * duplicateOf key serve writes after the body) and remembered per day file: asked again, only what was
 * appended since is read. A million deliveries are counted once, then each poll costs a stat per file.
 */
export class StoreCounter {
  private readonly files = new Map<string, FileCount>()

  constructor(private readonly dataDir: string) {}

  async counts(): Promise<VerdictCounts> {
    const counts: VerdictCounts = {accepted: 0, duplicate: 0, refused: 0, 'dead-letter': 0}
    for (const part of ['accepted', 'refused', 'dead-letter'] as const satisfies StorePart[]) {
      for (const path of await storeFiles(this.dataDir, part)) {
        const count = await this.count(path)
        if (part === 'accepted') {
          counts.accepted += count.lines - count.duplicates
          counts.duplicate += count.duplicates
        } else {
          counts[part] += count.lines
        }
      }
    }
    return counts
  }

  private async count(path: string): Promise<FileCount> {
    const known = this.files.get(path) ?? {size: 0, lines: 0, duplicates: 0, partial: 0}
    const {size} = await stat(path)
    if (size === known.size) return known
    // A file smaller than before was replaced: count it again from the start.
    const from = size < known.size ? {size: 0, lines: 0, duplicates: 0, partial: 0} : known
    const start = from.size - from.partial
    const handle = await open(path, 'r')
    const next = {...from}
    try {
      let carried = Buffer.alloc(0)
      for (let position = start; position < size; ) {
        const chunk = Buffer.alloc(Math.min(CHUNK_BYTES, size - position))
        const {bytesRead} = await handle.read(chunk, 0, chunk.length, position)
        if (bytesRead === 0) break
        position += bytesRead
        const buffer = carried.length ? Buffer.concat([carried, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead)
        let lineStart = 0
        for (let newline = buffer.indexOf(NEWLINE); newline !== -1; newline = buffer.indexOf(NEWLINE, lineStart)) {
          // A line torn by a crash does not end its object: it was never acknowledged, and is not counted.
          if (newline > lineStart && buffer[newline - 1] === CLOSING_BRACE) {
            next.lines++
            const line = buffer.subarray(lineStart, newline)
            if (line.lastIndexOf(DUPLICATE_OF) !== -1) next.duplicates++
          }
          lineStart = newline + 1
        }
        carried = Buffer.from(buffer.subarray(lineStart))
      }
      next.size = size
      next.partial = carried.length
    } finally {
      await handle.close()
    }
    this.files.set(path, next)
    return next
  }
}
