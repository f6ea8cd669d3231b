import type {BurstReport} from '../sender/burst.js'
import {statusColor, style} from './style.js'
import {renderTable} from './table.js'

/**
 * Text that came from outside (a request's event name, an endpoint's answer, a document's field) with
 * control characters escaped: none of it may forge lines or colours on the console.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

export function formatMs(ms: number): string {
  // Three significant digits whatever the size: 8.98 ms, 28.4 ms, 284 ms, 2.84 s.
  if (ms < 10) return `${ms.toFixed(2)} ms`
  if (ms < 100) return `${ms.toFixed(1)} ms`
  if (ms < 1000) return `${Math.round(ms)} ms`
  return `${(ms / 1000).toFixed(2)} s`
}

export function formatBurst(report: BurstReport): string {
  const statuses = Object.entries(report.statusCounts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, count]) => statusColor(Number(status))(`${status}×${count}`))
  const lines = [
    renderTable(
      ['sent', 'ok', 'failed', 'throughput', 'p50', 'p95', 'p99', 'max', 'over 3 s'],
      [
        [
          String(report.sent),
          style.green(String(report.succeeded)),
          report.failed ? style.red(String(report.failed)) : '0',
          `${report.throughputPerSecond.toFixed(1)}/s`,
          formatMs(report.latencyMs.p50),
          formatMs(report.latencyMs.p95),
          formatMs(report.latencyMs.p99),
          formatMs(report.latencyMs.max),
          report.overBudget ? style.red(String(report.overBudget)) : '0',
        ],
      ],
    ),
    `statuses: ${statuses.length ? statuses.join('  ') : 'none'}`,
  ]
  for (const [error, count] of Object.entries(report.errors)) lines.push(style.red(`error ×${count}: ${error}`))
  return lines.join('\n')
}
