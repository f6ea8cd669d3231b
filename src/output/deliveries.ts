import {shortId} from '../deliveries/ids.js'
import type {DeliveryDetail, DeliveryEntry, GapEntry, ListedEntry} from '../deliveries/list.js'
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

export function entryRow(entry: ListedEntry): string[] {
  if (entry.verdict === 'gap') return gapRow(entry)
  // The original by the start of its id, as serve and simulate name it (deliveries show takes it).
  const why = entry.verdict === 'duplicate' ? `copy of ${shortId(entry.duplicateOf ?? '')}` : [entry.status, entry.reason, ...(entry.verdict === 'rejected' || entry.verdict === 'probe' ? [`from ${entry.from}`] : [])].filter(Boolean).join(' ')
  return [style.dim(entry.receivedAt.replace('T', ' ').slice(0, 23)), printable(entry.eventType ?? '-'), VERDICT_STYLE[entry.verdict](entry.verdict), printable(why), style.dim(entry.id)]
}

/** A WebSocket gap among the deliveries: where events are missing, and that Zoom will not send them. */
function gapRow(gap: GapEntry): string[] {
  const why = gap.end
    ? `${gap.seconds} s without the WebSocket (${gap.reason}), until ${gap.end.replace('T', ' ').slice(0, 23)}: Zoom did not deliver the events of it`
    : `no WebSocket since (${gap.reason}): Zoom does not deliver the events of it`
  return [style.dim(gap.receivedAt.replace('T', ' ').slice(0, 23)), style.dim('(websocket)'), style.red('gap'), printable(why), style.dim(gap.id)]
}

/** `total`: how many match in all (undefined: more than shown, not counted); the table says when it shows fewer. */
export function formatEntries(entries: ListedEntry[], total: number | undefined = entries.length): string {
  if (!entries.length) return style.dim('no deliveries match')
  const table = renderTable(['received (UTC)', 'event', 'verdict', 'why', 'id'], entries.map(entryRow))
  if (total === entries.length) return table
  const of = total === undefined ? `the latest ${entries.length}; more may match` : `the latest ${entries.length} of ${total.toLocaleString('en-US')}`
  return `${table}\n${style.dim(`${of}: --limit shows more, --since/--event narrow it`)}`
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
  if (detail.problem) lines.push(style.red(printable(detail.problem)))
  for (const sink of detail.sinks ?? []) lines.push(`forwarded to ${sink.sink}: ${sink.state}${sink.error ? ` (${printable(sink.error)})` : ''}`)
  lines.push('', style.bold('headers'), renderTable(['name', 'value'], Object.entries(detail.headers).map(([name, value]) => [name, printable(value)])))
  lines.push('', style.bold('body'), typeof detail.body === 'object' ? JSON.stringify(detail.body, null, 2) : printable(String(detail.body ?? '(not JSON)')))
  if (detail.document) lines.push('', style.bold("what Elastic's Zoom integration indexes"), JSON.stringify(detail.document, null, 2))
  return lines.join('\n')
}
