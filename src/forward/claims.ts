import {randomBytes} from 'node:crypto'
import {hostname} from 'node:os'

import type {Client} from '@elastic/elasticsearch'

import {dedupeIndex} from '../elastic/names.js'

/**
 * Exactly once across a data stream's rollovers and across serve replicas. A `create` with the dedupe key
 * as `_id` is refused (409) only while the first copy sits in the *current* write index; a Zoom retry or a
 * copy that comes after a rollover would be indexed again. So before a document is written, its key is
 * claimed in a plain index (one per day of the event's own time, see dedupeIndex): a `create` there is
 * refused for the event's whole life, whatever the data stream does. Only the holder of a claim writes the
 * document; whoever finds the key claimed (409) looks for the document instead:
 *
 * - found in the data stream (any backing index) → already indexed: done;
 * - not found, claim younger than the lease → its holder is writing it now: wait and look again;
 * - not found, claim older than the lease → its holder died (or gave up) between claim and write: take it over
 *   with a compare-and-set (if_seq_no/if_primary_term: one taker wins) and write it.
 *
 * Why no document is written twice: a document is written only by the holder of its claim; a claim
 * changes hands only once it is a lease old, and a holder writes only in the first third of its lease, so
 * two holders' writes never overlap — provided that Elasticsearch executes a write within a third of the
 * lease of it being sent, that a written document is searchable within another third (refresh_interval,
 * 1 s by default), and that the replicas' clocks agree within the last third (60 s lease: 20 s each).
 * Why none is lost: a claim without its document is taken over by the next delivery of the event (Zoom's
 * retry of what was not acknowledged, or the store's resend). A claim this process made but never wrote
 * under (its answer was lost) is taken back at once: no write of it can exist.
 */
export interface ClaimSettings {
  dataStream: string
  /** How old a claim without its document must be before another serve takes it over. */
  leaseMs: number
  now?: () => number
}

export const DEFAULT_CLAIM_LEASE_MS = 60_000

/**
 * What serve reads of a _bulk answer: each item's status, index and error. The rest (_version, _shards,
 * _seq_no …, some 200 bytes an item) is neither written out by Elasticsearch nor parsed here.
 */
export const BULK_ANSWER = 'items.*.status,items.*._index,items.*.error.type,items.*.error.reason'

export interface ClaimItem {
  key: string
  /** The event's own time (event_ts), which names its day's claim index. */
  eventMs: number
}

export type ClaimVerdict =
  | {kind: 'write'}
  | {kind: 'done'}
  | {kind: 'retry'; error: string; retryAfterMs?: number}
  | {kind: 'paused'; error: string}

interface Held {
  index: string
  claimedAt: number
}

interface ClaimSource {
  '@timestamp'?: string
  owner?: string
}

export class ClaimLedger {
  /** Names this process in the claims it makes: another serve, or this one restarted, is someone else. */
  readonly owner = `${hostname()}/${process.pid}/${randomBytes(4).toString('hex')}`
  private readonly held = new Map<string, Held>()
  private readonly now: () => number
  /** Keys whose document this process has sent a write for and not yet seen done: their claim is waited out, never re-taken early. */
  private readonly writing = new Set<string>()
  /** The backing index the last write went to: a copy that follows its first closely is read there in real time. */
  private writeIndex?: string

  constructor(
    private readonly client: Client,
    private readonly settings: ClaimSettings,
  ) {
    this.now = settings.now ?? Date.now
  }

  /** Claims held and not yet written (a write answered 429, say): bounded by what is in flight. */
  get heldCount(): number {
    return this.held.size
  }

  /** Where the data stream's documents go now, as the last _bulk answered. */
  noteWriteIndex(index: string): void {
    this.writeIndex = index
  }

  /** Its document is about to be sent. */
  noteWriting(key: string): void {
    this.writing.add(key)
  }

  /** The document of this key is written (or refused for good): its claim stays in Elasticsearch, not here. */
  release(key: string): void {
    this.held.delete(key)
    this.writing.delete(key)
  }

  /** For each key: this serve may write it now, it is indexed already, or not yet. */
  async decide(items: ClaimItem[]): Promise<ClaimVerdict[]> {
    const verdicts: ClaimVerdict[] = new Array(items.length)
    const toClaim: number[] = []
    items.forEach((item, i) => {
      if (this.mayWrite(item.key)) verdicts[i] = {kind: 'write'}
      else toClaim.push(i)
    })
    if (!toClaim.length) return verdicts
    const conflicted: number[] = []
    const now = this.now()
    // Lines written here, not objects for the client to serialise: every claim of a batch has the same source.
    const source = JSON.stringify({'@timestamp': new Date(now).toISOString(), owner: this.owner})
    const operations: string[] = []
    for (const i of toClaim) {
      const item = items[i]!
      operations.push(`{"create":{"_index":${JSON.stringify(dedupeIndex(this.settings.dataStream, item.eventMs))},"_id":${JSON.stringify(item.key)}}}`, source)
    }
    const answer = await this.client.bulk({operations, filter_path: BULK_ANSWER})
    answer.items.forEach((entry, n) => {
      const i = toClaim[n]!
      const result = entry.create ?? Object.values(entry)[0]
      const status = result?.status ?? 0
      if (status === 201 || status === 200) {
        this.held.set(items[i]!.key, {index: result!._index, claimedAt: now})
        verdicts[i] = {kind: 'write'}
      } else if (status === 409) {
        conflicted.push(i)
      } else {
        verdicts[i] = claimFailure(status, `${result?.error?.type ?? ''}: ${result?.error?.reason ?? 'no reason given'}`)
      }
    })
    if (conflicted.length) await this.resolve(conflicted.map((i) => items[i]!)).then((resolved) => resolved.forEach((verdict, n) => (verdicts[conflicted[n]!] = verdict)))
    return verdicts
  }

  private mayWrite(key: string): boolean {
    const held = this.held.get(key)
    if (!held) return false
    if (this.now() - held.claimedAt < this.settings.leaseMs / 3) return true
    // Too old to write under: look again, as anyone would (it is renewed if still ours and unwritten).
    this.held.delete(key)
    return false
  }

  /** Keys someone claimed: is the document there, is its holder still in time, or is the claim abandoned? */
  private async resolve(items: ClaimItem[]): Promise<ClaimVerdict[]> {
    const keys = items.map((item) => item.key)
    const writeIndex = this.writeIndex
    const docs = items.map((item) => ({_index: dedupeIndex(this.settings.dataStream, item.eventMs), _id: item.key}))
    // A GET is real time, a search is not (it sees what the last refresh made visible): a copy that comes
    // right after its first is found in the write index at once, rather than a refresh later.
    if (writeIndex) docs.push(...keys.map((key) => ({_index: writeIndex, _id: key})))
    const [claims, found] = await Promise.all([
      this.client.mget<ClaimSource>({docs, _source: ['@timestamp', 'owner']}),
      // Every backing index of the stream, old ones included: that is the point.
      this.client.search({index: this.settings.dataStream, size: keys.length, _source: false, query: {ids: {values: keys}}, ignore_unavailable: true, allow_no_indices: true}),
    ])
    const indexed = new Set(found.hits.hits.map((hit) => hit._id))
    for (const doc of claims.docs.slice(items.length)) if ('found' in doc && doc.found) indexed.add(doc._id)
    const now = this.now()
    const verdicts: ClaimVerdict[] = []
    const takeOver: Array<{n: number; index: string; seqNo: number; primaryTerm: number}> = []
    items.forEach((item, n) => {
      if (indexed.has(item.key)) {
        verdicts[n] = {kind: 'done'}
        return
      }
      const claim = claims.docs[n] as {found?: boolean; _index: string; _source?: ClaimSource; _seq_no?: number; _primary_term?: number} | undefined
      if (!claim?.found || claim._seq_no === undefined || claim._primary_term === undefined) {
        // Gone since (its day dropped): claim it afresh on the next try.
        verdicts[n] = {kind: 'retry', error: 'its claim disappeared while it was checked', retryAfterMs: 0}
        return
      }
      const age = now - Date.parse(claim._source?.['@timestamp'] ?? '')
      // A claim of this process for which it never sent a write (the answer to the claim was lost: a
      // connection cut, a time-out) has no document anywhere: taken back at once, not a lease later.
      const ownUnwritten = claim._source?.owner === this.owner && !this.writing.has(item.key)
      // Any other young claim, this serve's own included (a write it sent may not be searchable yet), is waited for.
      if (!ownUnwritten && !(age >= this.settings.leaseMs)) {
        const who = claim._source?.owner === this.owner ? 'this serve' : `another serve (${claim._source?.owner ?? '?'})`
        verdicts[n] = {kind: 'retry', error: `${who} claimed this event ${Math.round(age / 1000)} s ago and is indexing it`, retryAfterMs: 1000}
        return
      }
      takeOver.push({n, index: claim._index, seqNo: claim._seq_no, primaryTerm: claim._primary_term})
    })
    if (takeOver.length) {
      // Compare-and-set on the claim as it was read: of several takers, one wins; the others wait.
      const operations: unknown[] = []
      for (const {n, index, seqNo, primaryTerm} of takeOver) {
        operations.push({index: {_index: index, _id: items[n]!.key, if_seq_no: seqNo, if_primary_term: primaryTerm}}, {'@timestamp': new Date(now).toISOString(), owner: this.owner})
      }
      const answer = await this.client.bulk({operations})
      answer.items.forEach((entry, m) => {
        const {n, index} = takeOver[m]!
        const status = (entry.index ?? Object.values(entry)[0])?.status ?? 0
        if (status === 200 || status === 201) {
          this.held.set(items[n]!.key, {index, claimedAt: now})
          verdicts[n] = {kind: 'write'}
        } else if (status === 409) {
          verdicts[n] = {kind: 'retry', error: 'another serve took over its abandoned claim first', retryAfterMs: 1000}
        } else {
          verdicts[n] = claimFailure(status, 'could not take over its abandoned claim')
        }
      })
    }
    return verdicts
  }
}

function claimFailure(status: number, reason: string): ClaimVerdict {
  const error = `claiming it in the zoomctl-dedupe-* index failed (${status} ${reason})`
  if (status === 401 || status === 403) {
    return {kind: 'paused', error: `${error}: grant create_doc and auto_configure (or create_index) on zoomctl-dedupe-*, read on the data stream, or run serve with --no-dedupe-index`}
  }
  return {kind: 'retry', error}
}
