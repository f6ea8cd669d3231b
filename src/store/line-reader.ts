import {open} from 'node:fs/promises'

const CHUNK_BYTES = 4 * 1024 * 1024
const NEWLINE = 0x0a

export interface LinesRead {
  /** The offset just after the last line given: where a later read goes on. */
  end: number
  /** The bytes from `end` to `to` when the reader was not stopped: a line still being written, or one cut short by a crash. */
  rest: Buffer
}

/**
 * The complete lines of a file between two offsets, as bytes (no decoding, no JSON), each with its offset,
 * read in chunks; a line longer than a chunk grows the buffer rather than being cut. onLine returning
 * false stops the reading after that line. What follows the last newline is returned, not given.
 */
export async function forEachLine(
  path: string,
  from: number,
  to: number,
  onLine: (line: Buffer, offset: number) => boolean | void,
  chunkBytes = CHUNK_BYTES,
): Promise<LinesRead> {
  const handle = await open(path, 'r')
  try {
    let buffer = Buffer.alloc(Math.min(chunkBytes, Math.max(1, to - from)))
    let carried = 0
    let position = from
    while (position < to) {
      if (carried === buffer.length) {
        const larger = Buffer.alloc(buffer.length * 2)
        buffer.copy(larger, 0, 0, carried)
        buffer = larger
      }
      const {bytesRead} = await handle.read(buffer, carried, Math.min(buffer.length - carried, to - position), position)
      if (bytesRead === 0) break
      // Where the buffer's first byte is in the file.
      const base = position - carried
      position += bytesRead
      const end = carried + bytesRead
      let start = 0
      for (let newline = buffer.indexOf(NEWLINE, start); newline !== -1 && newline < end; newline = buffer.indexOf(NEWLINE, start)) {
        const more = onLine(buffer.subarray(start, newline), base + start)
        start = newline + 1
        if (more === false) return {end: base + start, rest: Buffer.alloc(0)}
      }
      carried = end - start
      buffer.copy(buffer, 0, start, end)
    }
    return {end: position - carried, rest: Buffer.from(buffer.subarray(0, carried))}
  } finally {
    await handle.close()
  }
}
