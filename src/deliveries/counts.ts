import {stat} from 'node:fs/promises'

import {forEachLine} from '../store/line-reader.js'
import {type StorePart, storeFiles} from './source.js'

export type VerdictCounts = Record<'accepted' | 'duplicate' | 'refused' | 'dead-letter', number>

const DUPLICATE_OF = Buffer.from(',"duplicateOf":"')
const CLOSING_BRACE = 0x7d

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
    const next = {...from}
    const {rest} = await forEachLine(path, from.size - from.partial, size, (line) => {
      // A line torn by a crash does not end its object: it was never acknowledged, and is not counted.
      if (line.length === 0 || line[line.length - 1] !== CLOSING_BRACE) return
      next.lines++
      if (line.lastIndexOf(DUPLICATE_OF) !== -1) next.duplicates++
    })
    next.size = size
    next.partial = rest.length
    this.files.set(path, next)
    return next
  }
}
