import {Args, Flags} from '@oclif/core'

import {runDoctor} from '../checks/doctor/doctor.js'
import {ZoomctlCommand} from '../cli/base-command.js'
import {authFlags, authOptionsFrom, dataDirFlag, elasticFlags, elasticSettingsFrom, integrationVersion, integrationVersionFlag, kibanaFlags, otherServeHint, tokenForLocalTarget} from '../cli/flags.js'
import {zoomApiClientFrom, zoomCredentialsGiven, zoomFlags, zoomSubscriptionFlags} from '../cli/zoom-flags.js'
import {listOf, selectEvents} from '../zoom/subscription/desired.js'
import {OptionError, parseDuration, readUserFile, resolveAuth} from '../config/index.js'
import {websocketDoctorFrom, websocketFlags} from '../cli/websocket-settings.js'
import {renderChecks} from '../output/checks.js'
import {startProgress} from '../output/spinner.js'
import {style} from '../output/style.js'

export default class Doctor extends ZoomctlCommand {
  static override summary = 'Find out why Zoom events do not arrive, checked from the outside as Zoom would'
  static override description = `Checks the webhook URL as Zoom reaches it: the URL itself (https, a host name), DNS (addresses Zoom cannot reach), the TCP port, TLS (protocol, a chain trusted by public roots, the host name, expiry, a missing intermediate), the answer to Zoom's URL-validation challenge with your secret token, latency against Zoom's 3 s, a signed test event (marked as doctor's: a zoomctl serve answers it and neither stores nor forwards it; anything else gets it only with --test-event), and that unsigned or mis-signed requests are refused. It recognises zoomctl serve and the Elastic Agent and tailors its hints; of a zoomctl serve it also reads /healthz, to say whether it passes what it accepts on to Elastic (its sinks are asked whether they answer) and what it refused as unauthenticated (a wrong Secret Token shows there). With Elasticsearch connection flags it checks the Elastic side too. With the Zoom app's credentials (ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET) it checks Zoom's side: the event subscription of the URL, its events and Zoom's webhook logs; without a URL or with Kibana, the audit streams' report APIs (the token's scopes per stream, one call per report API, and with Kibana which streams the agent policy enables). --websocket checks serve --websocket's path instead. Exit 0 when nothing failed, 1 otherwise, 2 on bad input.`

  static override examples = [
    '<%= config.bin %> doctor https://hooks.example.com/zoom-webhook',
    'ZOOMCTL_AUTH_VALUE=… ELASTICSEARCH_API_KEY=… <%= config.bin %> doctor https://agent.example.com:8181/zoom-webhook --auth header --es-url https://es.example.com:9200',
    '<%= config.bin %> doctor http://127.0.0.1:8181/zoom-webhook --allow-http',
    'ZOOM_CLIENT_ID=… ZOOM_CLIENT_SECRET=… ZOOM_WEBSOCKET_SUBSCRIPTION_ID=… <%= config.bin %> doctor --websocket',
    'ZOOM_ACCOUNT_ID=… ZOOM_CLIENT_ID=… ZOOM_CLIENT_SECRET=… <%= config.bin %> doctor --kibana-url https://kibana.example.com:5601',
  ]

  static override args = {
    url: Args.string({description: "the webhook URL as entered in the Zoom app; leave it out with --websocket, or to check only the audit streams' report APIs with the Zoom credentials", required: false}),
  }

  static override flags = {
    'allow-http': Flags.boolean({description: 'accept an http:// URL (a local test; Zoom itself needs https)', default: false}),
    ca: Flags.string({description: "PEM of a private CA to trust on purpose (Zoom itself trusts only public CAs)"}),
    samples: Flags.integer({description: 'requests to time', default: 5, min: 1, max: 100}),
    timeout: Flags.string({description: 'give up on one network step after this long', default: '10s'}),
    'forward-to': Flags.string({description: "the Elastic Agent's endpoint behind zoomctl serve (serve's own setting): Fleet's webhook settings are checked against it", env: 'ZOOMCTL_FORWARD_TO', helpGroup: 'KIBANA'}),
    'test-event': Flags.boolean({
      description: "send one signed meeting.started marked as doctor's: by default to a zoomctl serve only, which answers it and neither stores nor forwards it; --test-event sends it to any endpoint (an Elastic Agent indexes it as a meeting), --no-test-event to none",
      allowNo: true,
    }),
    'integration-version': integrationVersionFlag,
    'data-dir': dataDirFlag('where a local serve keeps the secret token it made, used when none is given'),
    ...authFlags,
    ...elasticFlags,
    ...kibanaFlags,
    websocket: Flags.boolean({description: "check serve --websocket's path instead of a URL: credentials, the token's grant, the socket, build_connection, a heartbeat's round trip, and the gaps recorded in the data dir", default: false, helpGroup: 'ZOOM'}),
    ...websocketFlags,
    ...zoomFlags,
    'zoom-categories': zoomSubscriptionFlags['zoom-categories'],
    'zoom-events': zoomSubscriptionFlags['zoom-events'],
  }

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(Doctor)
    if (flags.websocket || (!args.url && flags['zoom-subscription-id'])) {
      const progress = startProgress('checking the Zoom WebSocket', this.human)
      const report = await websocketDoctorFrom(flags, args.url, (text) => progress.update(text)).finally(() => progress.stop())
      if (this.human) this.log(`${style.dim(report.endpoint.description)}\n${renderChecks(report.checks, report.summary)}`)
      return report.summary.ok ? report : this.failed(report)
    }
    // Zoom's side only with the app's credentials (ZOOM_ACCOUNT_ID …): the subscription of the URL given, or
    // without a URL the audit streams' report APIs.
    const zoomApi = zoomCredentialsGiven(flags) ? zoomApiClientFrom(flags) : undefined
    if (!args.url && !zoomApi) throw new OptionError('give the webhook URL to check', {hint: 'zoomctl doctor https://hooks.example.com/zoom-webhook; for serve --websocket, doctor --websocket; for the audit streams only, the Zoom credentials (ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET)'})
    const token = args.url ? await tokenForLocalTarget(flags, args.url, [flags['data-dir']]) : {flags}
    const auth = resolveAuth(authOptionsFrom(token.flags))
    const elastic = await elasticSettingsFrom(flags)
    if (flags['ca-cert'] && !elastic) {
      throw new OptionError(`--ca-cert is the CA of Elasticsearch's certificate, and no Elasticsearch is named (--es-url, --cloud-id)`, {hint: `for the certificate of ${args.url ?? "the webhook URL"}, give --ca; for Elasticsearch's, add --es-url`})
    }
    const wanted = zoomApi && args.url ? selectEvents({categories: listOf(flags['zoom-categories']), events: listOf(flags['zoom-events'])}) : []
    const progress = startProgress(`checking ${args.url ?? "Zoom's report APIs"}`, this.human)
    const report = await runDoctor({
      url: args.url,
      auth,
      refusedTokenHint: otherServeHint(token, true),
      allowHttp: flags['allow-http'],
      ca: flags.ca ? await readUserFile(flags.ca) : undefined,
      samples: flags.samples,
      timeoutMs: parseDuration(flags.timeout, '--timeout'),
      testEvent: flags['test-event'],
      elastic,
      agentBehind: flags['forward-to'],
      kibana: flags['kibana-url'] ? {url: flags['kibana-url'], apiKey: flags['kibana-api-key'], username: flags['kibana-username'], password: flags['kibana-password']} : undefined,
      integrationVersion: integrationVersion(flags['integration-version']),
      ...(zoomApi && args.url ? {zoom: {api: zoomApi, accountId: flags['zoom-account-id'], appId: flags['zoom-app-id'], wanted}} : {}),
      // The audit streams' report APIs: alone without a URL, or beside it with Kibana (whose policy says which streams run).
      ...(zoomApi && (!args.url || flags['kibana-url']) ? {reports: zoomApi} : {}),
      onProgress: (text) => progress.update(text),
    }).finally(async () => {
      progress.stop()
      await zoomApi?.close()
    })
    if (this.human) {
      if (report.endpoint) this.log(style.dim(`${report.url}: ${report.endpoint.description}`))
      this.log(renderChecks(report.checks, report.summary))
    }
    return report.summary.ok ? report : this.failed(report)
  }
}
