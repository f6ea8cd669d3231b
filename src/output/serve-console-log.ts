import type {Counts, ServeCallbacks, ServeStarted} from '../receiver/service.js'
import {lineWriter} from './lines.js'
import {formatCertificateEvent, formatForwardEvent, formatOutcome, formatSocketEvent, formatWarning, outcomeJsonLine, serveBanner} from './serve.js'
import {style} from './style.js'

/** serve's log for a person or a script, and what to call when it stops (the ECS log's counterpart). */
export interface ConsoleServeLog {
  callbacks: ServeCallbacks
  stopped(signal: string, counts: Counts): void
}

export interface ConsoleServeLogOptions {
  /** --json: every line on stdout as JSON; otherwise deliveries on stdout, the rest on stderr for a person. */
  json: boolean
  /** The config file serve read, for the banner and the listening line. */
  configFile?: string | null
  /** How the user ran zoomctl, for the banner's commands. */
  run?: {command: string; onPath: boolean}
}

/**
 * Deliveries one line each on stdout (written once per event-loop turn: lineWriter), forwarding and other
 * events on stderr for a person; with --json, every one of them a JSON line on stdout.
 */
export function consoleServeLog({json, configFile = null, run}: ConsoleServeLogOptions): ConsoleServeLog {
  const stdout = lineWriter()
  const write = stdout.write
  const say = (line: string) => process.stderr.write(`${line}\n`)
  return {
    callbacks: {
      onOutcome: (outcome) => write(json ? outcomeJsonLine(outcome) : formatOutcome(outcome)),
      onForward: (event) => (json ? write(JSON.stringify({...event, type: 'forward', kind: event.type})) : say(formatForwardEvent(event))),
      onWarning: (message) => (json ? write(JSON.stringify({type: 'warning', message})) : say(formatWarning(message))),
      onCertificate: (event) => (json ? write(JSON.stringify(event)) : say(formatCertificateEvent(event))),
      onSocket: (event) => (json ? write(JSON.stringify({...event, type: 'websocket', kind: event.type})) : say(formatSocketEvent(event))),
      onStopping: (message) => (json ? write(JSON.stringify({type: 'stopping', message})) : say(style.dim(message))),
      onListening: (listening: ServeStarted) => {
        const started = {...listening, config: configFile}
        if (json) write(JSON.stringify({type: 'listening', ...started}))
        else say(serveBanner(started, run))
      },
    },
    stopped(signal, counts) {
      if (json) write(JSON.stringify({type: 'stopped', signal, counts}))
      else say(`stopped (${signal}): ${Object.entries(counts).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(', ') || 'no deliveries'}`)
      stdout.flush()
    },
  }
}
