import {open, stat} from 'node:fs/promises'

import {START} from '../forward/cursor.js'
import {StoreTail} from '../forward/tail.js'
import {rejectionEntriesOf, rejectionPaths} from '../store/rejections.js'
import {readGaps} from '../websocket/connection-log.js'
import {type DeliveryEntry, type EntryFilter, entryMatches, entryOf, gapEntry, type ListedEntry, rejectedEntry, wantedParts} from './list.js'
import {type Delivery, parseLine, rejectedDelivery} from './source.js'

/**
 * What serve records from now on, as deliveries lists it, until the signal aborts: the parts of the store
 * the filter asks for (accepted, refused, dead letters), the requests refused as unauthenticated (and
 * doctor's probes) when asked for by verdict, as the listing does, and the WebSocket's gaps as they open
 * and as they close.
 */
export async function* followDeliveries(dataDir: string, filter: EntryFilter, signal: AbortSignal): AsyncGenerator<ListedEntry> {
  const verdicts = filter.verdicts?.length ? filter.verdicts : undefined
  // Start at the end of what exists: only what comes from now on.
  const tails = await Promise.all(
    wantedParts(filter).map(async (part) => {
      const tail = new StoreTail<Delivery>(dataDir, START, part, (line) => parseLine(line.toString('utf8'), '', dataDir, {bodies: false}))
      await tail.skipToEnd()
      return {part, tail}
    }),
  )
  const rejected = verdicts?.some((verdict) => verdict === 'rejected' || verdict === 'probe') ? await RejectionFollower.fromNow(dataDir) : undefined
  const gaps = !verdicts || verdicts.includes('gap') ? await GapFollower.fromNow(dataDir) : undefined
  while (!signal.aborted) {
    const found: ListedEntry[] = []
    for (const {part, tail} of tails) {
      for (const {record} of await tail.read(1000, 8 << 20)) {
        const entry = entryOf(record, part)
        if (entry) found.push(entry)
      }
    }
    for (const entry of (await rejected?.read()) ?? []) found.push(entry)
    for (const entry of (await gaps?.read()) ?? []) found.push(entry)
    for (const entry of found.sort((a, b) => a.receivedAt.localeCompare(b.receivedAt))) if (entryMatches(entry, filter)) yield entry
    if (!found.length) await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

/** The log of refused requests (rejected/log.ndjson, rotated to log.1.ndjson when full) read as it grows. */
class RejectionFollower {
  private constructor(
    private readonly path: string,
    private offset: number,
  ) {}

  static async fromNow(dataDir: string): Promise<RejectionFollower> {
    const path = rejectionPaths(dataDir).current
    return new RejectionFollower(path, await sizeOf(path))
  }

  async read(): Promise<DeliveryEntry[]> {
    const size = await sizeOf(this.path)
    // Rotated: the file is new and shorter (what was appended to the old one before it went is not read again).
    if (size < this.offset) this.offset = 0
    if (size === this.offset) return []
    const file = await open(this.path, 'r')
    let text: string
    try {
      const bytes = Buffer.alloc(size - this.offset)
      await file.read(bytes, 0, bytes.length, this.offset)
      const whole = bytes.lastIndexOf(0x0a) + 1
      // A line still being written waits for the next read.
      this.offset += whole
      text = bytes.subarray(0, whole).toString('utf8')
    } finally {
      await file.close()
    }
    return rejectionEntriesOf(text).flatMap((logged) => rejectedEntry(rejectedDelivery(logged, this.path)) ?? [])
  }
}

/** serve --websocket's gaps: each said when it opens, and again when it closes. */
class GapFollower {
  private readonly said = new Map<string, boolean>()
  private lastRead = 0

  static async fromNow(dataDir: string): Promise<GapFollower> {
    const follower = new GapFollower(dataDir)
    for (const gap of await readGaps(dataDir)) follower.said.set(gapEntry(gap).id, gap.end !== undefined)
    return follower
  }

  private constructor(private readonly dataDir: string) {}

  async read(): Promise<ListedEntry[]> {
    // The connection logs are small, and change rarely: read once a second at most.
    if (Date.now() - this.lastRead < 1000) return []
    this.lastRead = Date.now()
    const entries: ListedEntry[] = []
    for (const gap of await readGaps(this.dataDir)) {
      const entry = gapEntry(gap)
      const closed = gap.end !== undefined
      if (this.said.get(entry.id) === closed) continue
      if (this.said.get(entry.id) === undefined || closed) entries.push(entry)
      this.said.set(entry.id, closed)
    }
    return entries
  }
}

async function sizeOf(path: string): Promise<number> {
  return stat(path).then(
    (found) => found.size,
    () => 0,
  )
}
