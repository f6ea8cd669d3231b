import {appendFile, readFile} from 'node:fs/promises'

import {OptionError} from '../config/index.js'
import {isReportStream, type ReportStream} from '../zoom/reports.js'

/**
 * The run file of simulate-api --record: one line per report record served, so that validate --run finds
 * each one's document. The format is the record as served, under the stream it came from.
 */
export const SERVED_FORMAT = 'zoomctl.served/1'

export interface ServedRecord {
  format: typeof SERVED_FORMAT
  stream: ReportStream
  servedAt: string
  record: Record<string, unknown>
}

export async function appendServedRecords(path: string, stream: ReportStream, records: Array<Record<string, unknown>>, servedAt: Date): Promise<void> {
  if (!records.length) return
  const lines = records.map((record) => JSON.stringify({format: SERVED_FORMAT, stream, servedAt: servedAt.toISOString(), record} satisfies ServedRecord))
  await appendFile(path, `${lines.join('\n')}\n`, {mode: 0o600})
}

export async function readServedRecords(path: string): Promise<ServedRecord[]> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    throw new OptionError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`)
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, index) => {
      let parsed: Partial<ServedRecord> | undefined
      try {
        parsed = JSON.parse(line) as Partial<ServedRecord>
      } catch {
        parsed = undefined
      }
      if (parsed?.format !== SERVED_FORMAT || typeof parsed.stream !== 'string' || !isReportStream(parsed.stream) || typeof parsed.record !== 'object' || parsed.record === null) {
        throw new OptionError(`${path}:${index + 1} is not a line of simulate-api --record`, {hint: 'validate --run with --data-stream activity, operation or meeting_activity reads the file simulate-api --record wrote'})
      }
      return parsed as ServedRecord
    })
}
