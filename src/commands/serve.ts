import {Flags} from '@oclif/core'

import {ZoomctlCommand} from '../cli/base-command.js'
import {appTokenFlag, authFlags, dataDirFlag, elasticFlags, forwardFlags, integrationVersionFlag, uiFlags} from '../cli/flags.js'
import {DEFAULT_HOST, DEFAULT_PATH, DEFAULT_PORT} from '../receiver/index.js'
import {serveSettingsFrom} from '../cli/serve-settings.js'
import {websocketFlags} from '../cli/websocket-settings.js'
import {invocation} from '../cli/invocation.js'
import {runServe} from '../receiver/service.js'
import {OptionError} from '../config/index.js'
import {consoleServeLog} from '../output/serve-console-log.js'
import {DEFAULT_TOLERANCE_SECONDS} from '../zoom/signature.js'

export default class Serve extends ZoomctlCommand {
  static override summary = 'Run a Zoom webhook receiver that verifies, acknowledges, stores and forwards every delivery'
  static override description = `Answers Zoom's URL-validation challenge, verifies each request (signature, timestamp, auth header), stores what it accepts under the data dir before it answers 200, and keeps authentic deliveries it refused (a stale retry, a malformed body) under refused/ so that none is lost; of requests refused as unauthenticated it keeps no body, only a bounded record (time, address, claimed event type, reason: zoomctl deliveries --verdict rejected). One serve per data dir: a second one is refused, naming the first. Defaults follow Elastic's Zoom integration: port 8181, path /zoom-webhook. On a loopback address with no secret token it makes one and keeps it in the data dir. With --forward-to and/or --es-url it delivers onward from the store, each sink with its own cursor: nothing acknowledged is lost, nothing is indexed twice. For production: GET /metrics (Prometheus), --log-format ecs, certificates reloaded when their files change or on SIGHUP, several Zoom apps on one endpoint (app-token), and a warning on /healthz when Zoom's 72-hourly re-validation stops coming.`

  static override examples = [
    '<%= config.bin %> serve',
    '<%= config.bin %> serve --host 0.0.0.0 --tls-cert cert.pem --tls-key key.pem',
    'ZOOMCTL_FORWARD_HEADER="Authorization: …" <%= config.bin %> serve --forward-to http://127.0.0.1:8182/zoom-webhook',
    '<%= config.bin %> serve --es-url https://localhost:9200 --ca-cert http_ca.crt',
    'ZOOM_CLIENT_ID=… ZOOM_CLIENT_SECRET=… ZOOM_WEBSOCKET_SUBSCRIPTION_ID=… <%= config.bin %> serve --websocket --es-url https://localhost:9200',
    '<%= config.bin %> serve --ui',
    '<%= config.bin %> serve --host 0.0.0.0 --log-format ecs --app-token sales=env:ZOOM_SALES_TOKEN --app-token support=file:/run/secrets/zoom-support',
    '<%= config.bin %> serve --json | jq \'select(.result != "accepted")\'',
  ]

  static override saysConfigFileItself = true

  static override flags = {
    host: Flags.string({description: 'address to listen on (0.0.0.0 for all interfaces)', default: DEFAULT_HOST, env: 'ZOOMCTL_HOST'}),
    port: Flags.integer({description: 'port to listen on (0 picks a free one)', default: DEFAULT_PORT, min: 0, max: 65535, env: 'ZOOMCTL_PORT'}),
    path: Flags.string({description: 'URL path of the webhook', default: DEFAULT_PATH, env: 'ZOOMCTL_PATH'}),
    'data-dir': dataDirFlag('where accepted and refused deliveries are stored (NDJSON)'),
    tolerance: Flags.integer({
      description: 'seconds a request timestamp may differ from now; 0 turns the check off (Zoom does not say whether retries are re-signed)',
      default: DEFAULT_TOLERANCE_SECONDS,
      min: 0,
      env: 'ZOOMCTL_TOLERANCE',
    }),
    'max-body': Flags.string({description: 'largest body accepted (413 above it)', default: '1mb', env: 'ZOOMCTL_MAX_BODY'}),
    'tls-cert': Flags.string({description: 'PEM certificate: serve HTTPS (Zoom only delivers to https URLs)', dependsOn: ['tls-key'], env: 'ZOOMCTL_TLS_CERT'}),
    'tls-key': Flags.string({description: 'PEM private key for --tls-cert', dependsOn: ['tls-cert'], env: 'ZOOMCTL_TLS_KEY'}),
    'dedupe-window': Flags.string({
      description: "how far back stored deliveries are remembered to recognise Zoom's retries (its last comes ~85 min after the first try); an older copy is stored as new, and Elasticsearch still drops it by _id",
      default: '48h',
      env: 'ZOOMCTL_DEDUPE_WINDOW',
    }),
    fsync: Flags.boolean({description: 'sync each batch of writes to disk before answering', default: true, allowNo: true}),
    // Zoom keeps no overlap when a Secret Token is regenerated: these two carry serve through it.
    'previous-secret-token': Flags.string({
      description: 'the Secret Token before its regeneration in Zoom: deliveries still signed with it (retries) are accepted too',
      env: 'ZOOMCTL_PREVIOUS_SECRET_TOKEN',
      helpGroup: 'AUTH',
    }),
    'retry-mismatched': Flags.boolean({
      description: 'answer a signature that matches no Secret Token with 503, which Zoom retries (~5, 25, 85 min), not 401, which it drops: on while the token is regenerated',
      default: false,
      helpGroup: 'AUTH',
    }),
    'app-token': appTokenFlag,
    'log-format': Flags.string({
      description: "serve's own log: console (lines for a person) or ecs (ECS JSON lines for the Elastic Agent or Filebeat, no body nor secret)",
      options: ['console', 'ecs'],
      default: 'console',
      env: 'ZOOMCTL_LOG_FORMAT',
    }),
    'integration-version': integrationVersionFlag,
    websocket: Flags.boolean({
      description: "also receive over Zoom's WebSocket (no public endpoint needed): events go the same way as deliveries; every interval without a socket is recorded (Zoom never re-sends what it missed)",
      default: false,
      helpGroup: 'ZOOM',
    }),
    ...websocketFlags,
    ...authFlags,
    ...forwardFlags,
    ...elasticFlags,
    ...uiFlags,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Serve)
    const json = this.jsonEnabled()
    const settings = await serveSettingsFrom(flags)
    if (flags['log-format'] === 'ecs' && json) throw new OptionError('--log-format ecs writes JSON lines of its own: leave out --json')
    // pino is loaded only for the ECS format: a serve that logs for a person starts without it.
    const log = flags['log-format'] === 'ecs' ? (await import('../output/serve-ecs-log.js')).ecsServeLog() : consoleServeLog({json, configFile: this.configFileRead ?? null, run: invocation(this.config.bin)})
    const {signal, counts} = await runServe(settings, log.callbacks)
    log.stopped(signal, counts)
  }
}
