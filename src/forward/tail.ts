import {stat} from 'node:fs/promises'
import {basename} from 'node:path'

import {STORE_PARTS, storeFiles, type StorePart} from '../deliveries/source.js'
import {forEachLine} from '../store/line-reader.js'
import {type DeliveryRecord, readStoredLine} from '../store/records.js'
import type {Cursor} from './cursor.js'

/** A record read from the store, with the position just after it: where the cursor goes once it is confirmed. */
export interface TailRecord<T = DeliveryRecord> {
  record: T
  file: string
  end: number
  /** The stored line's length, newline included. */
  bytes: number
}

const CHUNK = 256 * 1024

/**
 * Reads records of one part of the store (accepted by default) after a cursor, in store order, across day files. Only whole lines are read: a
 * line still being written (no newline yet) waits for the next call. A line that does not parse (torn by a
 * crash, then closed by the next append) is skipped and counted.
 */
export class StoreTail<T = DeliveryRecord> {
  private file: string
  private offset: number
  corruptLines = 0

  /** `parse`: what a line becomes (the forwarder's record by default; a reader of dead letters wants more of the line). */
  constructor(
    private readonly dataDir: string,
    from: Cursor,
    private readonly part: StorePart = 'accepted',
    private readonly parse: (line: Buffer) => T = readStoredLine as unknown as (line: Buffer) => T,
  ) {
    this.file = from.file
    this.offset = from.offset
  }

  /** Up to `max` records (and about `maxBytes`) that are complete on disk now; [] when caught up. */
  async read(max: number, maxBytes: number): Promise<Array<TailRecord<T>>> {
    const out: Array<TailRecord<T>> = []
    let bytes = 0
    for (;;) {
      const files = (await storeFiles(this.dataDir, this.part)).map((path) => basename(path))
      if (!this.file || !files.includes(this.file)) {
        // First run, or the cursor's file is gone: the first file after it.
        const next = files.find((name) => name > this.file)
        if (!next) return out
        this.file = next
        this.offset = 0
      }
      const path = `${this.dataDir}/${STORE_PARTS[this.part]}/${this.file}`
      const size = (await stat(path)).size
      if (this.offset < size) {
        const file = this.file
        const read = await forEachLine(
          path,
          this.offset,
          size,
          (line, offset) => {
            if (!isBlank(line)) {
              try {
                out.push({record: this.parse(line), file, end: offset + line.length + 1, bytes: line.length + 1})
                bytes += line.length
              } catch {
                this.corruptLines++
              }
            }
            return out.length < max && bytes < maxBytes
          },
          CHUNK,
        )
        // Up to the last whole line read: a line still being written waits for the next call.
        this.offset = read.end
        if (out.length >= max || bytes >= maxBytes || this.offset < size) return out
      }
      const later = files.find((name) => name > this.file)
      if (!later) return out
      // This day's file is complete once a later one exists.
      this.file = later
      this.offset = 0
    }
  }

  /** Moves past everything stored now: the next read returns only what is appended later. */
  async skipToEnd(): Promise<void> {
    const files = (await storeFiles(this.dataDir, this.part)).map((path) => basename(path))
    const last = files[files.length - 1]
    if (!last) return
    this.file = last
    this.offset = (await stat(`${this.dataDir}/${STORE_PARTS[this.part]}/${last}`)).size
  }

  /** Lines (records) in the store after what has been read: one pass over the bytes, no parsing. */
  async linesAhead(): Promise<number> {
    let lines = 0
    for (const {path, from, size} of await this.unread()) if (from < size) await forEachLine(path, from, size, () => void lines++)
    return lines
  }

  /** Bytes in the store after what has been read. */
  async bytesAhead(): Promise<number> {
    let total = 0
    for (const {from, size} of await this.unread()) total += Math.max(0, size - from)
    return total
  }

  /** The files at or after the read position, each with where its unread bytes start and its size now. */
  private async unread(): Promise<Array<{path: string; from: number; size: number}>> {
    const files: Array<{path: string; from: number; size: number}> = []
    for (const path of await storeFiles(this.dataDir, this.part)) {
      const name = basename(path)
      if (name < this.file) continue
      files.push({path, from: name === this.file ? this.offset : 0, size: (await stat(path)).size})
    }
    return files
  }
}

/** A line of nothing but whitespace (an empty line between records is skipped, not counted as torn). */
function isBlank(line: Buffer): boolean {
  for (const byte of line) if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0d) return false
  return true
}
