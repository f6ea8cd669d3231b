import type {Client} from '@elastic/elasticsearch'


/**
 * Exactly once across a data stream's rollovers and across serve replicas, with nothing written beside the
 * documents. A `create` under the dedupe key as `_id` is refused (409) only by the backing index it lands
 * in; a Zoom retry, a replica's copy or a resend that lands in a newer backing index than its first copy
 * goes in again (elasticsearch#44794). So after each write, the backing index it landed in (the `_index`
 * of the answer, for a 201 and a 409 alike) is checked against when the event happened:
 *
 * - an event that happened after its backing index was created (event_ts ≥ creation + the clock margin)
 *   cannot have a copy in an older one: every copy was sent after the event, when that index already took
 *   the writes. Nothing more is done: that is almost every event;
 * - otherwise (a retry after a rollover, a replay, an event close to one, an event without a plausible
 *   event_ts) the older backing indices that took writes since the event are asked, in real time (_mget),
 *   for the same `_id`. If any has it, the copies in the newer ones are deleted: the oldest copy stays.
 *
 * Why none is lost: the oldest copy of an event is never deleted (a copy is deleted only when an older one
 * was found), and one copy is always written. Why none stays twice: every copy that is not the oldest is
 * checked by the serve that wrote it, before its batch counts as done (a serve that dies first leaves it to
 * the resend from its store, or to Zoom's retry of what it never acknowledged, which checks the same way and
 * deletes every newer copy it finds). Two assumptions carry it: the clocks of Zoom, serve and the cluster
 * agree within the margin (60 s), and a write routed to a backing index before the next one was created is
 * visible there within `settleMs` (30 s, checked only after that: a check of an index created less
 * than that ago waits).
 */
export interface RolloverDedupeSettings {
  dataStream: string
  /** How long after a rollover a write still routed to the old write index may take to be visible there. */
  settleMs: number
  /** How far apart the clocks of Zoom (event_ts), serve and the cluster (creation dates) may be. */
  clockMarginMs?: number
  now?: () => number
}

export const DEFAULT_SETTLE_MS = 30_000
/**
 * What serve reads of a _bulk answer: each item's status, index and error. The rest (_version, _shards,
 * _seq_no …, some 200 bytes an item) is neither written out by Elasticsearch nor parsed here.
 */
export const BULK_ANSWER = 'items.*.status,items.*._index,items.*.error.type,items.*.error.reason'
export const DEFAULT_CLOCK_MARGIN_MS = 60_000

/** A backing index of the data stream and its creation time (the cluster's clock). */
export interface BackingIndex {
  name: string
  createdMs: number
}

/** A document the write answered for: created in `index` (201), or already there (409). */
export interface Landed {
  key: string
  /** The event's own time (event_ts), when its body has a plausible one. */
  eventMs?: number
  index: string
}

export type CopyVerdict = {kind: 'done'} | {kind: 'retry'; error: string; retryAfterMs?: number; waiting?: boolean} | {kind: 'paused'; error: string}

/**
 * Pure: the backing indices older than `backing[at]` that may hold a copy of an event. The index at i took
 * the writes from its creation until the creation of the one after it; a copy was sent at the event or
 * later, so only the indices that still took writes then (within the margin) can hold one. An event without
 * a time, or with one in the future, may be anywhere.
 */
export function olderCandidates(backing: readonly BackingIndex[], at: number, eventMs: number | undefined, now: number, marginMs: number): BackingIndex[] {
  if (eventMs === undefined || eventMs > now + marginMs) return backing.slice(0, at)
  const since = eventMs - marginMs
  // The one before `first` took writes until backing[first] was created: a candidate if that was since the event.
  let first = at
  while (first > 0 && backing[first]!.createdMs >= since) first--
  return backing.slice(first, at)
}

export class RolloverDedupe {
  /** The data stream's backing indices, oldest first: read again when a write lands in one not listed. */
  private backing: BackingIndex[] = []
  private readonly now: () => number
  private readonly marginMs: number
  /** Copies found in a newer backing index than their first and deleted, since start. */
  removed = 0

  constructor(
    private readonly client: Client,
    private readonly settings: RolloverDedupeSettings,
  ) {
    this.now = settings.now ?? Date.now
    this.marginMs = settings.clockMarginMs ?? DEFAULT_CLOCK_MARGIN_MS
  }

  /** For each written (or already there) document: done, or to be tried again (its check had to wait or failed). */
  async settle(landed: Landed[]): Promise<CopyVerdict[]> {
    const verdicts: CopyVerdict[] = landed.map(() => ({kind: 'done'}))
    if (!landed.length) return verdicts
    if (landed.some((item) => item.index === this.settings.dataStream || !this.backing.some((index) => index.name === item.index))) {
      const read = await this.readBacking()
      if (read) return landed.map(() => read)
    }
    const now = this.now()
    const toLook: Array<{n: number; candidates: BackingIndex[]; landing: BackingIndex}> = []
    landed.forEach((item, n) => {
      // An answer that names the data stream rather than a backing index (not seen, but possible) means its write index.
      const at = item.index === this.settings.dataStream ? this.backing.length - 1 : this.backing.findIndex((index) => index.name === item.index)
      if (at < 0) {
        verdicts[n] = {kind: 'retry', error: `${item.index} is not among ${this.settings.dataStream}'s backing indices yet`, retryAfterMs: 1000}
        return
      }
      const candidates = olderCandidates(this.backing, at, item.eventMs, now, this.marginMs)
      if (!candidates.length) return
      const landing = this.backing[at]!
      const wait = landing.createdMs + this.settings.settleMs - now
      if (wait > 0) {
        verdicts[n] = {kind: 'retry', error: `${landing.name} was created ${Math.round((now - landing.createdMs) / 1000)} s ago: copies of this event sent before that may still be on their way to an older backing index`, retryAfterMs: wait, waiting: true}
        return
      }
      toLook.push({n, candidates, landing})
    })
    if (!toLook.length) return verdicts
    const docs = toLook.flatMap(({n, candidates}) => candidates.map((index) => ({_index: index.name, _id: landed[n]!.key})))
    let found: Set<string>
    try {
      found = await this.lookUp(docs)
    } catch (error) {
      const verdict = failure(error, 'look for an earlier copy', `read on ${this.settings.dataStream}`)
      for (const {n} of toLook) verdicts[n] = verdict
      return verdicts
    }
    // Every copy newer than the oldest one found goes; the landing index holds one (written or refused as a copy).
    const deletions: Array<{n: number; index: string}> = []
    for (const {n, candidates, landing} of toLook) {
      const key = landed[n]!.key
      const holding = candidates.filter((index) => found.has(`${index.name}\u0000${key}`))
      if (!holding.length) continue
      for (const index of [...holding.slice(1), landing]) deletions.push({n, index: index.name})
    }
    if (!deletions.length) return verdicts
    const operations = deletions.map(({n, index}) => JSON.stringify({delete: {_index: index, _id: landed[n]!.key}}))
    try {
      const answer = await this.client.bulk({operations, filter_path: BULK_ANSWER}, {maxRetries: 0})
      answer.items.forEach((entry, m) => {
        const {n} = deletions[m]!
        const result = entry.delete ?? Object.values(entry)[0]
        const status = result?.status ?? 0
        if (status === 200) this.removed++
        else if (status !== 404) verdicts[n] = itemFailure(status, `${result?.error?.type ?? ''}: ${result?.error?.reason ?? 'no reason given'}`, 'delete a later copy', `delete on ${this.settings.dataStream}`)
      })
    } catch (error) {
      const verdict = failure(error, 'delete a later copy', `delete on ${this.settings.dataStream}`)
      for (const {n} of deletions) verdicts[n] = verdict
    }
    return verdicts
  }

  /** The backing indices and their creation dates; a verdict for every item when they cannot be read. */
  private async readBacking(): Promise<CopyVerdict | undefined> {
    try {
      const answer = await this.client.indices.getSettings({index: this.settings.dataStream, name: 'index.creation_date', expand_wildcards: 'all', filter_path: '*.settings.index.creation_date'})
      this.backing = Object.entries(answer)
        .map(([name, value]) => ({name, createdMs: Number(value.settings?.index?.creation_date)}))
        .filter((index) => Number.isFinite(index.createdMs))
        .sort((a, b) => a.createdMs - b.createdMs || a.name.localeCompare(b.name))
      return undefined
    } catch (error) {
      return failure(error, `read ${this.settings.dataStream}'s backing indices`, `view_index_metadata on ${this.settings.dataStream}`)
    }
  }

  /** "index\0id" of each of these documents that exists; an index gone (deleted by its lifecycle) holds none. */
  private async lookUp(docs: Array<{_index: string; _id: string}>): Promise<Set<string>> {
    const answer = await this.client.mget({docs, _source: false, filter_path: 'docs._index,docs._id,docs.found,docs.error.type,docs.error.reason'}, {maxRetries: 0})
    const found = new Set<string>()
    for (const doc of answer.docs) {
      if ('found' in doc && doc.found) found.add(`${doc._index}\u0000${doc._id}`)
      else if ('error' in doc && doc.error && doc.error.type !== 'index_not_found_exception') {
        throw Object.assign(new Error(`${doc.error.type}: ${doc.error.reason ?? ''}`), {itemType: doc.error.type})
      }
    }
    return found
  }
}

/** What a refused or failed call means: credentials without a privilege pause forwarding (with what to grant); anything else is tried again. */
function failure(error: unknown, what: string, privilege: string): CopyVerdict {
  const status = (error as {statusCode?: number}).statusCode ?? ((error as {itemType?: string}).itemType === 'security_exception' ? 403 : 0)
  return itemFailure(status, (error as Error).message, what, privilege)
}

function itemFailure(status: number, reason: string, what: string, privilege: string): CopyVerdict {
  const error = `could not ${what} after a rollover (${status || 'no answer'}: ${reason})`
  if (status === 401 || status === 403) return {kind: 'paused', error: `${error}: grant ${privilege}, or run serve with --no-dedupe-index`}
  return {kind: 'retry', error}
}
