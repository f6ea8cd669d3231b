import {REPORT_APIS, type ReportStream} from '../../zoom/reports.js'
import {isObject} from '../document.js'

/** One report record to map, with the JSON text the pipeline test form uses as its message. */
export interface ReportRecordInput {
  record: unknown
  /** The record's text as given (a line), or its JSON when it came out of an array or a whole response. */
  text: string
}

/**
 * The records in one input: a record (an item of the API's array), an array of them, or a whole API
 * response ({"activity_logs": [...], "next_page_token": …}), so a page saved from Zoom maps as it is.
 */
export function reportRecordsIn(stream: ReportStream, raw: string, parsed: unknown): ReportRecordInput[] {
  const arrayKey = REPORT_APIS[stream].arrayKey
  const items = Array.isArray(parsed) ? parsed : isObject(parsed) && Array.isArray(parsed[arrayKey]) ? (parsed[arrayKey] as unknown[]) : undefined
  if (items === undefined) return [{record: parsed, text: raw.trim()}]
  return items.map((record) => ({record, text: JSON.stringify(record)}))
}
