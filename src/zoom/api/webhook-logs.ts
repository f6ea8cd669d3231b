import type {ZoomApiClient} from './client.js'

/** One attempt Zoom logged (api.md B1), in zoomctl's names. */
export interface WebhookLogEntry {
  event: string
  /** What the endpoint answered, or -1: Zoom's own failure (then failedReasonType says which). */
  status: number
  failedReasonType?: number
  endpoint: string
  subscriptionId?: string
  /** Stays the same across retries of one delivery. */
  requestId: string
  /** 0: the first attempt; 1–3: Zoom's retries. */
  retryNum: number
  dateTime: string
  /** The body Zoom sent, when its log kept one. */
  requestBody?: string
  responseBody?: string
}

export type LogType = 'all' | 'failed' | 'successful'
const TYPE_CODE: Record<LogType, number> = {all: 1, failed: 2, successful: 3}

/** Zoom keeps 7 days and refuses a window reaching further (1502): a window clipped a minute inside it. */
export const LOG_RETENTION_MS = 7 * 86_400_000

export function clipToRetention(from: Date, to: Date, now: number = Date.now()): {from: Date; to: Date; clipped: boolean} {
  const earliest = now - LOG_RETENTION_MS + 60_000
  const start = Math.max(from.getTime(), earliest)
  return {from: new Date(start), to: new Date(Math.min(to.getTime(), now)), clipped: start > from.getTime()}
}

/** yyyy-MM-dd'T'HH:mm:ss'Z', the only format Zoom takes (1503 otherwise). */
function zoomTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

interface ZoomLogBody {
  event?: string
  status?: number | string
  failed_reason_type?: number | string
  endpoint?: string
  subscription_id?: string
  request_id?: string
  retry_num?: number | string
  date_time?: string
  request_body?: string
  response_body?: string
}

function fromZoom(item: ZoomLogBody): WebhookLogEntry {
  const reason = item.failed_reason_type === undefined || item.failed_reason_type === '' ? undefined : Number(item.failed_reason_type)
  return {
    event: String(item.event ?? ''),
    status: Number(item.status ?? -1),
    ...(reason !== undefined && Number.isFinite(reason) ? {failedReasonType: reason} : {}),
    endpoint: String(item.endpoint ?? ''),
    ...(item.subscription_id ? {subscriptionId: item.subscription_id} : {}),
    requestId: String(item.request_id ?? ''),
    retryNum: Number(item.retry_num ?? 0),
    dateTime: String(item.date_time ?? ''),
    ...(item.request_body ? {requestBody: item.request_body} : {}),
    ...(item.response_body ? {responseBody: item.response_body} : {}),
  }
}

/** The app's webhook logs of a window (within the last 7 days), every page up to maxPages of 300. */
export async function webhookLogs(api: ZoomApiClient, appId: string, options: {from: Date; to: Date; type: LogType; event?: string; maxPages?: number}): Promise<WebhookLogEntry[]> {
  const items = await api.allPages<ZoomLogBody>(
    `/marketplace/apps/${encodeURIComponent(appId)}/webhook_logs`,
    'webhook_logs',
    {from: zoomTime(options.from), to: zoomTime(options.to), type: TYPE_CODE[options.type], page_size: 300, event: options.event},
    options.maxPages ?? 50,
  )
  return items.map(fromZoom)
}

/** A delivery Zoom counts as made: 2xx (Zoom asks for 200 or 204). */
export function succeeded(entry: Pick<WebhookLogEntry, 'status'>): boolean {
  return entry.status >= 200 && entry.status < 300
}
