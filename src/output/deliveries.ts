import {shortId} from '../deliveries/ids.js'
import type {DeliveryDetail, DeliveryEntry} from '../deliveries/list.js'
import type {RejectionCounts} from '../store/rejections.js'
import {printable} from './format.js'
import {style} from './style.js'
import {renderTable} from './table.js'

const VERDICT_STYLE: Record<DeliveryEntry['verdict'], (text: string) => string> = {
  accepted: (text) => style.green(text),
  duplicate: (text) => style.dim(text),
  refused: (text) => style.yellow(text),
  'dead-letter': (text) => style.red(text),
  rejected: (text) => style.red(text),
  probe: (text) => style.cyan(text),
}

export function entryRow(entry: DeliveryEntry): string[] {
  // The original by the start of its id, as serve and simulate name it (deliveries show takes it).
  const why = entry.verdict === 'duplicate' ? `copy of ${shortId(entry.duplicateOf ?? '')}` : [entry.status, entry.reason, ...(entry.verdict === 'rejected' || entry.verdict === 'probe' ? [`from ${entry.from}`] : [])].filter(Boolean).join(' ')
  return [style.dim(entry.receivedAt.replace('T', ' ').slice(0, 23)), printable(entry.eventType ?? '-'), VERDICT_STYLE[entry.verdict](entry.verdict), printable(why), style.dim(entry.id)]
}

export function formatEntries(entries: DeliveryEntry[]): string {
  if (!entries.length) return style.dim('no deliveries match')
  return renderTable(['received (UTC)', 'event', 'verdict', 'why', 'id'], entries.map(entryRow))
}

/** Under a listing that leaves them out: how many requests serve refused as unauthenticated, and how to list them. */
export function formatRejectedSummary(counts: RejectionCounts | undefined): string | undefined {
  if (!counts?.rejected) return undefined
  const last = counts.lastRejected
  const reasons = Object.entries(counts.byReason).sort((a, b) => b[1] - a[1]).map(([reason, n]) => `${n} ${reason}`).join(', ')
  return style.yellow(`${counts.rejected} request(s) refused as unauthenticated since ${counts.since.replace('T', ' ').slice(0, 19)} (${reasons}; last at ${last?.at.replace('T', ' ').slice(0, 19) ?? '?'}), not stored: zoomctl deliveries --verdict rejected lists them`)
}

export function formatDetail(detail: DeliveryDetail): string {
  const {entry} = detail
  const lines = [
    `${style.bold(printable(entry.eventType ?? 'delivery'))}  ${VERDICT_STYLE[entry.verdict](entry.verdict)}  ${style.dim(entry.id)}`,
    `received ${entry.receivedAt}${entry.from ? ` from ${entry.from}` : ''}, ${detail.rawBodyBytes} bytes`,
  ]
  if (entry.detail) lines.push(style.yellow(printable(entry.detail)))
  if (detail.hint) lines.push(`${style.dim('→')} ${detail.hint}`)
  for (const sink of detail.sinks ?? []) lines.push(`forwarded to ${sink.sink}: ${sink.state}${sink.error ? ` (${printable(sink.error)})` : ''}`)
  lines.push('', style.bold('headers'), renderTable(['name', 'value'], Object.entries(detail.headers).map(([name, value]) => [name, printable(value)])))
  lines.push('', style.bold('body'), typeof detail.body === 'object' ? JSON.stringify(detail.body, null, 2) : printable(String(detail.body ?? '(not JSON)')))
  if (detail.document) lines.push('', style.bold("what Elastic's Zoom integration indexes"), JSON.stringify(detail.document, null, 2))
  return lines.join('\n')
}
