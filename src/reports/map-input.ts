import {randomInt} from 'node:crypto'

import {OptionError} from '../config/index.js'
import {readDeliveries} from '../deliveries/source.js'
import {reportRecordsIn} from '../mapping/reports/input.js'
import {assertStreamInVersion, indexedReportDocument, runReportPipeline} from '../mapping/reports/index.js'
import {LATEST_KNOWN_VERSION} from '../mapping/version.js'
import {type Doc, getField} from '../mapping/document.js'
import {syntheticRecords} from './synthetic.js'
import type {ReportStream} from '../zoom/reports.js'

export interface MapReportOptions {
  version?: string
  pipelineOnly: boolean
  /** Build a synthetic record whose document has this event.action (sign-in, Update, Meeting Started …) instead of reading. */
  event?: string
  seed?: number
}

/**
 * events map for an audit stream: the records of a file or standard input (or one synthetic record), each
 * through the stream's pipeline; with pipelineOnly as the integration's pipeline tests run it (the text as
 * given is the message), else as the Elastic Agent's CEL input hands it on.
 */
export async function mapReportInput(stream: ReportStream, file: string | undefined, options: MapReportOptions): Promise<Doc[]> {
  try {
    assertStreamInVersion(stream, options.version ?? LATEST_KNOWN_VERSION)
  } catch (error) {
    throw new OptionError(`--integration-version: ${(error as Error).message}`)
  }
  const inputs = []
  if (options.event !== undefined) {
    inputs.push(syntheticRecordFor(stream, options.event, options.seed ?? randomInt(2 ** 31), options.version))
  } else {
    if (!file && process.stdin.isTTY) throw new OptionError(`give a file of ${stream} report records, or pipe them on standard input`)
    for await (const delivery of readDeliveries(!file || file === '-' ? {kind: 'stdin'} : {kind: 'file', path: file})) {
      if (delivery.unreadable) throw new OptionError(`${delivery.origin.replace(/^stdin:1$/, 'standard input')} is not JSON`)
      inputs.push(...reportRecordsIn(stream, delivery.rawBody.toString('utf8'), delivery.body))
    }
    if (!inputs.length) throw new OptionError(`${file ?? 'standard input'} holds no report record`)
  }
  return inputs.map(({record, text}) =>
    options.pipelineOnly
      ? runReportPipeline(stream, {message: text}, {integrationVersion: options.version}).document
      : indexedReportDocument(stream, record, {polledAt: new Date(), integrationVersion: options.version}).document,
  )
}

/** A synthetic record of the stream whose document's event.action is `action` (case aside). */
function syntheticRecordFor(stream: ReportStream, action: string, seed: number, version?: string): {record: unknown; text: string} {
  const records = syntheticRecords(stream, {seed, days: 7, until: new Date()})
  const actions = new Set<string>()
  for (const record of records) {
    const mapped = getField(runReportPipeline(stream, {message: JSON.stringify(record)}, {integrationVersion: version}).document, 'event.action')
    if (typeof mapped !== 'string') continue
    if (mapped.toLowerCase() === action.toLowerCase()) return {record, text: JSON.stringify(record)}
    actions.add(mapped)
  }
  throw new OptionError(`no ${stream} record has event.action "${action}"`, {hint: `choose one of: ${[...actions].sort().join(', ')}`})
}
