import {randomBytes, randomInt} from 'node:crypto'

import {Flags} from '@oclif/core'

import {ZoomctlCommand} from '../cli/base-command.js'
import {zoomFlags} from '../cli/zoom-flags.js'
import {formatServed, formatReportApiBanner} from '../output/report-api.js'
import {startReportApi} from '../reports/api-server.js'
import {appendServedRecords} from '../reports/served-file.js'
import {REPORT_ADMIN_SCOPE} from '../zoom/reports.js'

export default class SimulateApi extends ZoomctlCommand {
  static override summary = "A local Zoom report API for the Elastic Agent's audit streams (activity, operation, meeting_activity)"
  static override description = `Serves /oauth/token (Server-to-Server OAuth: account_credentials, Basic client id and secret) and Zoom's three report endpoints (/v2/report/activities, /v2/report/operationlogs, /v2/report/meeting_activities) with Zoom's parameters (from, to, page_size up to 300, next_page_token, activity_type), its error bodies and its rate limits (a per-second 429 and the daily cap). It accepts the Zoom credentials zoomctl is given (ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET), else makes up test ones and shows them; its records are synthetic sign-ins, admin operations and meeting audit trails over --days, the same for a --seed. Point the integration's URL and Token URL settings at it to run the Elastic Agent's three streams without a Zoom account; --record keeps what was served for validate --run. --plan basic, --no-audit-trail, --scope and --daily-limit play the accounts where the streams stay empty.`

  // A stand-in for Zoom on a port of its own: serve's host and port in the config file are not its own (env vars still are).
  static override readsConfigFile = false

  static override examples = [
    '<%= config.bin %> simulate-api --port 9180 --seed 7',
    'ZOOM_ACCOUNT_ID=acct ZOOM_CLIENT_ID=id ZOOM_CLIENT_SECRET=secret <%= config.bin %> simulate-api --host 0.0.0.0 --record served.ndjson',
    '<%= config.bin %> simulate-api --scope report:read:user_activities:admin --daily-limit 5',
  ]

  static override flags = {
    port: Flags.integer({description: 'port to listen on (0: any free one)', default: 9180, min: 0, max: 65_535}),
    host: Flags.string({description: 'address to listen on (0.0.0.0 for an Elastic Agent on another machine or in a container)', default: '127.0.0.1'}),
    // The same settings as the commands that call Zoom, so one config file or environment serves both sides.
    'zoom-account-id': zoomFlags['zoom-account-id'],
    'zoom-client-id': zoomFlags['zoom-client-id'],
    'zoom-client-secret': zoomFlags['zoom-client-secret'],
    scope: Flags.string({description: "the tokens' scope: report:read:admin, or granular scopes (space-separated) to play a missing one", default: REPORT_ADMIN_SCOPE}),
    days: Flags.integer({description: 'records cover this many days back from now (the integration reads 30 at first, at most 180)', default: 30, min: 1, max: 180}),
    'per-day': Flags.integer({description: 'records per stream per day', default: 8, min: 1, max: 10_000}),
    seed: Flags.integer({description: 'seed for the records (default: random, shown)'}),
    plan: Flags.string({description: "the account's plan: basic answers every report as Zoom does a free account", options: ['pro', 'basic'], default: 'pro'}),
    'audit-trail': Flags.boolean({description: 'the meeting audit trail is enabled (--no-audit-trail: as before Zoom Support enables it)', default: true, allowNo: true}),
    'daily-limit': Flags.integer({description: 'report calls per UTC day before the daily 429 (Pro: 30000)', default: 30_000, min: 0}),
    'rate-limit': Flags.integer({description: 'report calls per second before a per-second 429 (Pro Heavy: 10)', default: 10, min: 1}),
    'without-email': Flags.integer({description: "this many of each stream's oldest records lack the user's email", default: 0, min: 0}),
    record: Flags.string({description: 'append each record served to this file, for validate --run --data-stream …'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(SimulateApi)
    const seed = flags.seed ?? randomInt(2 ** 31)
    // Made-up credentials are test values, shown so that they can be typed into Fleet; given ones are not shown.
    const made = {
      accountId: flags['zoom-account-id'] ? undefined : `acct-${randomBytes(6).toString('hex')}`,
      clientId: flags['zoom-client-id'] ? undefined : `client-${randomBytes(6).toString('hex')}`,
      clientSecret: flags['zoom-client-secret'] ? undefined : randomBytes(18).toString('base64url'),
    }
    let recording = Promise.resolve()
    const api = await startReportApi({
      host: flags.host,
      port: flags.port,
      accountId: flags['zoom-account-id'] ?? made.accountId!,
      clientId: flags['zoom-client-id'] ?? made.clientId!,
      clientSecret: flags['zoom-client-secret'] ?? made.clientSecret!,
      scope: flags.scope,
      seed,
      days: flags.days,
      perDay: flags['per-day'],
      plan: flags.plan as 'pro' | 'basic',
      auditTrail: flags['audit-trail'],
      dailyLimit: flags['daily-limit'],
      perSecond: flags['rate-limit'],
      withoutEmail: flags['without-email'],
      onRequest: (entry) => {
        if (flags.record && entry.stream && entry.records?.length) {
          const {stream, records} = entry
          recording = recording.then(() => appendServedRecords(flags.record!, stream, records, new Date()))
        }
        if (this.human) this.log(formatServed(entry))
        else process.stdout.write(`${JSON.stringify({type: 'served', ...entry, records: entry.records?.length})}\n`)
      },
    })
    const listening = {type: 'listening', url: api.url, tokenUrl: api.url, seed, records: Object.fromEntries(Object.entries(api.records).map(([stream, list]) => [stream, list.length])), madeUp: made}
    if (this.human) process.stderr.write(formatReportApiBanner(listening))
    else process.stdout.write(`${JSON.stringify(listening)}\n`)
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve())
      process.once('SIGTERM', () => resolve())
    })
    await api.close()
    await recording
  }
}
