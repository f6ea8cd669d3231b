import {Flags} from '@oclif/core'

import {ZoomctlCommand} from '../cli/base-command.js'
import {authFlags, authOptionsFrom, integrationVersion, integrationVersionFlag} from '../cli/flags.js'
import {OptionError, parseSize, readUserFile, resolveAuth} from '../config/index.js'
import {formatMs} from '../output/format.js'
import {startProgress} from '../output/spinner.js'
import {statusColor, style} from '../output/style.js'
import {DEFAULT_HOST, DEFAULT_PATH, DEFAULT_PORT, type DeliveryOutcome, startReceiver} from '../receiver/index.js'
import {FileStore} from '../store/index.js'
import {assertAuthComplete, describeAuth} from '../zoom/auth.js'
import {DEFAULT_TOLERANCE_SECONDS} from '../zoom/signature.js'

export default class Serve extends ZoomctlCommand {
  static override summary = 'Run a Zoom webhook receiver that verifies, acknowledges and stores every delivery'
  static override description = `Answers Zoom's URL-validation challenge, verifies each request (signature, timestamp, auth header), stores what it accepts under the data dir before it answers 200, and keeps authentic deliveries it refused (a stale retry, a malformed body) under refused/ so that none is lost. Defaults follow Elastic's Zoom integration: port 8181, path /zoom-webhook.`

  static override examples = [
    '<%= config.bin %> serve --secret-token "$ZOOM_WEBHOOK_SECRET_TOKEN"',
    '<%= config.bin %> serve --host 0.0.0.0 --tls-cert cert.pem --tls-key key.pem',
    '<%= config.bin %> serve --auth header --auth-value "$ELASTIC_SECRET" --tolerance 0',
  ]

  static override flags = {
    host: Flags.string({description: 'address to listen on (0.0.0.0 for all interfaces)', default: DEFAULT_HOST, env: 'ZOOMCTL_HOST'}),
    port: Flags.integer({description: 'port to listen on (0 picks a free one)', default: DEFAULT_PORT, min: 0, max: 65535, env: 'ZOOMCTL_PORT'}),
    path: Flags.string({description: 'URL path of the webhook', default: DEFAULT_PATH, env: 'ZOOMCTL_PATH'}),
    'data-dir': Flags.string({description: 'where accepted and refused deliveries are stored (NDJSON)', default: './zoomctl-data', env: 'ZOOMCTL_DATA_DIR'}),
    tolerance: Flags.integer({
      description: 'seconds a request timestamp may differ from now; 0 turns the check off (Zoom does not say whether retries are re-signed)',
      default: DEFAULT_TOLERANCE_SECONDS,
      min: 0,
      env: 'ZOOMCTL_TOLERANCE',
    }),
    'max-body': Flags.string({description: 'largest body accepted (413 above it)', default: '1mb', env: 'ZOOMCTL_MAX_BODY'}),
    'tls-cert': Flags.string({description: 'PEM certificate: serve HTTPS (Zoom only delivers to https URLs)', dependsOn: ['tls-key'], env: 'ZOOMCTL_TLS_CERT'}),
    'tls-key': Flags.string({description: 'PEM private key for --tls-cert', dependsOn: ['tls-cert'], env: 'ZOOMCTL_TLS_KEY'}),
    fsync: Flags.boolean({description: 'sync each batch of writes to disk before answering', default: true, allowNo: true}),
    'integration-version': integrationVersionFlag,
    ...authFlags,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Serve)
    const auth = resolveAuth(authOptionsFrom(flags))
    assertAuthComplete(auth, 'receive')
    const version = integrationVersion(flags['integration-version'])
    const maxBodyBytes = parseSize(flags['max-body'])
    const tls = flags['tls-cert'] && flags['tls-key'] ? {cert: await readUserFile(flags['tls-cert']), key: await readUserFile(flags['tls-key'])} : undefined
    // Opening reads the stored events to know their dedupe keys: seconds for a large store.
    const opening = startProgress(`reading the store in ${flags['data-dir']}`, this.human)
    const store = await FileStore.open(flags['data-dir'], {sync: flags.fsync}).finally(() => opening.stop())
    const json = this.jsonEnabled()
    const counts = {accepted: 0, duplicate: 0, challenge: 0, refused: 0, rejected: 0, error: 0}

    let receiver
    try {
      receiver = await startReceiver({
        host: flags.host,
        port: flags.port,
        path: flags.path.startsWith('/') ? flags.path : `/${flags.path}`,
        auth,
        toleranceSeconds: flags.tolerance,
        maxBodyBytes,
        store,
        tls,
        integrationVersion: version,
        onOutcome: (outcome) => {
          counts[outcome.result]++
          process.stdout.write(json ? `${JSON.stringify({type: 'delivery', ...outcome})}\n` : `${formatOutcome(outcome)}\n`)
        },
      })
    } catch (error) {
      await store.close()
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'EADDRINUSE') throw new OptionError(`port ${flags.port} on ${flags.host} is already in use: stop the other process or pick another --port`)
      if (code === 'EACCES') throw new OptionError(`not allowed to listen on port ${flags.port}: pick a port above 1023 or run with the right privileges`)
      if (code === 'EADDRNOTAVAIL') throw new OptionError(`${flags.host} is not an address of this machine: use 127.0.0.1 or 0.0.0.0`)
      throw error
    }

    const started = {type: 'listening', url: receiver.url, dataDir: flags['data-dir'], auth: describeAuth(auth), toleranceSeconds: flags.tolerance}
    if (json) {
      process.stdout.write(`${JSON.stringify(started)}\n`)
    } else {
      this.log(`${style.bold('zoomctl serve')} listening on ${style.cyan(receiver.url)}`)
      this.log(`  auth: ${describeAuth(auth)}; timestamp tolerance: ${flags.tolerance ? `${flags.tolerance} s` : 'off'}; data: ${flags['data-dir']}`)
      if (!tls && !isLoopback(flags.host)) {
        this.log(style.yellow('  note: Zoom only delivers to https URLs with a publicly trusted certificate: use --tls-cert/--tls-key or a TLS proxy in front'))
      }
      this.log(style.dim('  Ctrl-C to stop'))
    }

    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGINT', () => resolve('SIGINT'))
      process.once('SIGTERM', () => resolve('SIGTERM'))
    })
    await receiver.close()
    if (json) process.stdout.write(`${JSON.stringify({type: 'stopped', signal, counts})}\n`)
    else this.log(`stopped (${signal}): ${Object.entries(counts).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(', ') || 'no deliveries'}`)
  }
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.')
}

function formatOutcome(outcome: DeliveryOutcome): string {
  const time = outcome.receivedAt.toISOString().slice(11, 23)
  const color = statusColor(outcome.status)
  const parts = [style.dim(time), color(String(outcome.status)), color(outcome.result.padEnd(9)), outcome.eventType ? outcome.eventType.padEnd(30) : style.dim('-'.padEnd(30))]
  if (outcome.accountId) parts.push(style.dim(`account ${outcome.accountId}`))
  if (outcome.duplicateOf) parts.push(style.dim(`copy of ${outcome.duplicateOf}`))
  if (outcome.detail) parts.push(outcome.result === 'refused' || outcome.result === 'error' ? style.yellow(outcome.detail) : outcome.detail)
  parts.push(style.dim(`${outcome.remoteAddress} ${formatMs(outcome.durationMs)}`))
  return parts.join('  ')
}
