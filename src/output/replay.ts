import type {ReplayReport} from '../replay/replay.js'
import {formatBurst} from './format.js'
import {style} from './style.js'

export function formatReplay(report: ReplayReport, target: string, hint?: string): string {
  const lines: string[] = []
  const skipped = report.unreadable ? `${report.unreadable} line(s) skipped, not a delivery (not JSON, or cut short): ${report.unreadableAt.join(', ')}${report.unreadable > report.unreadableAt.length ? ' …' : ''}` : undefined
  if (report.planned === 0 && report.alreadyAcknowledged === 0) {
    return [style.yellow('nothing to replay: no delivery matches the sources and filters'), ...(skipped ? [style.yellow(skipped)] : [])].join('\n')
  }
  if (report.sent) lines.push(formatBurst(report))
  if (skipped) lines.push(style.yellow(skipped))
  if (report.reserialised) lines.push(style.yellow('bodies were changed by --set and re-serialised: not byte for byte as captured'))
  if (report.reconstructed) lines.push(style.yellow(`${report.reconstructed} bodies were rebuilt from Elasticsearch's zoom.* fields, not as Zoom sent them: enable preserve_original_event in the Zoom integration to replay exact bodies`))
  if (report.copies) lines.push(style.dim(`${report.copies} of them ${report.copies === 1 ? 'was a copy' : 'were copies'} of events the endpoint (zoomctl serve) had stored already: kept and marked there, not indexed again`))
  if (report.alreadyAcknowledged) lines.push(style.dim(`${report.alreadyAcknowledged} acknowledged in an earlier run (checkpoint): not sent again`))
  for (const failure of report.failures) {
    lines.push(style.red(`failed: ${failure.event ?? 'delivery'} ${failure.id}: ${failure.status ?? ''} ${failure.error ?? ''}`.replace(/\s+/g, ' ')))
  }
  if (report.replayedKeptBack) lines.push(style.dim(`${report.replayedKeptBack} kept back by serve (refused or dead letters) ${report.replayedKeptBack === 1 ? 'was' : 'were'} acknowledged: recorded in the data dir's replayed.ndjson, validate --local counts them delivered`))
  // Of what the selection holds when it was counted up front, else of what was taken before the interruption.
  const total = report.selected === undefined ? report.planned : report.selected - report.alreadyAcknowledged
  if (report.interrupted) lines.push(style.yellow(`interrupted: ${report.sent} of ${total} sent${!report.sent ? '' : report.resumable ? '; the same command goes on where it stopped (--checkpoint)' : '; with --checkpoint FILE a replay can go on where it stopped'}`))
  else if (report.failed) lines.push(style.red(`${report.failed} of ${report.sent} deliveries failed at ${target}`))
  else lines.push(style.green(`${report.sent} ${report.sent === 1 ? 'delivery' : 'deliveries'} replayed to ${target}, re-signed`))
  if (hint) lines.push(style.yellow(`hint: ${hint}`))
  return lines.join('\n')
}
