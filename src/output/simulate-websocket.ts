import type {ZoomSideEvent, ZoomSideListening, ZoomSideReport} from '../websocket/zoom-side.js'
import {statusMark} from './checks.js'
import {formatMs, printable} from './format.js'
import {style} from './style.js'

/** Where the consumer connects, and the serve command that does so. */
export function formatZoomSideListening(info: ZoomSideListening): string {
  return [
    `${style.bold("Zoom's side of a WebSocket subscription")} listening:`,
    `  token endpoint: ${style.cyan(info.tokenUrl)} ${style.dim(info.checksCredentials ? '(checks --zoom-client-id/--zoom-client-secret)' : '(any client ID and secret)')}`,
    `  WebSocket:      ${style.cyan(info.wsUrl)}  subscription ${printable(info.subscriptionId)}`,
    '  Point a consumer at it, e.g. from another terminal:',
    `    ${style.cyan(`ZOOM_CLIENT_ID=test ZOOM_CLIENT_SECRET=test zoomctl serve --websocket --zoom-ws-url ${info.wsUrl} --zoom-token-url ${info.tokenUrl} --zoom-subscription-id ${info.subscriptionId}`)}`,
    style.dim('  waiting for a consumer; Ctrl-C to stop'),
  ].join('\n')
}

/** One line for what happened on Zoom's side; undefined for what is not worth a line (each event sent). */
export function formatZoomSideEvent(event: ZoomSideEvent): string | undefined {
  switch (event.type) {
    case 'token':
      return event.issued ? style.dim(`token issued (${printable(event.grant)})`) : style.yellow(`token refused (${printable(event.grant || 'no grant_type')}): ${printable(event.reason ?? '')}`)
    case 'refused':
      return style.yellow(`socket refused ${event.status}: ${printable(event.reason)}`)
    case 'connected':
      return style.green(`consumer connected (connection ${event.connection}): build_connection sent`)
    case 'closed':
      return style.yellow(`connection ${event.connection} closed: ${printable(event.reason)}`)
    case 'sent':
      return undefined
  }
}

export function formatZoomSideReport(report: ZoomSideReport): string {
  const lines = [`${statusMark(report.failed ? 'fail' : 'pass')} sent ${report.sent} of ${report.planned} event(s) over ${report.connections} connection(s)${report.stoppedEarly ? `: ${report.stoppedEarly}` : ''}`]
  lines.push(`  heartbeats answered: ${report.heartbeats}${report.longestHeartbeatGapMs === undefined ? '' : `, longest interval ${formatMs(report.longestHeartbeatGapMs)}`}`)
  if (report.longestHeartbeatGapMs !== undefined && report.longestHeartbeatGapMs > 35_000) lines.push(style.yellow('  the consumer went over 30 s without a heartbeat: Zoom closes idle sockets'))
  lines.push(style.dim('  Zoom waits for no answer to an event: what the consumer did with them is for it to say (zoomctl deliveries, for serve)'))
  return lines.join('\n')
}
