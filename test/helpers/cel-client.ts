import type {ReportStream} from '../../src/zoom/reports.js'
import {REPORT_APIS} from '../../src/zoom/reports.js'

/**
 * A client that polls a report API as the Zoom integration's CEL program does (cel.yml.hbs of the
 * activity, operation and meeting_activity streams): an OAuth2 token from {token_url}/oauth/token
 * (Basic client id/secret, grant_type=account_credentials, account_id), then windows of at most 720 h
 * from the cursor (or now − initial_interval), drained page by page with next_page_token; want_more
 * until the window reaches today; on a non-200 the cycle stops, the page token is dropped and the
 * cursor stays, so the next interval retries the same window.
 */
export interface CelSettings {
  stream: ReportStream
  url: string
  tokenUrl: string
  accountId: string
  clientId: string
  clientSecret: string
  pageSize: number
  /** Hours, as the integration's initial_interval (720h). */
  initialIntervalHours: number
  activityType?: string
  now?: () => Date
}

export interface CelState {
  cursor?: {poll_start: string}
  next?: {page_token?: string}
  fromDate?: string
}

export interface CelPoll {
  /** The records the cycle published, as the input's events ({message: …} becomes a document). */
  records: Array<Record<string, unknown>>
  /** The error event of a non-200 answer, if the cycle ended on one. */
  error?: {code: string; message: string}
  requests: string[]
  state: CelState
}

const day = (date: Date) => date.toISOString().slice(0, 10)

export class CelClient {
  private token?: {value: string; expiresAt: number}
  constructor(private readonly settings: CelSettings) {}

  /** One interval: runs the program while it wants more, as the input does, and returns what it published. */
  async poll(state: CelState = {}): Promise<CelPoll> {
    const records: Array<Record<string, unknown>> = []
    const requests: string[] = []
    let current = state
    for (let round = 0; round < 1000; round++) {
      const step = await this.program(current, requests)
      records.push(...step.records)
      current = step.state
      if (step.error) return {records, error: step.error, requests, state: current}
      if (!step.wantMore) return {records, requests, state: current}
    }
    throw new Error('the CEL program never stopped wanting more')
  }

  private async program(input: CelState, requests: string[]): Promise<{records: Array<Record<string, unknown>>; wantMore: boolean; state: CelState; error?: {code: string; message: string}}> {
    const now = this.settings.now?.() ?? new Date()
    // Step 1: a page token in flight keeps the window; otherwise start one from the cursor or now − initial_interval.
    const state: CelState = input.next?.page_token
      ? input
      : {cursor: input.cursor, fromDate: input.cursor?.poll_start ?? day(new Date(now.getTime() - this.settings.initialIntervalHours * 3_600_000))}
    const fromDate = state.fromDate!
    const toDate = [day(new Date(Date.parse(`${fromDate}T00:00:00Z`) + 720 * 3_600_000)), day(now)].sort()[0]!
    if (fromDate > toDate) return {records: [], wantMore: false, state: {...state, next: {}, cursor: {poll_start: fromDate}}}
    const query = new URLSearchParams({from: fromDate, to: toDate, ...(this.settings.activityType ? {activity_type: this.settings.activityType} : {}), page_size: String(this.settings.pageSize)})
    if (state.next?.page_token) query.set('next_page_token', state.next.page_token)
    const path = `${this.settings.url.replace(/\/+$/, '')}${REPORT_APIS[this.settings.stream].path}?${query}`
    requests.push(path)
    const response = await fetch(path, {headers: {authorization: `Bearer ${await this.accessToken()}`}})
    const text = await response.text()
    if (response.status !== 200) {
      return {records: [], wantMore: false, state: {cursor: state.cursor, fromDate: state.fromDate, next: {}}, error: {code: String(response.status), message: `GET ${REPORT_APIS[this.settings.stream].path}: ${text}`}}
    }
    const body = JSON.parse(text) as Record<string, unknown>
    const logs = (body[REPORT_APIS[this.settings.stream].arrayKey] as Array<Record<string, unknown>> | undefined) ?? []
    const nextToken = typeof body.next_page_token === 'string' && body.next_page_token !== '' ? body.next_page_token : undefined
    return {
      records: logs,
      wantMore: nextToken !== undefined || toDate !== day(now),
      state: {fromDate, next: nextToken ? {page_token: nextToken} : {}, cursor: {poll_start: nextToken ? fromDate : toDate}},
    }
  }

  /** Go's oauth2 client credentials with the integration's endpoint_params: Basic auth, a form body. */
  private async accessToken(): Promise<string> {
    if (this.token && this.token.expiresAt > Date.now() + 10_000) return this.token.value
    const response = await fetch(`${this.settings.tokenUrl.replace(/\/+$/, '')}/oauth/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${this.settings.clientId}:${this.settings.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({grant_type: 'account_credentials', account_id: this.settings.accountId}).toString(),
    })
    const body = (await response.json()) as {access_token?: string; expires_in?: number}
    if (response.status !== 200 || !body.access_token) throw new Error(`oauth2: cannot fetch token: ${response.status} ${JSON.stringify(body)}`)
    this.token = {value: body.access_token, expiresAt: Date.now() + (body.expires_in ?? 3600) * 1000}
    return this.token.value
  }
}
