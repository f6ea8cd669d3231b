import type {ServedEntry} from '../reports/api-server.js'
import {style} from './style.js'

export interface ReportApiBanner {
  url: string
  tokenUrl: string
  seed: number
  records: Record<string, number>
  madeUp: {accountId?: string; clientId?: string; clientSecret?: string}
}

/** What simulate-api says when it listens: where, with what, and what to type into the integration. */
export function formatReportApiBanner(banner: ReportApiBanner): string {
  const counts = Object.entries(banner.records)
    .map(([stream, count]) => `${count} ${stream}`)
    .join(', ')
  const made = banner.madeUp
  const credentials = [
    made.accountId && `Account ID ${made.accountId}`,
    made.clientId && `Client ID ${made.clientId}`,
    made.clientSecret && `Client Secret ${made.clientSecret}`,
  ].filter(Boolean)
  return [
    `${style.bold('zoomctl simulate-api')} on ${style.cyan(banner.url)}: ${counts} records (seed ${banner.seed})`,
    `  In the Zoom integration's settings (Fleet): URL ${banner.url}, Token URL ${banner.tokenUrl}`,
    `  For zoomctl (doctor): --zoom-api-url ${banner.url}/v2 --zoom-token-url ${banner.tokenUrl}/oauth/token`,
    ...(credentials.length ? [`  Made-up test credentials: ${credentials.join(', ')}`] : ['  It accepts the Account ID, Client ID and Client Secret given to it']),
    style.dim('  An Elastic Agent in a container reaches the host by its address, not 127.0.0.1 (--host 0.0.0.0). Ctrl-C to stop'),
    '',
  ].join('\n')
}

/** One line per report call: what was asked and what it got. */
export function formatServed(entry: ServedEntry): string {
  const window = entry.from ? ` ${entry.from} → ${entry.to}` : ''
  const status = entry.status === 200 ? style.green('200') : style.red(String(entry.status))
  const outcome = entry.error
    ? `${entry.error.code} ${entry.error.message}`
    : `${entry.records?.length ?? 0} record${entry.records?.length === 1 ? '' : 's'}${entry.morePages ? ', more pages' : ''}`
  return `${entry.method} ${entry.path}${window} ${status} ${outcome}`
}
