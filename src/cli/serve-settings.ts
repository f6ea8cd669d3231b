import {isLoopbackHost} from '../config/local-token.js'
import {OptionError, parseAppTokens, parseDuration, parseHeader, parseSize, readUserFile, resolveAuth} from '../config/index.js'
import type {ServeSettings} from '../receiver/service.js'
import {checkTlsPair} from '../receiver/tls.js'
import {type AuthFlagValues, authOptionsFrom, type ElasticFlagValues, elasticSettingsFrom, forwardFlags, integrationVersion} from './flags.js'
import {type WebSocketFlagValues, websocketTargetFrom, websocketTokensFrom} from './websocket-settings.js'

export interface ServeFlagValues extends AuthFlagValues, ElasticFlagValues, WebSocketFlagValues {
  host: string
  port: number
  path: string
  'data-dir': string
  tolerance: number
  'max-body': string
  'tls-cert'?: string
  'tls-key'?: string
  fsync: boolean
  'dedupe-window': string
  'integration-version'?: string
  'forward-to'?: string
  'forward-header'?: string
  'forward-insecure': boolean
  'pre-map': boolean
  'batch-size': number
  'batches-in-flight': number
  'flush-interval': string
  'pause-interval': string
  'retry-max': string
  'ack-after-index': boolean
  'ack-timeout': string
  'ack-fallback': string
  'dedupe-index': boolean
  'rollover-settle': string
  'clock-margin': string
  'previous-secret-token'?: string
  'retry-mismatched': boolean
  'app-token'?: string[]
  'log-format'?: string
  ui: boolean
  'ui-host': string
  'ui-port': number
  websocket?: boolean
}

/** Every serve flag checked and turned into settings, before anything starts (exit 2 on bad input). */
export async function serveSettingsFrom(flags: ServeFlagValues): Promise<ServeSettings> {
  const apps = parseAppTokens(flags['app-token'])
  const auth = {...resolveAuth(authOptionsFrom(flags)), ...(flags['previous-secret-token'] ? {previousSecretToken: flags['previous-secret-token']} : {}), ...(apps.length ? {apps} : {})}
  if (auth.previousSecretToken && !auth.secretToken) throw new OptionError('--previous-secret-token goes with --secret-token: the new Secret Token verifies, the previous one is accepted beside it')
  const version = integrationVersion(flags['integration-version'])
  const loopback = isLoopbackHost(flags.host)
  if (!auth.secretToken && !apps.length && !loopback) {
    throw new OptionError(`a receiver on ${flags.host} needs the Secret Token of your Zoom app's event subscription`, {
      hint: 'export ZOOM_WEBHOOK_SECRET_TOKEN=… (Zoom App Marketplace → your app → Feature → Secret Token), or listen on 127.0.0.1 to get a generated one',
    })
  }
  const tls = flags['tls-cert'] && flags['tls-key'] ? {cert: await readUserFile(flags['tls-cert']), key: await readUserFile(flags['tls-key']), certFile: flags['tls-cert'], keyFile: flags['tls-key']} : undefined
  if (tls) checkTlsPair(tls.cert, tls.key, {cert: flags['tls-cert']!, key: flags['tls-key']!})
  const elastic = await elasticSettingsFrom(flags)
  if (flags['pre-map'] && !elastic) throw new OptionError('--pre-map goes with --es-url: it chooses what serve indexes into Elasticsearch')
  if (flags['ack-after-index'] && !elastic) throw new OptionError('--ack-after-index goes with --es-url: it answers Zoom once Elasticsearch has the document')
  const ackBudgetMs = parseDuration(flags['ack-timeout'], '--ack-timeout')
  if (flags['ack-after-index'] && (ackBudgetMs <= 0 || ackBudgetMs >= 3000)) throw new OptionError('--ack-timeout must be above 0 and below 3s: Zoom gives up on an answer after 3 s')
  // Given without --ack-after-index they change nothing: said at start (a config file may keep them for when it is on).
  const idleAckFlags = flags['ack-after-index'] ? [] : (['ack-fallback', 'ack-timeout'] as const).filter((name) => flags[name] !== forwardFlags[name].default).map((name) => `--${name}`)
  let agent
  if (flags['forward-to']) {
    try {
      const url = new URL(flags['forward-to'])
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme')
    } catch {
      throw new OptionError('--forward-to must be an http(s) URL, e.g. http://127.0.0.1:8182/zoom-webhook')
    }
    agent = {url: flags['forward-to'], header: flags['forward-header'] ? parseHeader(flags['forward-header']) : undefined, insecure: flags['forward-insecure']}
  } else if (flags['forward-header']) {
    throw new OptionError('--forward-header goes with --forward-to')
  }
  return {
    host: flags.host,
    port: flags.port,
    path: flags.path.startsWith('/') ? flags.path : `/${flags.path}`,
    dataDir: flags['data-dir'],
    toleranceSeconds: flags.tolerance,
    maxBodyBytes: parseSize(flags['max-body'], '--max-body'),
    fsync: flags.fsync,
    dedupeWindowMs: parseDuration(flags['dedupe-window'], '--dedupe-window'),
    auth,
    retryMismatched: flags['retry-mismatched'],
    generateToken: !auth.secretToken && !apps.length && loopback,
    tls,
    integrationVersion: version,
    ...(flags.ui ? {ui: {host: flags['ui-host'], port: flags['ui-port']}} : {}),
    ...(flags.websocket ? {websocket: {...websocketTargetFrom(flags), tokens: websocketTokensFrom(flags)}} : {}),
    ...(idleAckFlags.length ? {warnings: [`${idleAckFlags.join(' and ')} only apply with --ack-after-index: without it serve answers once a delivery is stored, and forwards it after`]} : {}),
    forward: {
      agent,
      elastic: elastic
        ? {
            settings: elastic,
            preMap: flags['pre-map'],
            integrationVersion: version,
            dedupeIndex: flags['dedupe-index'],
            settleMs: parseDuration(flags['rollover-settle'], '--rollover-settle'),
            clockMarginMs: parseDuration(flags['clock-margin'], '--clock-margin'),
            ...(flags['ack-after-index'] ? {ack: {budgetMs: ackBudgetMs, fallback: flags['ack-fallback'] === 'store' ? ('store' as const) : ('retry' as const)}} : {}),
          }
        : undefined,
      batchSize: flags['batch-size'],
      batchesInFlight: flags['batches-in-flight'],
      flushMs: parseDuration(flags['flush-interval'], '--flush-interval'),
      pauseMs: parseDuration(flags['pause-interval'], '--pause-interval'),
      maxBackoffMs: parseDuration(flags['retry-max'], '--retry-max'),
    },
  }
}
