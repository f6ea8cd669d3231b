import {randomUUID} from 'node:crypto'
import {appendFile, mkdir, readFile, rename, stat} from 'node:fs/promises'
import {join} from 'node:path'

import {writeFileAtomic} from './atomic.js'

/**
 * What serve remembers of a request it did not store: one refused as unauthenticated (a bad signature, a
 * missing auth header: its body is not kept, it may be anyone's), or a doctor probe (answered, never
 * stored nor forwarded). No body and no header value: when, from where, what it said it was, and why.
 */
export interface RejectionEntry {
  id: string
  /** ISO 8601. */
  at: string
  verdict: 'rejected' | 'probe'
  /** The address the request came from. */
  from: string
  status: number
  reason: string
  /** The body's "event", when it could be read from its first bytes (never trusted: it was not authenticated). */
  eventType?: string
}

/** Totals since the data dir's first rejection, kept across restarts: what /healthz and doctor report. */
export interface RejectionCounts {
  /** When counting began (the first entry). */
  since: string
  rejected: number
  byReason: Record<string, number>
  lastRejected?: {at: string; reason: string; status: number}
  probes: number
  lastProbe?: string
  /** Entries counted but not written to the log: a flood outran the disk (the counts hold them). */
  notLogged: number
}

/** Where a data dir keeps them: two log files that take turns (bounded), and the counts. */
export function rejectionPaths(dataDir: string): {dir: string; current: string; previous: string; counts: string} {
  const dir = join(dataDir, 'rejected')
  return {dir, current: join(dir, 'log.ndjson'), previous: join(dir, 'log.1.ndjson'), counts: join(dir, 'counts.json')}
}

export interface RejectionLogOptions {
  /** Once the current file is this large it becomes the previous one (replacing it): two files at most on disk. */
  maxFileBytes?: number
  /** Entries waiting to be written at most; past it they are counted, not logged (memory stays bounded). */
  maxPending?: number
  /** How long entries gather before one write (and one write of the counts). */
  flushMs?: number
}

/** About 1,500 entries a file: the last few thousand requests that were refused, under 1 MiB in all. */
export const DEFAULT_MAX_LOG_BYTES = 384 * 1024
const DEFAULT_MAX_PENDING = 1000
const LONGEST_EVENT_TYPE = 100

/**
 * serve's bounded record of unauthenticated requests and doctor probes: a request costs a counter and,
 * while fewer than maxPending wait, a line written in the next batch. A flood of forgeries grows neither
 * memory (the queue is bounded) nor disk (two files of maxFileBytes that take turns).
 */
export class RejectionLog {
  private pending: string[] = []
  private timer: NodeJS.Timeout | undefined
  private flushing: Promise<void> = Promise.resolve()
  private size = 0
  /** Set once a write failed: said once, then the log goes on counting only. */
  failure: string | undefined

  private constructor(
    private readonly dataDir: string,
    private readonly counts: RejectionCounts,
    private readonly options: Required<RejectionLogOptions>,
  ) {}

  static async open(dataDir: string, options: RejectionLogOptions = {}): Promise<RejectionLog> {
    const paths = rejectionPaths(dataDir)
    await mkdir(paths.dir, {recursive: true, mode: 0o700})
    const counts = (await readRejectionCounts(dataDir)) ?? emptyCounts()
    const log = new RejectionLog(dataDir, counts, {maxFileBytes: options.maxFileBytes ?? DEFAULT_MAX_LOG_BYTES, maxPending: options.maxPending ?? DEFAULT_MAX_PENDING, flushMs: options.flushMs ?? 200})
    log.size = await stat(paths.current).then((stats) => stats.size, () => 0)
    return log
  }

  record(entry: Omit<RejectionEntry, 'id'>): void {
    const counts = this.counts
    if (counts.rejected === 0 && counts.probes === 0) counts.since = entry.at
    if (entry.verdict === 'probe') {
      counts.probes++
      counts.lastProbe = entry.at
    } else {
      counts.rejected++
      counts.byReason[entry.reason] = (counts.byReason[entry.reason] ?? 0) + 1
      counts.lastRejected = {at: entry.at, reason: entry.reason, status: entry.status}
    }
    if (this.pending.length >= this.options.maxPending) {
      counts.notLogged++
    } else {
      const eventType = entry.eventType?.slice(0, LONGEST_EVENT_TYPE)
      this.pending.push(`${JSON.stringify({id: randomUUID(), ...entry, ...(eventType ? {eventType} : {})})}\n`)
    }
    this.timer ??= setTimeout(() => {
      this.timer = undefined
      this.flushing = this.flushing.then(() => this.flush())
    }, this.options.flushMs)
  }

  /** The totals as they are now, written or not. */
  current(): RejectionCounts {
    return {...this.counts, byReason: {...this.counts.byReason}}
  }

  /** Writes what waits: at stop. */
  async close(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer)
      this.timer = undefined
      this.flushing = this.flushing.then(() => this.flush())
    }
    await this.flushing
  }

  private async flush(): Promise<void> {
    const lines = this.pending
    this.pending = []
    const paths = rejectionPaths(this.dataDir)
    try {
      if (lines.length) {
        const text = lines.join('')
        if (this.size > 0 && this.size + Buffer.byteLength(text) > this.options.maxFileBytes) {
          await rename(paths.current, paths.previous)
          this.size = 0
        }
        await appendFile(paths.current, text, {mode: 0o600})
        this.size += Buffer.byteLength(text)
      }
      await writeFileAtomic(paths.counts, `${JSON.stringify(this.counts)}\n`)
    } catch (error) {
      this.failure ??= (error as Error).message
    }
  }
}

function emptyCounts(): RejectionCounts {
  return {since: new Date().toISOString(), rejected: 0, byReason: {}, probes: 0, notLogged: 0}
}

/** The counts a data dir holds, if serve ever refused or probed anything there. */
export async function readRejectionCounts(dataDir: string): Promise<RejectionCounts | undefined> {
  try {
    const parsed = JSON.parse(await readFile(rejectionPaths(dataDir).counts, 'utf8')) as Partial<RejectionCounts>
    if (typeof parsed.rejected !== 'number') return undefined
    return {...emptyCounts(), ...parsed, byReason: {...parsed.byReason}}
  } catch {
    return undefined
  }
}

/** Every entry the log still holds, oldest first (the two files are bounded: read whole). */
export async function readRejectionEntries(dataDir: string): Promise<RejectionEntry[]> {
  const paths = rejectionPaths(dataDir)
  const entries: RejectionEntry[] = []
  for (const path of [paths.previous, paths.current]) {
    let text = ''
    try {
      text = await readFile(path, 'utf8')
    } catch {
      continue
    }
    entries.push(...rejectionEntriesOf(text))
  }
  return entries
}

/** The entries of some whole lines of the log; a line torn by a crash is skipped. */
export function rejectionEntriesOf(text: string): RejectionEntry[] {
  const entries: RejectionEntry[] = []
  for (const line of text.split('\n')) {
    if (!line) continue
    try {
      const entry = JSON.parse(line) as RejectionEntry
      if (typeof entry.at === 'string' && typeof entry.reason === 'string') entries.push(entry)
    } catch {
      // A line torn by a crash: skipped.
    }
  }
  return entries
}
