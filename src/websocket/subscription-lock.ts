import {createHash} from 'node:crypto'
import {mkdir, open, readFile, unlink} from 'node:fs/promises'
import {hostname, tmpdir, userInfo} from 'node:os'
import {join, resolve} from 'node:path'

import {UserError} from '../errors.js'

/**
 * One serve per Zoom WebSocket subscription on a machine. Zoom wants one consumer per subscription (a new
 * connection is said to close the older one: ../shared/zoom/api.md D6, unconfirmed), so two serves would
 * take the socket from each other in turn, each reconnecting, the events split between two data dirs. The
 * lock is a file named after the subscription in the machine's temp dir, not in the data dir: two serves
 * with different data dirs are caught too. A lock whose process is gone (SIGKILL) is taken over.
 * Across machines no file can tell: see the README ("one consumer per subscription").
 */
export interface LockHolder {
  pid: number
  host: string
  dataDir: string
  since: string
  /** The holder's /healthz: doctor reads the socket's state there instead of taking the socket from it. */
  healthUrl?: string
}

export class SubscriptionTakenError extends UserError {
  constructor(
    readonly subscriptionId: string,
    readonly holder: LockHolder,
  ) {
    super(`another zoomctl serve (pid ${holder.pid}, data dir ${holder.dataDir}, since ${holder.since}) already consumes WebSocket subscription ${subscriptionId} on this machine`, {
      category: 'input',
      code: 'subscription-taken',
      hint: 'Zoom keeps one connection per subscription: a second consumer would take the socket from the first in turn. Stop the other serve first, or give this one another subscription (--zoom-subscription-id)',
    })
  }
}

/** Where the locks live: per user, on this machine (TMPDIR is honoured). */
export function lockDir(): string {
  return join(tmpdir(), `zoomctl-${userInfo().uid}`, 'websocket-subscriptions')
}

export function lockPath(subscriptionId: string): string {
  return join(lockDir(), `${createHash('sha256').update(subscriptionId).digest('hex').slice(0, 32)}.lock`)
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: the process is there, someone else's.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The serve that consumes the subscription on this machine now, if one does. */
export async function subscriptionHolder(subscriptionId: string): Promise<LockHolder | undefined> {
  const holder = await readHolder(lockPath(subscriptionId))
  return holder && holder.pid !== process.pid && alive(holder.pid) ? holder : undefined
}

async function readHolder(path: string): Promise<LockHolder | undefined> {
  try {
    const holder = JSON.parse(await readFile(path, 'utf8')) as LockHolder
    return typeof holder.pid === 'number' ? holder : undefined
  } catch {
    return undefined
  }
}

/** Takes the subscription's lock or throws SubscriptionTakenError; the returned function gives it back. */
export async function lockSubscription(subscriptionId: string, dataDir: string, healthUrl?: string): Promise<() => Promise<void>> {
  const path = lockPath(subscriptionId)
  await mkdir(lockDir(), {recursive: true, mode: 0o700})
  const mine: LockHolder = {pid: process.pid, host: hostname(), dataDir: resolve(dataDir), since: new Date().toISOString(), ...(healthUrl ? {healthUrl} : {})}
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(path, 'wx', 0o600)
      try {
        await handle.writeFile(JSON.stringify(mine))
      } finally {
        await handle.close()
      }
      return async () => {
        const holder = await readHolder(path)
        if (holder?.pid === process.pid) await unlink(path).catch(() => undefined)
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    const holder = await readHolder(path)
    if (holder && alive(holder.pid) && holder.pid !== process.pid) throw new SubscriptionTakenError(subscriptionId, holder)
    // Its process is gone (or the file is torn: a crash while writing it): take it over.
    if (holder === undefined && attempt === 0) {
      // A lock being written this instant reads as torn: give its writer a moment.
      await new Promise((done) => setTimeout(done, 50))
      const again = await readHolder(path)
      if (again && alive(again.pid)) throw new SubscriptionTakenError(subscriptionId, again)
    }
    await unlink(path).catch(() => undefined)
  }
  throw new UserError(`could not take the lock of WebSocket subscription ${subscriptionId} (${path})`, {category: 'filesystem', hint: `remove ${path} if no zoomctl serve runs`})
}
