import type {DuplicateStats} from '../elastic/queries.js'
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
  return fail(id, title, `${data.duplicatedEvents} event(s) indexed more than once: ${data.extraDocuments} extra document(s)${notChecked}`, 'a retry or a copy came after a rollover of the data stream: run serve with the dedupe index (the default; not --no-dedupe-index), and delete the extra documents by _id from the newer backing index', {
    data,
    details: stats.duplicated.slice(0, 20).map((entry) => `${entry.key}: ${entry.documents} documents`),
  })
}
