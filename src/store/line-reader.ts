import {open} from 'node:fs/promises'

const CHUNK_BYTES = 4 * 1024 * 1024
const NEWLINE = 0x0a

/**
 * The complete lines of a file between two offsets, as bytes (no decoding, no JSON), read in large
 * chunks; a line longer than a chunk grows the buffer rather than being cut. What follows the last
 * newline is returned, not given: a line still being written, or one cut short by a crash.
 */
export async function forEachLine(path: string, from: number, to: number, onLine: (line: Buffer, offset: number) => void): Promise<{rest: Buffer; restOffset: number}> {
  const handle = await open(path, 'r')
  try {
    let buffer = Buffer.alloc(Math.min(CHUNK_BYTES, Math.max(1, to - from)))
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
        onLine(buffer.subarray(start, newline), base + start)
        start = newline + 1
      }
      carried = end - start
      buffer.copy(buffer, 0, start, end)
    }
    return {rest: Buffer.from(buffer.subarray(0, carried)), restOffset: position - carried}
  } finally {
    await handle.close()
  }
}
