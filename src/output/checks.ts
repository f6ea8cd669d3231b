import type {Check, CheckStatus, CheckSummary} from '../checks/model.js'
import {printable} from './format.js'
import {style} from './style.js'
import {renderTable} from './table.js'

/** One look for every verdict, wherever a check is shown (validate, doctor). */
export const STATUS_ICON: Record<CheckStatus, string> = {pass: '✔', warn: '⚠', fail: '✖', skip: '–'}
const STATUS_COLOR: Record<CheckStatus, (text: string) => string> = {
  pass: (text) => style.green(text),
  warn: (text) => style.yellow(text),
  fail: (text) => style.red(text),
  skip: (text) => style.dim(text),
}

export function statusMark(status: CheckStatus): string {
  return STATUS_COLOR[status](STATUS_ICON[status])
}

/**
 * The checks as an aligned table (icon, title, measured value), each warn/fail followed by its hint, and
 * with `verbose` the details; then one summary line. Plain text when colours are off.
 */
export function renderChecks(checks: readonly Check[], summary: CheckSummary, options: {verbose?: boolean} = {}): string {
  const lines: string[] = []
  // Titles, values, hints and details quote what endpoints answered and documents hold: escaped here, once.
  const rows = checks.map((check) => [statusMark(check.status), printable(check.title), printable(check.value ?? '')])
  const table = renderTable(['', 'check', 'result'], rows).split('\n')
  lines.push(style.dim(table[0]!))
  checks.forEach((check, index) => {
    lines.push(table[index + 1]!)
    const showDetails = options.verbose || check.status === 'fail' || check.status === 'warn'
    if (check.hint && (check.status === 'fail' || check.status === 'warn')) lines.push(`   ${style.dim('→')} ${printable(check.hint)}`)
    if (showDetails) for (const detail of (check.details ?? []).slice(0, options.verbose ? undefined : 12)) lines.push(style.dim(`     ${printable(detail)}`))
  })
  lines.push('', summaryLine(summary))
  return lines.join('\n')
}

export function summaryLine(summary: CheckSummary): string {
  const parts = [`${summary.pass} passed`]
  if (summary.warn) parts.push(style.yellow(`${summary.warn} warning${summary.warn === 1 ? '' : 's'}`))
  if (summary.fail) parts.push(style.red(`${summary.fail} failed`))
  if (summary.skip) parts.push(style.dim(`${summary.skip} skipped`))
  return `${summary.total} checks: ${parts.join(', ')}`
}
