import type {ChallengeReport} from '../sender/challenge-check.js'
import {toCurl} from '../sender/curl.js'
import type {DryRunRequest, SimulationReport} from '../sender/run-simulation.js'
import type {SentDelivery} from '../sender/simulation.js'
import type {AuthSettings} from '../zoom/auth.js'
import {modeHeader} from '../zoom/auth.js'
import {statusMark} from './checks.js'
import {describeAnswer, explainDocument} from './explain.js'
import {formatBurst, formatMs} from './format.js'
import {statusColor, style} from './style.js'
import {renderTable} from './table.js'

/** A dry-run request as the user pastes it: a comment, the curl line, its document when explained. */
export function formatDryRunRequest(request: DryRunRequest, prepared: {headers: Record<string, string>; body: Buffer}, auth: AuthSettings): string {
  const secretHeader = modeHeader(auth)
  const lines = [style.dim(`# ${request.event}`), toCurl(request.url, prepared, secretHeader ? {name: secretHeader[0], mode: auth.mode} : undefined)]
  if (request.document) lines.push(explainDocument(request.document, '#   '))
  return lines.join('\n')
}

export function formatChallenge(report: ChallengeReport, origin: string): string {
  return report.ok ? `${statusMark('pass')} URL validation passed: ${origin} answered the challenge correctly in ${formatMs(report.latencyMs)}` : `${statusMark('fail')} URL validation failed: ${report.reason}`
}

/** The rows of a sequential run, printed as answers come: a slow endpoint is seen at once. */
export function sequenceRows(events: Array<{event: string; retry?: number}>): {header: string; row: (result: SentDelivery) => string} {
  const label = (delivery: {event: string; retry?: number}) => (delivery.retry ? `${delivery.event} (retry ${delivery.retry})` : delivery.event)
  const width = Math.max(5, ...events.map((delivery) => label(delivery).length))
  return {
    header: renderTable(['event'.padEnd(width), 'status', 'latency', 'answer'], []),
    row(result) {
      const status = result.status === undefined ? 'error' : result.late ? `${result.status} late` : String(result.status)
      const color = result.late ? style.red : statusColor(result.status)
      return [label(result).padEnd(width), color(status.padEnd(6)), formatMs(result.latencyMs).padEnd(7), result.error ?? describeAnswer(result.answer)].join('  ')
    },
  }
}

/** What follows the rows of a sequential run: explained documents, then one line of outcome. */
export function formatSequenceSummary(report: Extract<SimulationReport, {mode: 'sequence'}>['result'], origin: string): string {
  const lines: string[] = []
  for (const result of report.deliveries) if (result.document) lines.push(`\n${style.bold(result.event)}\n${explainDocument(result.document)}`)
  const all = report.sent === 1 ? 'the delivery was' : `all ${report.sent} deliveries were`
  if (report.late) lines.push(style.red(`${report.late} answered after Zoom's 3 s: Zoom counts that as failed and retries`))
  lines.push(...whatZoomWouldDo(report.deliveries))
  lines.push(report.failed ? style.red(`${report.failed} of ${report.sent} failed`) : style.green(`${all} accepted by ${origin}`))
  return lines.join('\n')
}

/**
 * What Zoom itself would do with these answers: a 4xx drops the event for good (Zoom retries only on 5xx
 * and time-outs), a 5xx is retried about 5, 25 and 85 minutes later. The difference is an event lost.
 */
function whatZoomWouldDo(deliveries: Array<{status?: number; late?: boolean}>): string[] {
  const answered = deliveries.filter((delivery) => !delivery.late && delivery.status !== undefined)
  const dropped = answered.filter((delivery) => delivery.status! >= 400 && delivery.status! < 500).length
  const retried = answered.filter((delivery) => delivery.status! >= 500).length
  const lines: string[] = []
  if (dropped) lines.push(style.red(`Zoom drops an event answered 4xx for good, without retrying: ${dropped === 1 ? 'this answer' : `these ${dropped} answers`} would lose ${dropped === 1 ? 'it' : 'them'}`))
  if (retried) lines.push(style.yellow(`Zoom retries an event answered 5xx about 5, 25 and 85 minutes later: ${retried === 1 ? 'this one' : `these ${retried}`} would come again`))
  return lines
}

export function formatBurstSummary(report: Extract<SimulationReport, {mode: 'burst'}>['result']): string {
  const {burst} = report
  const lines = report.interrupted ? [style.yellow(`interrupted after ${burst.sent} deliveries`)] : []
  lines.push(formatBurst(burst))
  // Compared with a load generator's figures, say what each request cost here.
  lines.push(style.dim('each delivery was built and signed afresh (new ids, event_ts and signature), where a load tool resends one body'))
  if (burst.sent === 0) lines.push(style.yellow('nothing was sent'))
  else lines.push(burst.failed ? style.red(`${burst.failed} of ${burst.sent} deliveries failed`) : style.green(burst.sent === 1 ? 'the delivery was accepted' : `all ${burst.sent} deliveries accepted`))
  return lines.join('\n')
}
