import {stripVTControlCharacters} from 'node:util'

import {ecsFormat} from '@elastic/ecs-pino-format'
import {pino} from 'pino'

import type {ForwardEvent} from '../forward/index.js'
import type {DeliveryOutcome} from '../receiver/index.js'
import type {Counts, ServeCallbacks, ServeStarted} from '../receiver/service.js'
import {formatCertificateEvent, formatForwardEvent} from './serve.js'

/** serve's own log as ECS JSON lines, and what to call when it stops. */
export interface EcsServeLog {
  callbacks: ServeCallbacks
  stopped(signal: string, counts: Counts): void
}

/**
 * serve's log for the Elastic Agent or Filebeat (--log-format ecs): one ECS JSON line per event on stdout,
 * through pino and Elastic's ecs-pino-format (@timestamp, log.level, message, ecs.version and the rest).
 * Start, each delivery's verdict, sink state changes, warnings and errors. Never a body nor a secret:
 * a delivery is logged by its verdict, status, reason code, event type and ids, not its detail (a JSON
 * parse error quotes the body), and sink errors lose Elasticsearch's preview of a field's value.
 */
export function ecsServeLog(destination: NodeJS.WritableStream | number = 1): EcsServeLog {
  const stream = typeof destination === 'number' ? pino.destination({dest: destination, sync: true}) : destination
  const log = pino({...ecsFormat({serviceName: 'zoomctl'}), level: 'info'}, stream)
  const delivery = (outcome: DeliveryOutcome) => {
    const fields = {
      event: {kind: 'event', category: ['web'], action: outcome.result, outcome: outcome.status < 400 ? 'success' : 'failure', duration: Math.round(outcome.durationMs * 1e6), ...(outcome.reason ? {reason: outcome.reason} : {})},
      http: {response: {status_code: outcome.status}},
      source: {address: outcome.remoteAddress},
      zoomctl: {
        delivery: {
          result: outcome.result,
          ...(outcome.eventType ? {event_type: outcome.eventType} : {}),
          ...(outcome.recordId ? {id: outcome.recordId} : {}),
          ...(outcome.duplicateOf ? {duplicate_of: outcome.duplicateOf} : {}),
          ...(outcome.app ? {app: outcome.app} : {}),
          ...(outcome.keptIn ? {kept_in: outcome.keptIn} : {}),
          ...(outcome.bodyBytes === undefined ? {} : {body_bytes: outcome.bodyBytes}),
        },
      },
    }
    const message = `${outcome.result} ${outcome.status}${outcome.eventType ? ` ${outcome.eventType}` : ''}${outcome.reason ? ` (${outcome.reason})` : ''}`
    if (outcome.result === 'error') log.error(fields, message)
    else if (outcome.result === 'refused' || outcome.result === 'rejected') log.warn(fields, message)
    else log.info(fields, message)
  }
  const forward = (event: ForwardEvent) => {
    const message = withoutFieldValues(stripVTControlCharacters(formatForwardEvent(event)))
    const fields = {event: {kind: 'event', action: event.type}, zoomctl: {sink: event.sink, ...(event.type === 'dead-letter' ? {delivery: {id: event.recordId, ...(event.eventType ? {event_type: event.eventType} : {})}} : {})}}
    if (event.type === 'sink-up') log.info(fields, message)
    else if (event.type === 'dead-letter' || event.type === 'sink-warning') log.warn(fields, message)
    else log.error(fields, message)
  }
  return {
    callbacks: {
      onOutcome: delivery,
      onForward: forward,
      onCertificate: (event) => {
        const server = event.type === 'certificate-reloaded' ? {tls: {server: {not_after: event.validTo, x509: {subject: {distinguished_name: event.subject}}}}} : {}
        log.info({event: {kind: 'event', action: event.type}, ...server}, stripVTControlCharacters(formatCertificateEvent(event)))
      },
      onWarning: (message) => log.warn({event: {kind: 'event', action: 'warning'}}, withoutFieldValues(message)),
      onListening: (started: ServeStarted) => {
        log.info(
          {event: {kind: 'event', action: 'listening'}, url: {full: started.url}, zoomctl: {auth: started.auth, data_dir: started.dataDir, forwarding: started.forwarding, tls: started.tls}},
          `zoomctl serve listening on ${started.url}`,
        )
        for (const warning of started.warnings) log.warn({event: {kind: 'event', action: 'warning'}}, withoutFieldValues(warning))
      },
    },
    stopped: (signal, counts) => log.info({event: {kind: 'event', action: 'stopped'}, zoomctl: {signal, counts}}, `stopped (${signal})`),
  }
}

/** Elasticsearch quotes a document's value in a mapping error ("Preview of field's value: '…'"): not in a log. */
function withoutFieldValues(text: string): string {
  return text.replace(/Preview of field's value: '.*?'(?=[;\]\s)]|$)/g, "Preview of field's value: [not logged]")
}
