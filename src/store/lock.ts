import {hostname} from 'node:os'
import {link, mkdir, open, readFile, rename, stat, unlink} from 'node:fs/promises'
import {dirname, join} from 'node:path'

import {UserError} from '../errors.js'
import {writeFileAtomic} from './atomic.js'

/**
 * Who holds a lock: written into the lock file as JSON, so that a refusal can name the other process and
 * a lock left by a process that died can be told from a live one.
 */
export interface LockHolder {
  pid: number
  host: string
  /** ISO 8601. */
  since: string
  /** What holds it, in words: "zoomctl serve". */
  holder: string
  /** Where the holder can be reached, once it knows (serve's URL after it listens). */
  url?: string
  /** The data dir the holder writes, where the lock is not in it (a subscription's). */
  dataDir?: string
}

/** The lock is held by a live process: exit 2, naming it. */
export class LockedError extends UserError {
  constructor(
    message: string,
    readonly holder: LockHolder | undefined,
    hint: string,
  ) {
    super(message, {code: 'locked', hint})
  }
}

export interface LockOptions {
  /** What takes the lock, in words ("zoomctl serve"): written for the next one to read. */
  holder: string
  /** What the lock guards, for the refusal ("the data dir ./zoomctl-data"). */
  guards: string
  /** What to do instead of waiting for the holder ("give this serve another --data-dir"). */
  instead: string
  /** What the next one is told at once: where the holder can be reached, the data dir it writes. */
  details?: Pick<LockHolder, 'url' | 'dataDir'>
}

/**
 * An exclusive lock on a resource of this machine (a data dir, a subscription), held by one process: a
 * file created with O_EXCL holding the holder's pid. A lock whose process is gone (a crash, kill -9) is
 * taken over; a lock held on another host (a data dir on a shared disk) cannot be checked and is refused.
 * Readers never take it: it only keeps two writers apart.
 */
export class FileLock {
  private constructor(
    readonly path: string,
    private holder: LockHolder,
  ) {}

  static async acquire(path: string, options: LockOptions): Promise<FileLock> {
    await mkdir(dirname(path), {recursive: true, mode: 0o700})
    const mine: LockHolder = {pid: process.pid, host: hostname(), since: new Date().toISOString(), holder: options.holder, ...options.details}
    for (let attempt = 0; attempt < 5; attempt++) {
      if (await createExclusive(path, mine)) return new FileLock(path, mine)
      const current = await readHolder(path)
      if (current === 'gone') continue
      if (current === 'unreadable') {
        // Created a moment ago and not written yet, or torn by a crash at that moment: only an old one is stale.
        if (await olderThan(path, 2000)) {
          await takeOver(path, undefined)
          continue
        }
        await new Promise((resolve) => setTimeout(resolve, 100))
        continue
      }
      if (current.host === mine.host && !processAlive(current.pid)) {
        await takeOver(path, current)
        continue
      }
      throw lockedError(path, current, options)
    }
    throw new LockedError(`cannot take the lock ${path}: other processes keep taking it`, undefined, `try again; ${options.instead}`)
  }

  /** Adds what the holder learnt since (serve's URL once it listens), for the next one to be told. */
  async update(details: Partial<Pick<LockHolder, 'url'>>): Promise<void> {
    this.holder = {...this.holder, ...details}
    await writeFileAtomic(this.path, `${JSON.stringify(this.holder)}\n`)
  }

  /** Gives the lock back; a lock that is no longer this process's (taken over meanwhile) is left alone. */
  async release(): Promise<void> {
    const current = await readHolder(this.path)
    if (typeof current === 'object' && current.pid === this.holder.pid && current.host === this.holder.host) await unlink(this.path).catch(() => undefined)
  }
}

/** Who holds the lock at this path now, if anyone does (a live process, or one whose death cannot be checked from here). */
export async function lockHolder(path: string): Promise<LockHolder | undefined> {
  const current = await readHolder(path)
  if (typeof current !== 'object') return undefined
  return current.host === hostname() && !processAlive(current.pid) ? undefined : current
}

async function createExclusive(path: string, holder: LockHolder): Promise<boolean> {
  let handle
  try {
    handle = await open(path, 'wx', 0o600)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw new UserError(`cannot create the lock ${path}: ${(error as Error).message}`, {category: 'filesystem'})
  }
  try {
    await handle.writeFile(`${JSON.stringify(holder)}\n`)
  } finally {
    await handle.close()
  }
  return true
}

async function readHolder(path: string): Promise<LockHolder | 'gone' | 'unreadable'> {
  let text
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'gone' : 'unreadable'
  }
  try {
    const parsed = JSON.parse(text) as LockHolder
    return typeof parsed.pid === 'number' && typeof parsed.host === 'string' ? parsed : 'unreadable'
  } catch {
    return 'unreadable'
  }
}

/** signal 0 checks that the process exists; EPERM: it does, under another user. */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

async function olderThan(path: string, ms: number): Promise<boolean> {
  try {
    return Date.now() - (await stat(path)).mtimeMs > ms
  } catch {
    return false
  }
}

/**
 * Moves a stale lock aside (rename is atomic: of two processes taking over, one gets it) and checks that
 * what was moved is the stale lock read before, not one a faster process has just created: that one is
 * put back, and the caller tries again.
 */
async function takeOver(path: string, stale: LockHolder | undefined): Promise<void> {
  const aside = `${path}.${process.pid}.stale`
  try {
    await rename(path, aside)
  } catch {
    return
  }
  const moved = await readHolder(aside)
  const same = stale === undefined ? typeof moved !== 'object' : typeof moved === 'object' && moved.pid === stale.pid && moved.since === stale.since
  // link() fails when a lock is there again: then that one holds, and the next attempt reads it.
  if (!same) await link(aside, path).catch(() => undefined)
  await unlink(aside).catch(() => undefined)
}

function lockedError(path: string, holder: LockHolder, options: LockOptions): LockedError {
  const where = holder.url ? `, listening on ${holder.url}` : ''
  const host = holder.host === hostname() ? '' : ` on ${holder.host}`
  return new LockedError(
    `${options.guards} is in use by another ${holder.holder} (pid ${holder.pid}${host}${where}, since ${holder.since})`,
    holder,
    `stop that one first, or ${options.instead}; if pid ${holder.pid} is no ${holder.holder} (a reboot reused it${host ? ', or that host is gone' : ''}), remove ${path}`,
  )
}

/** The lock a serve holds on its data dir while it runs (see FileLock): pid, host, since, URL. */
export function serveLockPath(dataDir: string): string {
  return join(dataDir, 'serve.lock')
}
