import type {SetupResult} from '../setup/setup.js'
import {statusMark} from './checks.js'
import {style} from './style.js'

export function formatSetup(result: SetupResult): string {
  const lines = [`${statusMark('pass')} settings written to ${result.configPath} (mode 0600): zoomctl config show lists them`]
  if (result.elasticsearch) lines.push(`${statusMark('pass')} Elasticsearch ${result.elasticsearch.version} reached as ${result.elasticsearch.credential}: serve indexes into it`)
  for (const note of result.unverified) lines.push(`${statusMark('warn')} ${note}`)
  if (result.removed.length) lines.push(style.yellow(`  removed: ${result.removed.join(', ')} (settings of a destination no longer chosen)`))
  if (result.generated.length) lines.push(style.yellow(`  generated: ${result.generated.join(', ')} (in the file; Zoom's own Secret Token replaces a generated one for a real app)`))
  if (result.kibana) {
    const {kibana} = result
    lines.push(`${statusMark('pass')} Kibana ${kibana.version}: Zoom integration ${kibana.installed}${kibana.installedNow ? ' (installed now)' : ''}`)
    lines.push(`${statusMark('pass')} Fleet package policy ${kibana.packagePolicy.action}: ${kibana.packagePolicy.id} in agent policy ${kibana.agentPolicy} (CRC on, zoom-cel off)`)
  }
  lines.push('', style.bold('In the Zoom App Marketplace'), ...result.zoomSteps.map((text, i) => `  ${i + 1}. ${text}`))
  lines.push('', style.bold('Then'), ...result.next.map((command) => `  ${style.cyan(command)}`))
  return lines.join('\n')
}
