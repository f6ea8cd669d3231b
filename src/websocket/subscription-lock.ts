import {createHash} from 'node:crypto'
import {tmpdir, userInfo} from 'node:os'
import {join, resolve} from 'node:path'

import {UserError} from '../errors.js'
import {FileLock, LockedError, type LockHolder, lockHolder} from '../store/lock.js'

/**
 * One serve per Zoom WebSocket subscription on a machine. Zoom wants one consumer per subscription (a new
 * connection is said to close the older one: ../shared/zoom/api.md D6, unconfirmed), so two serves would
 * take the socket from each other in turn, each reconnecting, the events split between two data dirs. The
 * lock is a FileLock named after the subscription in the machine's temp dir, not in the data dir: two serves
 * with different data dirs are caught too. A lock whose process is gone (SIGKILL) is taken over.
 * Across machines no file can tell: see the README ("one consumer per subscription").
 * The holder's `url` is its /healthz: doctor reads the socket's state there instead of taking the socket from it.
 */
export class SubscriptionTakenError extends UserError {
  constructor(
    readonly subscriptionId: string,
    readonly holder: LockHolder,
  ) {
    super(`another zoomctl serve (pid ${holder.pid}, data dir ${holder.dataDir ?? '?'}, since ${holder.since}) already consumes WebSocket subscription ${subscriptionId} on this machine`, {
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

/** The serve that consumes the subscription on this machine now, if one does (not this process). */
export async function subscriptionHolder(subscriptionId: string): Promise<LockHolder | undefined> {
  const holder = await lockHolder(lockPath(subscriptionId))
  return holder && holder.pid !== process.pid ? holder : undefined
}

/** Takes the subscription's lock or throws SubscriptionTakenError; the returned function gives it back. */
export async function lockSubscription(subscriptionId: string, dataDir: string, healthUrl?: string): Promise<() => Promise<void>> {
  try {
    const lock = await FileLock.acquire(lockPath(subscriptionId), {
      holder: 'zoomctl serve',
      guards: `WebSocket subscription ${subscriptionId}`,
      instead: 'give this one another subscription (--zoom-subscription-id)',
      details: {dataDir: resolve(dataDir), ...(healthUrl ? {url: healthUrl} : {})},
    })
    return () => lock.release()
  } catch (error) {
    if (error instanceof LockedError && error.holder) throw new SubscriptionTakenError(subscriptionId, error.holder)
    throw error
  }
}
