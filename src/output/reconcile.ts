import type {ReconcileReport} from '../reconcile/reconcile.js'
import {statusMark} from './checks.js'
import {printable} from './format.js'
import {style} from './style.js'
import {renderTable} from './table.js'

const LABEL = {
  'acknowledged-missing': 'delivered, not there',
  'failed-for-good': 'failed, not retried',
  'retry-pending': 'failed, retry due',
  arrived: 'arrived',
} as const

export function formatReconcile(report: ReconcileReport): string {
  const lines = [style.dim(`Zoom's webhook logs ${report.window.since} → ${report.window.until}${report.window.clipped ? ' (clipped to the 7 days Zoom keeps)' : ''} against ${report.sources.join(' and ')}`)]
  const {counts} = report
  const missing = counts['acknowledged-missing'] + counts['failed-for-good']
  lines.push(`${statusMark(missing ? 'fail' : 'pass')} ${counts.arrived} arrived, ${counts['acknowledged-missing']} delivered but not there, ${counts['failed-for-good']} failed for good, ${counts['retry-pending']} with a Zoom retry due`)
  const rows = report.deliveries.filter((delivery) => delivery.verdict !== 'arrived')
  if (rows.length) {
    lines.push(
      '',
      renderTable(
        ['WHEN', 'EVENT', 'STATUS', 'ATTEMPTS', 'VERDICT', 'MISSING FROM'],
        rows.map((delivery) => [delivery.lastAttempt, printable(delivery.event), String(delivery.lastStatus), String(delivery.attempts), LABEL[delivery.verdict], delivery.missingFrom.join(', ')]),
      ),
    )
    const fixes = new Map<string, {what: string; fix: string; count: number}>()
    for (const delivery of rows) {
      if (!delivery.failure) continue
      const entry = fixes.get(delivery.failure.what) ?? {...delivery.failure, count: 0}
      entry.count++
      fixes.set(delivery.failure.what, entry)
    }
    if (fixes.size) lines.push('', style.bold('Why, and the fix'), ...[...fixes.values()].map((entry) => `  ${entry.count}× ${entry.what}: ${entry.fix}`))
  }
  if (report.replay) lines.push('', style.bold(`Replay (bodies in ${report.replay.file})`), ...report.replay.commands.map((command) => `  ${style.cyan(command)}`))
  if (report.unreplayable) lines.push(style.yellow(`${report.unreplayable} missing with no body in Zoom's log: nothing to replay (the Zoom objects can be read again through Zoom's API)`))
  return lines.join('\n')
}
