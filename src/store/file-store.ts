import {randomUUID} from 'node:crypto'
import {constants} from 'node:fs'
import {mkdir, open, readdir, rename, rmdir, stat, type FileHandle} from 'node:fs/promises'
import {basename, join} from 'node:path'

import {UserError} from '../errors.js'
import {DedupeIndex, dayOf} from './dedupe-index.js'
import {scanKeys} from './key-scan.js'
import {type RecordMeta, recordLineParts, STORE_KINDS, type StoreKind} from './records.js'

export class StoreError extends UserError {}

/** Where serve stores what it receives, unless told otherwise. */
export const DEFAULT_DATA_DIR = './zoomctl-data'

/** Zoom's last retry comes about 85 minutes after the first try: two days is ample, and bounded. */
export const DEFAULT_DEDUPE_WINDOW_MS = 48 * 3_600_000

export interface FileStoreOptions {
  /** fdatasync after each batch (default true): an acknowledged delivery survives a power cut too. */
  sync?: boolean
  /**
   * How far back stored events' dedupe keys are loaded at start, in ms (default 48 h, rounded out to the
   * day files it touches). Zoom's retries end about 85 minutes after the first try, so older copies do not
   * come; start-up and memory depend on this window, not on the history.
   */
  dedupeWindowMs?: number
}

/**
 * The embedded store: NDJSON files under the data dir, one per kind and UTC day
 * (events/2026-11-25.ndjson). Appends are grouped: every record queued while a write is under way goes
 * out in the next single write + fdatasync, so durability costs one sync per batch, not per delivery.
 */
export class FileStore {
  private readonly appenders = new Map<StoreKind, BatchAppender>()
  private readonly index: DedupeIndex
  private readonly appendListeners = new Set<(kind: StoreKind, count: number) => void>()
  /** Lines of the window that were not records while its keys were read: writes cut short by a crash. */
  skippedLines = 0
  private indexLoaded = false
  private loading: Promise<void> = Promise.resolve()

  private constructor(
    readonly dataDir: string,
    private readonly options: FileStoreOptions,
  ) {
    this.index = new DedupeIndex(options.dedupeWindowMs ?? DEFAULT_DEDUPE_WINDOW_MS)
  }

  static async open(dataDir: string, options: FileStoreOptions = {}): Promise<FileStore> {
    const store = new FileStore(dataDir, options)
    try {
      // Deliveries carry personal data and meeting secrets: only the owner may read them.
      await mkdir(dataDir, {recursive: true, mode: 0o700})
      for (const kind of STORE_KINDS) await mkdir(join(dataDir, kind), {recursive: true, mode: 0o700})
      await mkdir(join(dataDir, 'refused', 'bodies'), {recursive: true, mode: 0o700})
    } catch (error) {
      throw new StoreError(`cannot create the data dir ${dataDir}: ${(error as Error).message}. Choose another with --data-dir.`)
    }
    store.loading = store.loadIndex(options.dedupeWindowMs ?? DEFAULT_DEDUPE_WINDOW_MS)
    // Nobody may be waiting yet: a failure is kept for whoever awaits indexed(), never left unhandled.
    store.loading.catch(() => undefined)
    return store
  }

  /**
   * The dedupe keys of the window, read in the background so that a receiver listens at once whatever
   * the history; claims wait for it (see indexed()). Files are read up to their size now: what is
   * appended meanwhile comes from claims made after the load.
   */
  private async loadIndex(windowMs: number): Promise<void> {
    const firstDay = dayOf(Date.now() - windowMs)
    try {
      const files = (await this.files('events')).filter((file) => basename(file, '.ndjson') >= firstDay)
      const sizes = await Promise.all(files.map((file) => stat(file).then((stats) => stats.size)))
      for (const [i, file] of files.entries()) {
        const day = basename(file, '.ndjson')
        const {skipped} = await scanKeys(file, sizes[i]!, (entry) => {
          if (!entry.duplicate) this.index.set(entry.dedupeKey, entry.id, day)
        })
        this.skippedLines += skipped
      }
    } catch (error) {
      // Refusing every delivery for it would lose more than it saves: go on with the keys read so far.
      this.indexFailure = `could not read the stored dedupe keys (${(error as Error).message}): a retry of an event stored before this start is stored again as new; Elasticsearch still drops it by _id`
    } finally {
      this.indexLoaded = true
    }
  }

  /** Why the dedupe keys of the window could not all be read, if they could not. */
  indexFailure: string | undefined

  /** Resolves once the dedupe keys of the window are loaded: claim() may be called from then on. */
  async indexed(): Promise<void> {
    if (!this.indexLoaded) await this.loading
  }

  /** Whether claim() may be called now, without waiting for indexed(). */
  get isIndexed(): boolean {
    return this.indexLoaded
  }

  /** Keys in the dedupe index: bounded by the window, not by the history. */
  get indexSize(): number {
    return this.index.size
  }

  /**
   * Claims a dedupe key for a delivery, synchronously so that two copies arriving together cannot both
   * claim it. Returns the id of the delivery that already holds it, or undefined when this one now does.
   */
  claim(key: string, id: string): string | undefined {
    if (!this.indexLoaded) throw new Error('the dedupe index is still loading: await indexed() before claim()')
    const holder = this.index.get(key)
    if (holder !== undefined) return holder
    this.index.set(key, id)
    return undefined
  }

  /** Gives a claim back when its delivery could not be stored, so that Zoom's retry is not taken for a copy. */
  release(key: string, id: string): void {
    if (this.index.get(key) === id) this.index.delete(key)
  }

  /**
   * Stores a delivery: its record and its body's bytes. Resolves once it is on disk (and synced, unless
   * sync is off). `bodyIsJson`: the caller parsed the body as JSON, so it is stored as it is (recordLine).
   */
  async append(kind: StoreKind, meta: RecordMeta, body: Buffer, bodyIsJson = false): Promise<void> {
    let appender = this.appenders.get(kind)
    if (!appender) {
      appender = new BatchAppender(join(this.dataDir, kind), this.options.sync ?? true)
      this.appenders.set(kind, appender)
    }
    await appender.append(meta.receivedAt.slice(0, 10), recordLineParts(meta, body, bodyIsJson))
    for (const listener of this.appendListeners) listener(kind, 1)
  }

  /** A new file under refused/bodies/ for a body too large to hold in memory while it is checked. */
  spillPath(): string {
    return join(this.dataDir, 'refused', 'bodies', `.incoming-${randomUUID()}`)
  }

  /** Keeps a spilled body (synced, under its record's id); returns its path relative to the data dir. */
  async keepSpilled(path: string, id: string): Promise<string> {
    const relative = join('refused', 'bodies', id)
    const handle = await open(path, 'r')
    try {
      if (this.options.sync ?? true) await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(path, join(this.dataDir, relative))
    return relative
  }

  /** Called after each record is on disk: forwarders wake up on it instead of polling. */
  onAppend(listener: (kind: StoreKind, count: number) => void): () => void {
    this.appendListeners.add(listener)
    return () => this.appendListeners.delete(listener)
  }

  /** Records written and syncs made since open (a batch written with O_DSYNC, or fdatasync after it): how many deliveries each sync carried (group commit). */
  get writeStats(): {records: number; syncs: number} {
    let records = 0
    let syncs = 0
    for (const appender of this.appenders.values()) {
      records += appender.records
      syncs += appender.syncs
    }
    return {records, syncs}
  }

  async files(kind: StoreKind): Promise<string[]> {
    return dayFiles(join(this.dataDir, kind))
  }

  async close(): Promise<void> {
    await Promise.all([...this.appenders.values()].map((appender) => appender.close()))
    this.appenders.clear()
  }
}

/** The day files of one directory of the store, oldest first; none when it does not exist yet. */
export async function dayFiles(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir))
      .filter((name) => name.endsWith('.ndjson'))
      .sort()
      .map((name) => join(dir, name))
  } catch {
    return []
  }
}

/**
 * How a day file is opened when writes must reach the disk: O_DSYNC where the platform has it, so that a
 * batch's writev(2) returns once its bytes are on disk (as writev then fdatasync would). One system call
 * and one trip to the thread pool a batch, not two; above all, the flush starts the moment the write ends,
 * not when the event loop next gets to the write's completion, behind the requests it is parsing: with a
 * slow flush that wait made each batch's cycle ~1 ms longer than its flush. Elsewhere: fdatasync after it.
 */
const SYNCED_APPEND = constants.O_DSYNC === undefined ? undefined : constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_DSYNC

interface Pending {
  day: string
  /** The line's pieces (see recordLineParts). */
  line: Buffer[]
  resolve: () => void
  reject: (error: Error) => void
}

class BatchAppender {
  private queue: Pending[] = []
  /**
   * The queue's line pieces in order, gathered as each comes, so that a batch of one day (all but once a
   * day) goes to writev as it is: flattening the batch at flush time (flatMap) took ~1 µs a delivery.
   */
  private queuedParts: Buffer[] = []
  private flushing: Promise<void> | undefined
  private handle: FileHandle | undefined
  private handleDay: string | undefined
  records = 0
  syncs = 0

  constructor(
    private readonly dir: string,
    private readonly sync: boolean,
  ) {}

  append(day: string, line: Buffer[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({day, line, resolve, reject})
      for (const part of line) this.queuedParts.push(part)
      this.flushing ??= this.flush()
    })
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue
      const day = batch[0]!.day
      // A batch that spans midnight (once a day) is split by day; any other goes as its pieces were queued.
      const groups = batch.every((item) => item.day === day) ? [{items: batch, parts: this.queuedParts}] : byDay(batch)
      this.queue = []
      this.queuedParts = []
      for (const {items, parts} of groups) {
        try {
          const handle = await this.handleFor(items[0]!.day)
          await writeAll(handle, parts)
          if (this.sync) {
            if (SYNCED_APPEND === undefined) await handle.datasync()
            this.syncs++
          }
          this.records += items.length
          for (const item of items) item.resolve()
        } catch (error) {
          await this.closeHandle()
          const failure = new StoreError(`cannot write to ${this.dir}: ${(error as Error).message}`)
          for (const item of items) item.reject(failure)
        }
      }
    }
    this.flushing = undefined
  }

  private async handleFor(day: string): Promise<FileHandle> {
    if (this.handle && this.handleDay === day) return this.handle
    await this.closeHandle()
    const path = join(this.dir, `${day}.ndjson`)
    await mkdir(this.dir, {recursive: true, mode: 0o700})
    const existed = await stat(path).then(
      () => true,
      () => false,
    )
    const handle = await open(path, this.sync && SYNCED_APPEND !== undefined ? SYNCED_APPEND : 'a+', 0o600)
    // A new file's name must reach the disk too, or a power cut could lose the whole file.
    if (!existed && this.sync) await syncDirectory(this.dir)
    // A previous process killed mid-write may have left a partial line: start ours on a fresh one.
    const {size} = await handle.stat()
    if (size > 0) {
      const last = Buffer.alloc(1)
      await handle.read(last, 0, 1, size - 1)
      if (last[0] !== 0x0a) await handle.write('\n')
    }
    this.handle = handle
    this.handleDay = day
    return handle
  }

  private async closeHandle(): Promise<void> {
    const handle = this.handle
    this.handle = undefined
    this.handleDay = undefined
    await handle?.close().catch(() => undefined)
  }

  async close(): Promise<void> {
    await this.flushing
    await this.closeHandle()
  }
}

/** A batch that spans midnight in groups of one day each, in order, with each group's line pieces. */
function byDay(batch: Pending[]): Array<{items: Pending[]; parts: Buffer[]}> {
  return [...new Set(batch.map((item) => item.day))].map((day) => {
    const items = batch.filter((item) => item.day === day)
    return {items, parts: items.flatMap((item) => item.line)}
  })
}

/**
 * A batch's pieces in one writev(2), not copied into one buffer first. It may write less than asked (a
 * full disk, a signal): go on with what is left until all is written or it fails.
 */
async function writeAll(handle: FileHandle, parts: Buffer[]): Promise<void> {
  let left = parts
  while (left.length > 0) {
    const {bytesWritten} = await handle.writev(left)
    if (bytesWritten === 0) throw new Error('no bytes written (is the disk full?)')
    left = unwritten(left, bytesWritten)
  }
}

/** What is left of the pieces once their first `written` bytes are on disk. */
export function unwritten(parts: Buffer[], written: number): Buffer[] {
  let index = 0
  let skip = written
  while (index < parts.length && skip >= parts[index]!.length) skip -= parts[index++]!.length
  if (index === parts.length) return []
  return skip === 0 ? parts.slice(index) : [parts[index]!.subarray(skip), ...parts.slice(index + 1)]
}

/**
 * Takes back a data dir that open() made for a serve that then could not start (its port taken …): its
 * folders go only while they are empty, so nothing stored there, by this serve or another, is ever removed.
 */
export async function removeUnusedDataDir(dataDir: string): Promise<void> {
  for (const dir of [join(dataDir, 'refused', 'bodies'), ...STORE_KINDS.map((kind) => join(dataDir, kind)), join(dataDir, 'rejected'), dataDir]) {
    try {
      await rmdir(dir)
    } catch {
      // Not empty, or gone already: what is left stays.
    }
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
