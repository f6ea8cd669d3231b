import {stat} from 'node:fs/promises'

import {forEachLine} from '../store/line-reader.js'
import {format2Layout} from '../store/records.js'
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
 * duplicateOf key serve writes before the body in format 2, after it in format 1) and remembered per
 * day file: asked again, only what was appended since is read. A million deliveries are counted once,
 * then each poll costs a stat per file.
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
      // A line torn by a crash is not whole: it was never acknowledged, and is not counted.
      const layout = format2Layout(line)
      if (layout?.complete) {
        next.lines++
        const duplicateAt = line.indexOf(DUPLICATE_OF)
        if (duplicateAt !== -1 && duplicateAt < layout.metadataEnd) next.duplicates++
        return
      }
      if (line.length === 0 || line[line.length - 1] !== CLOSING_BRACE || (layout && !parses(line))) return
      next.lines++
      if (line.lastIndexOf(DUPLICATE_OF) !== -1) next.duplicates++
    })
    next.size = size
    next.partial = rest.length
    this.files.set(path, next)
    return next
  }
}

/** Whether a line that looks cut short is JSON after all (a format-1 line whose body holds the format-2 members). */
function parses(line: Buffer): boolean {
  try {
    JSON.parse(line.toString('utf8'))
    return true
  } catch {
    return false
  }
}
