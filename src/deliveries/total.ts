import {StoreCounter} from './counts.js'
import type {EntryFilter} from './list.js'

/**
 * How many deliveries a listing's filter matches in all, for "the latest 50 of N": counted from the store's
 * bytes (no record parsed) when the filter is by verdict alone; undefined when it names event types or a
 * time window, which only a full read could count.
 */
export async function matchingTotal(dataDir: string, filter: EntryFilter): Promise<number | undefined> {
  if (filter.events?.length || filter.since || filter.until) return undefined
  const counts = await new StoreCounter(dataDir).counts()
  return Object.entries(counts).reduce((sum, [verdict, count]) => (!filter.verdicts?.length || filter.verdicts.includes(verdict as never) ? sum + count : sum), 0)
}
