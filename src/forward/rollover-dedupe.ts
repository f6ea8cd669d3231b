import {errors, type Client} from '@elastic/elasticsearch'

/**
 * Exactly once across a data stream's rollovers and across serve replicas, with nothing written beside the
 * documents. A `create` under the dedupe key as `_id` is refused (409) only by the backing index it lands
 * in; a Zoom retry, a replica's copy or a resend that lands in a newer backing index than its first copy
 * goes in again (elasticsearch#44794). So after each write, the backing index it landed in (the `_index`
 * of the answer, for a 201 and a 409 alike) is checked against when the event happened:
 *
 * - an event that happened well after its backing index was created (event_ts ≥ creation + the clock
 *   margin + the settle time) cannot have a copy in an older one: every copy was sent after the event, when
 *   the older ones no longer took writes. Nothing more is done: that is almost every event;
 * - otherwise (a retry after a rollover, a replay, an event close to one, an event without a plausible
 *   event_ts) the older backing indices that took writes since the event are asked, in real time (_mget),
 *   for the same `_id`. If any has it, the copies in the newer ones are deleted: the oldest copy stays.
 *
 * Why none is lost: the oldest copy of an event is never deleted (a copy is deleted only when an older one
 * was found), and one copy is always written. Why none stays twice: every copy that is not the oldest is
 * checked by the serve that wrote it, before its batch counts as done (a serve that dies first leaves it to
 * the resend from its store, or to Zoom's retry of what it never acknowledged, which checks the same way and
 * deletes every newer copy it finds). The order of the backing indices is the data stream's own (its
 * generations), the same for every replica. Assumed:
 *
 * - the clocks of Zoom (event_ts), serve and the cluster (creation dates) agree within `clockMarginMs`;
 * - a write routed to a backing index is visible there (a real-time GET) within `settleMs` of the next one's
 *   creation: the routing's own lag after a rollover (the cluster state reaching every node) and the
 *   write's execution (serve's _bulk waits at most half of it for a shard) included;
 * - a _bulk whose answer serve never got has run within `settleMs` of being sent, or not at all: a timed-out
 *   one is sent again only after that (elastic-sink.ts), so that the resend's check sees where it landed.
 *
 * So a check waits until its landing index is `settleMs` old by the cluster's clock (the margin added for
 * serve's), and an older index is a candidate while it took writes up to the margin and the settle time
 * before the event. Out of reach of the argument, and said once when met: a document that lands outside the
 * data stream's backing indices (a reroute processor, the failure store), a closed older index, a copy in a
 * read-only one; and the oldest copy deleted by its lifecycle between the look-up and the delete.
 */
export interface RolloverDedupeSettings {
  dataStream: string
  /** How long after a rollover a write still routed to the old write index may take to be visible there. */
  settleMs: number
  /** How far apart the clocks of Zoom (event_ts), serve and the cluster (creation dates) may be. */
  clockMarginMs?: number
  now?: () => number
  /** Something met that the check cannot cover: said once per kind. */
  onWarning?: (message: string) => void
}

export const DEFAULT_SETTLE_MS = 30_000
export const DEFAULT_CLOCK_MARGIN_MS = 60_000
/**
 * What serve reads of a _bulk answer: each item's status, index and error. The rest (_version, _shards,
 * _seq_no …, some 200 bytes an item) is neither written out by Elasticsearch nor parsed here.
 */
export const BULK_ANSWER = 'items.*.status,items.*._index,items.*.error.type,items.*.error.reason'

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
 * Pure: the backing indices older than `backing[at]` (in the data stream's order) that may hold a copy of
 * an event. The index at i took the writes from its creation until the next one's, plus the settle time; a
 * copy was sent at the event or later (within the clock margin), so only the indices that still took writes
 * then can hold one. An event without a time, or with one in the future, may be anywhere.
 */
export function olderCandidates(backing: readonly BackingIndex[], at: number, eventMs: number | undefined, now: number, slack: {marginMs: number; settleMs: number}): BackingIndex[] {
  if (eventMs === undefined || eventMs > now + slack.marginMs) return backing.slice(0, at)
  const since = eventMs - slack.marginMs - slack.settleMs
  // The one before `first` took writes until backing[first] was created (and a settle time after): a candidate if that was since the event.
  let first = at
  while (first > 0 && backing[first]!.createdMs >= since) first--
  return backing.slice(first, at)
}

export class RolloverDedupe {
  /** The data stream's backing indices in its own order (oldest generation first): read when a write lands in one not listed, and before each look-up. */
  private backing: BackingIndex[] = []
  private readonly now: () => number
  private readonly marginMs: number
  private readonly warned = new Set<string>()
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
    const unknown = landed.some((item) => this.position(item.index) < 0)
    if (unknown) {
      const failed = await this.readBacking()
      if (failed) return landed.map(() => failed)
    }
    let verdicts: CopyVerdict[] = landed.map(() => ({kind: 'done'}))
    let toLook = this.toLookUp(landed, verdicts)
    if (!toLook.length) return verdicts
    // Read again before looking (unless just read): an index shrunk, restored or closed by its lifecycle since is looked for as it is now.
    if (!unknown) {
      const failed = await this.readBacking()
      if (failed) {
        for (const {n} of toLook) verdicts[n] = failed
        return verdicts
      }
      verdicts = landed.map(() => ({kind: 'done'}))
      toLook = this.toLookUp(landed, verdicts)
      if (!toLook.length) return verdicts
    }
    const docs = toLook.flatMap(({item, candidates}) => candidates.map((index) => ({_index: index.name, _id: item.key})))
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
    for (const {n, item, candidates, landing} of toLook) {
      const holding = candidates.filter((index) => found.has(`${index.name}\u0000${item.key}`))
      if (!holding.length) continue
      for (const index of [...holding.slice(1), landing]) deletions.push({n, index: index.name})
    }
    if (deletions.length) await this.deleteCopies(deletions, landed, verdicts)
    return verdicts
  }

  private position(index: string): number {
    // An answer that names the data stream rather than a backing index (not seen, but possible) means its write index.
    return index === this.settings.dataStream ? this.backing.length - 1 : this.backing.findIndex((backing) => backing.name === index)
  }

  /** The items whose event may have a copy in an older backing index, with those indices; the others' verdicts are set here. */
  private toLookUp(landed: Landed[], verdicts: CopyVerdict[]): Array<{n: number; item: Landed; candidates: BackingIndex[]; landing: BackingIndex}> {
    const now = this.now()
    const toLook: Array<{n: number; item: Landed; candidates: BackingIndex[]; landing: BackingIndex}> = []
    landed.forEach((item, n) => {
      const at = this.position(item.index)
      if (at < 0) {
        // A reroute processor, the failure store: not a backing index of this data stream, whose order decides.
        this.warnOnce('outside', `documents land in ${item.index}, which is not a backing index of ${this.settings.dataStream} (a reroute processor, the failure store): a copy there is not looked for after a rollover`)
        return
      }
      const candidates = olderCandidates(this.backing, at, item.eventMs, now, {marginMs: this.marginMs, settleMs: this.settings.settleMs})
      if (!candidates.length) return
      const landing = this.backing[at]!
      // Its creation is the cluster's time; serve's clock may be behind by the margin.
      const wait = landing.createdMs + this.settings.settleMs + this.marginMs - now
      if (wait > 0) {
        verdicts[n] = {kind: 'retry', error: `${landing.name} was created ${Math.round((now - landing.createdMs) / 1000)} s ago: copies of this event sent before that may still be on their way to an older backing index`, retryAfterMs: wait, waiting: true}
        return
      }
      toLook.push({n, item, candidates, landing})
    })
    return toLook
  }

  /** The data stream's backing indices, in its order, with their creation dates; a verdict for every item when they cannot be read. */
  private async readBacking(): Promise<CopyVerdict | undefined> {
    try {
      const [streams, settings] = await Promise.all([
        this.client.indices.getDataStream({name: this.settings.dataStream, filter_path: 'data_streams.indices.index_name'}),
        this.client.indices.getSettings({index: this.settings.dataStream, name: 'index.creation_date', filter_path: '*.settings.index.creation_date'}),
      ])
      const names = streams.data_streams?.[0]?.indices.map((index) => index.index_name) ?? []
      this.backing = names.map((name) => ({name, createdMs: Number(settings[name]?.settings?.index?.creation_date)})).filter((index) => Number.isFinite(index.createdMs))
      return undefined
    } catch (error) {
      // Written into, yet no data stream: a plain index (no template made it a data stream). It never rolls over,
      // and its _id dedupes alone. Its name is the one the answers give.
      if (error instanceof errors.ResponseError && error.statusCode === 404) {
        this.backing = [{name: this.settings.dataStream, createdMs: 0}]
        this.warnOnce('plain', `${this.settings.dataStream} is a plain index, not a data stream: it never rolls over, and the _id alone keeps copies out`)
        return undefined
      }
      return failure(error, `read ${this.settings.dataStream}'s backing indices`, `view_index_metadata on ${this.settings.dataStream}`)
    }
  }

  /** "index\0id" of each of these documents that exists; an index gone (deleted by its lifecycle) or closed shows none. */
  private async lookUp(docs: Array<{_index: string; _id: string}>): Promise<Set<string>> {
    const answer = await this.client.mget({docs, _source: false, filter_path: 'docs._index,docs._id,docs.found,docs.error.type,docs.error.reason'}, {maxRetries: 0})
    const found = new Set<string>()
    for (const doc of answer.docs) {
      if ('found' in doc && doc.found) found.add(`${doc._index}\u0000${doc._id}`)
      else if ('error' in doc && doc.error) {
        if (doc.error.type === 'index_not_found_exception') continue
        if (doc.error.type === 'index_closed_exception') {
          this.warnOnce(`closed ${doc._index}`, `${doc._index} is closed: a copy in it cannot be looked for`)
          continue
        }
        throw Object.assign(new Error(`${doc.error.type}: ${doc.error.reason ?? ''}`), {itemType: doc.error.type})
      }
    }
    return found
  }

  private async deleteCopies(deletions: Array<{n: number; index: string}>, landed: Landed[], verdicts: CopyVerdict[]): Promise<void> {
    const operations = deletions.map(({n, index}) => JSON.stringify({delete: {_index: index, _id: landed[n]!.key}}))
    try {
      const answer = await this.client.bulk({operations, filter_path: BULK_ANSWER}, {maxRetries: 0})
      answer.items.forEach((entry, m) => {
        const {n, index} = deletions[m]!
        const result = entry.delete ?? Object.values(entry)[0]
        const status = result?.status ?? 0
        if (status === 200) this.removed++
        else if (result?.error?.type === 'cluster_block_exception') {
          // Only an older index can be read-only (the landing one took this write): its copy stays.
          this.warnOnce(`blocked ${index}`, `${index} is read-only: a later copy of an event in it cannot be deleted (${landed[n]!.key})`)
        } else if (status !== 404) {
          verdicts[n] = itemFailure(status, result?.error?.type, `${result?.error?.type ?? ''}: ${result?.error?.reason ?? 'no reason given'}`, 'delete a later copy', `delete on ${this.settings.dataStream}`)
        }
      })
    } catch (error) {
      const verdict = failure(error, 'delete a later copy', `delete on ${this.settings.dataStream}`)
      for (const {n} of deletions) verdicts[n] = verdict
    }
  }

  private warnOnce(kind: string, message: string): void {
    if (this.warned.has(kind)) return
    this.warned.add(kind)
    this.settings.onWarning?.(message)
  }
}

/** What a refused or failed call means: credentials without a privilege pause forwarding (with what to grant); anything else is tried again. */
function failure(error: unknown, what: string, privilege: string): CopyVerdict {
  const itemType = (error as {itemType?: string}).itemType
  const status = (error as {statusCode?: number}).statusCode ?? (itemType === 'security_exception' ? 403 : 0)
  return itemFailure(status, itemType ?? (error as {body?: {error?: {type?: string}}}).body?.error?.type, (error as Error).message, what, privilege)
}

function itemFailure(status: number, type: string | undefined, reason: string, what: string, privilege: string): CopyVerdict {
  const error = `could not ${what} after a rollover (${status || 'no answer'}: ${reason})`
  if (status === 401 || (status === 403 && type !== 'cluster_block_exception')) return {kind: 'paused', error: `${error}: grant ${privilege}, or run serve with --no-dedupe-index`}
  return {kind: 'retry', error}
}
