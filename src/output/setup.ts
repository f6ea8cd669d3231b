import type {SetupResult} from '../setup/setup.js'
import {statusMark} from './checks.js'
import {style} from './style.js'
import {formatPlan} from './zoom.js'

export function formatSetup(result: SetupResult): string {
  const lines = [result.dryRun ? `${statusMark('skip')} --dry-run: nothing written to ${result.configPath}, nothing sent to Fleet or Zoom` : `${statusMark('pass')} settings written to ${result.configPath} (mode 0600): zoomctl config show lists them`]
  if (result.elasticsearch) lines.push(`${statusMark('pass')} Elasticsearch ${result.elasticsearch.version} reached as ${result.elasticsearch.credential}: serve indexes into it`)
  for (const note of result.unverified) lines.push(`${statusMark('warn')} ${note}`)
  if (result.removed.length) lines.push(style.yellow(`  removed: ${result.removed.join(', ')} (settings of a destination no longer chosen)`))
  if (result.generated.length) lines.push(style.yellow(`  generated: ${result.generated.join(', ')} (in the file; Zoom's own Secret Token replaces a generated one for a real app)`))
  if (result.kibana) {
    const {kibana} = result
    lines.push(`${statusMark('pass')} Kibana ${kibana.version}: Zoom integration ${kibana.installed}${kibana.installedNow ? ' (installed now)' : ''}`)
    lines.push(`${statusMark('pass')} Fleet package policy ${kibana.packagePolicy.action}: ${kibana.packagePolicy.id} in agent policy ${kibana.agentPolicy} (CRC on, ${kibana.auditStreams?.length ? `audit streams ${kibana.auditStreams.join(', ')} on` : 'zoom-cel off'})`)
  }
  if (result.zoom) lines.push('', style.bold(`Zoom event subscription → ${result.zoom.url}`), formatPlan(result.zoom.plan, {applied: result.zoom.applied, done: result.zoom.done}))
  if (result.zoom?.startedServe) lines.push(style.yellow(`  started zoomctl serve in the background: pid ${result.zoom.startedServe.pid}, log ${result.zoom.startedServe.log} (run it as a service for good)`))
  else if (!result.zoom) lines.push('', style.bold('In the Zoom App Marketplace'), ...result.zoomSteps.map((text, i) => `  ${i + 1}. ${text}`))
  lines.push('', style.bold('Then'), ...result.next.map((command) => `  ${style.cyan(command)}`))
  return lines.join('\n')
}
