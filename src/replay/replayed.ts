import {appendFile, readFile} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'

import type {Delivery} from '../deliveries/source.js'

/**
 * What replay got acknowledged out of a data dir's refused/ and dead-letter/ parts, one line each in
 * <data dir>/replayed.ndjson: those records stay where they are (the store is append-only), and
 * validate --local counts them as delivered instead of asking to replay them again.
 */
export const REPLAYED_FILE = 'replayed.ndjson'

export type KeptPart = 'refused' | 'dead-letter'

export interface ReplayedEntry {
  part: KeptPart
  id: string
  at: string
  /** The endpoint's origin, never its path's secrets or credentials. */
  to: string
}

/** The data dir and part a delivery was read from, when it is a kept-back record of serve's store. */
export function keptBackOrigin(delivery: Delivery): {dataDir: string; part: KeptPart} | undefined {
  const file = delivery.origin.replace(/:\d+$/, '')
  const part = basename(dirname(file))
  // A store record has an id of its own; a bare body's is where it was read (the path only is looked at: a lazily read store line stays unparsed).
  if ((part !== 'refused' && part !== 'dead-letter') || delivery.id === delivery.origin) return undefined
  return {dataDir: dirname(dirname(file)), part}
}

export async function recordReplayed(dataDir: string, entries: ReplayedEntry[]): Promise<void> {
  if (entries.length) await appendFile(join(dataDir, REPLAYED_FILE), entries.map((entry) => `${JSON.stringify(entry)}\n`).join(''), {mode: 0o600})
}

/** The kept-back records replay delivered, as "part:id". */
export async function readReplayed(dataDir: string): Promise<Set<string>> {
  let text: string
  try {
    text = await readFile(join(dataDir, REPLAYED_FILE), 'utf8')
  } catch {
    return new Set()
  }
  const keys = new Set<string>()
  for (const line of text.split('\n')) {
    try {
      const entry = JSON.parse(line) as Partial<ReplayedEntry>
      if (entry.part && entry.id) keys.add(`${entry.part}:${entry.id}`)
    } catch {
      // A line cut short by a crash: that delivery is counted as not replayed, which is only cautious.
    }
  }
  return keys
}
