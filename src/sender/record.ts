import {appendFile} from 'node:fs/promises'

import {fileProblem} from '../config/files.js'
import {OptionError} from '../config/parse.js'
import {parseLine, RUN_RECORD_TYPE} from '../deliveries/source.js'

/**
 * One line of a run file (simulate --record, replay --record): enough for validate --run to find the
 * delivery again in Elasticsearch or a store, and to predict the document it should have become.
 */
export interface RunRecord {
  type: 'zoomctl.sent'
  event: string
  sentAt: string
  /** HTTP status the endpoint answered; undefined when no answer came. */
  status?: number
  /** The body exactly as sent. */
  body: string
}

export function runRecord(event: string, sentAt: Date, status: number | undefined, body: Buffer): RunRecord {
  return {type: RUN_RECORD_TYPE, event, sentAt: sentAt.toISOString(), ...(status === undefined ? {} : {status}), body: body.toString('utf8')}
}

export async function appendRunRecords(path: string, records: RunRecord[]): Promise<void> {
  if (!records.length) return
  try {
    await appendFile(path, records.map((record) => `${JSON.stringify(record)}\n`).join(''), {mode: 0o600})
  } catch (error) {
    throw new OptionError(`cannot write the run file ${path}: ${fileProblem(error)}`)
  }
}

/** Reads a run file; each line must be a zoomctl.sent record. */
export function parseRunFile(text: string, path: string): RunRecord[] {
  const records: RunRecord[] = []
  text.split('\n').forEach((line, index) => {
    if (!line.trim()) return
    let parsed: Partial<RunRecord>
    try {
      parsed = JSON.parse(line) as Partial<RunRecord>
    } catch {
      throw new OptionError(`${path}:${index + 1} is not JSON: write run files with simulate --record`)
    }
    if (parsed.type !== RUN_RECORD_TYPE || typeof parsed.body !== 'string' || typeof parsed.sentAt !== 'string') {
      // A store line is also accepted: it has what a run line has.
      const delivery = parseLine(line, `${path}:${index + 1}`)
      if (delivery.record && delivery.eventType) {
        records.push(runRecord(delivery.eventType, new Date(delivery.record.receivedAt), 200, delivery.rawBody))
        return
      }
      throw new OptionError(`${path}:${index + 1} is not a line of simulate --record`)
    }
    records.push(parsed as RunRecord)
  })
  return records
}
