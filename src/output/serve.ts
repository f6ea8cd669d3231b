import {describeConfigFile} from '../config/file.js'
import {SHORT_ID_LENGTH, shortId} from '../deliveries/ids.js'
import type {ForwardEvent} from '../forward/index.js'
import type {DeliveryOutcome} from '../receiver/index.js'
import type {ServeStarted} from '../receiver/service.js'
import type {CertificateEvent} from '../receiver/tls-reload.js'
import {shellQuote} from '../sender/curl.js'
import {DEFAULT_DATA_DIR} from '../store/index.js'
import type {SocketEvent} from '../websocket/ingest.js'
import {formatMs, printable} from './format.js'
import {statusColor, style} from './style.js'

/** serve --json's line for an outcome: written as it is, not copied into a new object for every request. */
export function outcomeJsonLine(outcome: DeliveryOutcome): string {
  return `{"type":"delivery",${JSON.stringify(outcome).slice(1)}`
}

export function formatOutcome(outcome: DeliveryOutcome): string {
  const time = outcome.receivedAt.slice(11, 23)
  const color = statusColor(outcome.status)
  const event = outcome.eventType ? printable(outcome.eventType).slice(0, 60).padEnd(30) : style.dim('-'.padEnd(30))
  // A kept delivery's id, as far as `zoomctl deliveries show` needs it (as git shortens a commit's).
  const id = style.dim(outcome.recordId ? printable(shortId(outcome.recordId)) : '-'.padEnd(SHORT_ID_LENGTH))
  const parts = [style.dim(time), color(String(outcome.status)), color(outcome.result.padEnd(9)), id, event]
  if (outcome.app) parts.push(style.dim(`app ${printable(outcome.app)}`))
  if (outcome.accountId) parts.push(style.dim(`account ${printable(outcome.accountId)}`))
  if (outcome.duplicateOf) parts.push(style.dim(`copy of ${printable(shortId(outcome.duplicateOf))}`))
  if (outcome.detail) parts.push(outcome.result === 'refused' || outcome.result === 'error' ? style.yellow(printable(outcome.detail)) : printable(outcome.detail))
  parts.push(style.dim(`${outcome.remoteAddress} ${formatMs(outcome.durationMs)}`))
  return parts.join('  ')
}

export function formatForwardEvent(event: ForwardEvent): string {
  switch (event.type) {
    case 'sink-down':
      return style.red(`forwarding to ${event.sink} is failing: ${printable(event.error)}; deliveries wait in the store and are retried`)
    case 'sink-paused':
      return style.red(`forwarding to ${event.sink} is paused: ${printable(event.error)}; retrying once a minute, deliveries wait in the store`)
    case 'sink-up':
      return style.green(`forwarding to ${event.sink} recovered after ${formatMs(event.downForMs)}`)
    case 'dead-letter':
      return style.yellow(`${event.sink} refused delivery ${event.recordId} (${printable(event.eventType ?? '?')}) for good: ${printable(event.error)}; kept in dead-letter/, zoomctl replay --from dead-letter resends it`)
    case 'sink-warning':
      return style.yellow(`${event.sink}: ${printable(event.message)}`)
  }
}

/** A certificate reloaded (a refused one is a warning). */
export function formatCertificateEvent(event: CertificateEvent): string {
  if (event.type === 'certificate-refused') return formatWarning(`new certificate refused (${event.trigger}): ${event.error}`)
  return style.green(`certificate ${event.unchanged ? 'unchanged' : 'reloaded'} (${event.trigger}): ${printable(event.subject)}, valid to ${event.validTo}; open connections keep theirs`)
}

/** A warning that comes after the banner, on a line of its own. */
export function formatWarning(message: string): string {
  return style.yellow(`warning: ${message}`)
}

/** The socket's changes, on stderr beside the deliveries: a gap is a window of events Zoom will never send. */
export function formatSocketEvent(event: SocketEvent): string {
  if (event.type === 'connected') return style.green(`websocket connected to ${event.endpoint} (subscription ${printable(event.subscriptionId)}, ${event.grant} token)`)
  if (event.type === 'disconnected') return style.yellow(`websocket disconnected: ${printable(event.reason)}; Zoom drops the events of this gap (recorded in the data dir)`)
  return style.dim(`websocket: ${printable(event.reason)}; retrying in ${Math.round(event.retryInMs / 100) / 10} s`)
}

/**
 * What serve says when it starts: where it listens, how it checks, where it stores and forwards, what to try
 * next. `run`: how this shell runs zoomctl (see cli/invocation.ts); not on PATH, the banner says how to put it there.
 */
export function serveBanner(started: ServeStarted, run: {command: string; onPath: boolean} = {command: 'zoomctl', onPath: true}): string {
  const lines = [`${style.bold('zoomctl serve')} listening on ${style.cyan(started.url)}`]
  if (started.config !== undefined) lines.push(`  ${describeConfigFile(started.config)}`)
  lines.push(`  auth: ${started.auth}; timestamp tolerance: ${started.toleranceSeconds ? `${started.toleranceSeconds} s` : 'off'}; data: ${started.dataDir}`)
  if (started.websocket) {
    const socket = started.websocket
    const state = socket.state === 'connected' ? style.green(`connected (${socket.grant} token)`) : style.yellow(`not connected yet: ${printable(socket.lastError ?? socket.state)}; retrying`)
    lines.push(`  websocket: subscription ${printable(socket.subscriptionId)} at ${socket.endpoint}: ${state}`)
  }
  for (const sink of started.forwarding) lines.push(`  forwarding to ${sink}`)
  if (started.ui) lines.push(`  inspector: ${style.cyan(started.ui)}`)
  for (const warning of started.warnings) lines.push(style.yellow(`  warning: ${warning}`))
  if (started.token?.created) {
    lines.push('', `  No secret token was given, so serve made one for this local receiver and keeps it in ${started.token.file} (mode 0600).`)
    lines.push('  To send it signed events from another terminal (simulate finds this token by itself when aimed at a local serve):')
    // The token is read from its file, never printed: terminal logs and shared screens keep no secret.
    lines.push(`    ${style.cyan(`export ZOOM_WEBHOOK_SECRET_TOKEN="$(cat ${shellWord(started.token.file)})"`)}`)
    lines.push(`    ${style.cyan(`${shellWord(run.command)} simulate meeting.started --url ${started.url}${dataDirFlag(started.dataDir)}`)}`)
    if (!run.onPath) lines.push(style.dim(NOT_ON_PATH))
    lines.push('  A receiver for a real Zoom app needs that app\'s Secret Token instead: ZOOM_WEBHOOK_SECRET_TOKEN=…', '')
  } else if (started.token) {
    lines.push(`  secret token: the one serve made earlier, in ${started.token.file}; send it signed events with:`)
    lines.push(`    ${style.cyan(`${shellWord(run.command)} simulate meeting.started --url ${started.url}${dataDirFlag(started.dataDir)}`)}`)
    if (!run.onPath) lines.push(style.dim(NOT_ON_PATH))
  }
  if (!started.tls && !started.loopback) {
    lines.push(style.yellow('  note: Zoom only delivers to https URLs with a publicly trusted certificate: use --tls-cert/--tls-key or a TLS proxy in front'))
  }
  lines.push(style.dim('  Ctrl-C to stop'))
  return lines.join('\n')
}

/** simulate finds a local serve's token in the default data dir by itself; in another, it is told where. */
function dataDirFlag(dataDir: string): string {
  return dataDir === DEFAULT_DATA_DIR ? '' : ` --data-dir ${shellWord(dataDir)}`
}

const NOT_ON_PATH = "  (zoomctl is not on your PATH: `npm link`, once in zoomctl's directory, puts it there)"

/** A word for a command line to copy: quoted only when the shell would split or expand it. */
function shellWord(text: string): string {
  return /^[\w./:@%+=,-]+$/.test(text) ? text : shellQuote(text)
}
