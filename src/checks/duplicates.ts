import type {DuplicateCopy, DuplicateStats} from '../elastic/queries.js'
import {type Check, fail, pass, skip, warn} from './model.js'

/** validate --duplicates: every Zoom event indexed once, counted by the dedupe key serve puts in each document. */
export function judgeDuplicates(stats: DuplicateStats): Check {
  const id = 'elastic.duplicates'
  const title = `Each Zoom event indexed once in ${stats.source}`
  if (stats.total === 0) return skip(id, title, 'no documents in the window')
  const unkeyed = stats.total - stats.keyed
  const notChecked = unkeyed ? `; ${unkeyed} document(s) without labels.zoomctl_dedupe_key (indexed by the Elastic Agent, not by serve --es-url) not checked` : ''
  const data = {total: stats.total, keyed: stats.keyed, duplicatedEvents: stats.duplicated.length, extraDocuments: stats.duplicated.reduce((sum, entry) => sum + entry.documents - 1, 0)}
  if (stats.keyed === 0) return warn(id, title, `0 of ${stats.total} documents carry a dedupe key`, 'only documents indexed by serve --es-url carry labels.zoomctl_dedupe_key: nothing to count copies by', {data})
  if (!stats.duplicated.length) return pass(id, title, `0 duplicates among ${stats.keyed} document(s)${notChecked}`, {data})
  const shown = stats.duplicated.slice(0, 20)
  const hint = 'a retry or a copy came after a rollover of the data stream: run serve with the dedupe index (the default; not --no-dedupe-index), and delete each extra document listed (DELETE <index>/_doc/<_id>), keeping the oldest'
  return fail(id, title, `${data.duplicatedEvents} event(s) indexed more than once: ${data.extraDocuments} extra document(s)${notChecked}`, hint, {
    data: {...data, duplicated: shown},
    details: shown.map(describeCopies),
  })
}

/** One duplicated event: the copy to keep (the oldest), then the extra ones, each as its _id in its backing index. */
function describeCopies(entry: DuplicateStats['duplicated'][number]): string {
  const [kept, ...extra] = entry.copies
  if (!kept) return `${entry.key}: ${entry.documents} documents`
  const unnamed = entry.documents - entry.copies.length
  const where = (copy: DuplicateCopy) => `${copy.id} in ${copy.index}`
  return `${entry.key}: ${entry.documents} documents; keep ${where(kept)}; extra: ${extra.map(where).join(', ')}${unnamed > 0 ? ` and ${unnamed} more` : ''}`
}
