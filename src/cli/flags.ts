import {Flags} from '@oclif/core'

import {assertSupportedVersion, LATEST_KNOWN_VERSION, OLDEST_SUPPORTED_VERSION} from '../mapping/version.js'
import {OptionError, parseDuration, readUserFile} from '../config/index.js'
import {anotherServesToken, isLoopbackHost, localTokenPath, readLocalToken} from '../config/local-token.js'
import type {ElasticSettings} from '../elastic/connection.js'
import {safeUrl} from '../elastic/url.js'
import {DEFAULT_DATA_DIR} from '../store/index.js'
import {AUTH_MODES} from '../zoom/auth.js'

/** Auth flags shared by serve and simulate: each can also come from an env var, so secrets stay off the command line. */
export const authFlags = {
  auth: Flags.string({
    description: 'how deliveries authenticate: signature (Zoom default), header (Elastic integration: a static header), basic or bearer. Zoom signs in every mode.',
    options: [...AUTH_MODES],
    default: 'signature',
    env: 'ZOOMCTL_AUTH',
    helpGroup: 'AUTH',
  }),
  'secret-token': Flags.string({
    description: "the event subscription's Secret Token: signs or verifies x-zm-signature and answers URL validation",
    env: 'ZOOM_WEBHOOK_SECRET_TOKEN',
    helpGroup: 'AUTH',
  }),
  'auth-header': Flags.string({
    description: 'header name for --auth header',
    default: 'Authorization',
    env: 'ZOOMCTL_AUTH_HEADER',
    helpGroup: 'AUTH',
  }),
  'auth-value': Flags.string({description: 'header value for --auth header', env: 'ZOOMCTL_AUTH_VALUE', helpGroup: 'AUTH'}),
  'basic-user': Flags.string({description: 'user name for --auth basic', env: 'ZOOMCTL_BASIC_USER', helpGroup: 'AUTH'}),
  'basic-password': Flags.string({description: 'password for --auth basic', env: 'ZOOMCTL_BASIC_PASSWORD', helpGroup: 'AUTH'}),
  'bearer-token': Flags.string({description: 'token for --auth bearer', env: 'ZOOMCTL_BEARER_TOKEN', helpGroup: 'AUTH'}),
}

/**
 * Several Zoom apps on one endpoint: NAME=SECRET, once per app (in the config file a map, app-token:
 * {sales: env:ZOOM_SALES_TOKEN}). serve verifies with each in turn; simulate --app NAME signs with one.
 */
export const appTokenFlag = Flags.string({
  description: "a Zoom app's name and Secret Token, NAME=SECRET (or NAME=env:VAR, NAME=file:PATH); once per app sending to this endpoint",
  multiple: true,
  // One value per --app-token: the command's arguments after it stay arguments.
  multipleNonGreedy: true,
  helpGroup: 'AUTH',
})

export interface AuthFlagValues {
  auth?: string
  'secret-token'?: string
  'auth-header'?: string
  'auth-value'?: string
  'basic-user'?: string
  'basic-password'?: string
  'bearer-token'?: string
}

/**
 * serve's data dir as a flag: every command that writes or reads it takes it the same way (the flag,
 * ZOOMCTL_DATA_DIR, or a config file's data-dir), so that one setting points them all at the same store.
 */
export function dataDirFlag(description: string) {
  return Flags.string({description, default: DEFAULT_DATA_DIR, env: 'ZOOMCTL_DATA_DIR'})
}

/** The auth flags to send with, and the file the secret token was read from when it was a local serve's. */
export interface LocalTokenLookup {
  flags: AuthFlagValues
  /** Set when the token came from a local serve's data dir: a 401 then most likely means another serve's. */
  tokenFile?: string
}

/**
 * The secret token for sending to `url`: the given one, else — when the URL is a local serve — the one that
 * serve made and keeps in its data dir, looked for in `dataDirs` in turn (by default ZOOMCTL_DATA_DIR or
 * ./zoomctl-data), so a first try needs no setup.
 */
export async function tokenForLocalTarget(flags: AuthFlagValues, url: string, dataDirs: string[] = [process.env.ZOOMCTL_DATA_DIR ?? DEFAULT_DATA_DIR]): Promise<LocalTokenLookup> {
  if (flags['secret-token'] || !isLocalUrl(url)) return {flags}
  for (const dataDir of new Set(dataDirs)) {
    const token = await readLocalToken(dataDir)
    if (token) return {flags: {...flags, 'secret-token': token}, tokenFile: localTokenPath(dataDir)}
  }
  return {flags}
}

/**
 * What to say when a local endpoint answered 401 to a token read from a serve's data dir: most likely it is
 * another serve, with a token of its own. undefined when the token was given, or nothing was refused.
 */
export function otherServeHint(lookup: LocalTokenLookup, refused: boolean): string | undefined {
  return lookup.tokenFile && refused ? anotherServesToken(lookup.tokenFile) : undefined
}

/** Where a local serve's token was looked for, for the error that says none was found; none for another host. */
export function localTokenHint(url: string, dataDirs: string[] = [process.env.ZOOMCTL_DATA_DIR ?? DEFAULT_DATA_DIR]): string | undefined {
  if (!isLocalUrl(url)) return undefined
  return `a local zoomctl serve keeps the token it made in its data dir, and none is in ${[...new Set(dataDirs)].join(' or ')}: name serve's data dir (--data-dir or ZOOMCTL_DATA_DIR), or give the token`
}

/** A URL on this machine (loopback): where a local serve, and its token, may be. A URL that does not parse is not. */
function isLocalUrl(url: string): boolean {
  try {
    return isLoopbackHost(new URL(url).hostname)
  } catch {
    return false
  }
}

export function authOptionsFrom(flags: AuthFlagValues) {
  return {
    auth: flags.auth,
    secretToken: flags['secret-token'],
    authHeader: flags['auth-header'],
    authValue: flags['auth-value'],
    basicUser: flags['basic-user'],
    basicPassword: flags['basic-password'],
    bearerToken: flags['bearer-token'],
  }
}

export const tlsClientFlags = {
  insecure: Flags.boolean({description: 'accept any TLS certificate (self-signed test receivers; Zoom itself never does)', default: false, env: 'ZOOMCTL_INSECURE'}),
  ca: Flags.string({description: 'PEM file of a CA to trust for https URLs', env: 'ZOOMCTL_CA'}),
}

export const integrationVersionFlag = Flags.string({
  description: `version of Elastic's Zoom integration to reproduce (${OLDEST_SUPPORTED_VERSION} to ${LATEST_KNOWN_VERSION}; default ${LATEST_KNOWN_VERSION})`,
  env: 'ZOOMCTL_INTEGRATION_VERSION',
})

/** The --integration-version value, checked up front so that serve never starts with one it cannot map. */
export function integrationVersion(value: string | undefined): string | undefined {
  if (value === undefined) return undefined
  try {
    assertSupportedVersion(value)
  } catch (error) {
    throw new OptionError(`--integration-version: ${(error as Error).message}`)
  }
  return value
}

/** How to reach Elasticsearch: flags with the env names Elastic's own tools use. */
export const elasticFlags = {
  'es-url': Flags.string({
    description: 'Elasticsearch URL(s), comma-separated (env ELASTICSEARCH_HOSTS, or ELASTICSEARCH_HOST)',
    env: 'ELASTICSEARCH_HOSTS',
    helpGroup: 'ELASTICSEARCH',
  }),
  'cloud-id': Flags.string({description: 'Elastic Cloud ID instead of --es-url', env: 'ELASTIC_CLOUD_ID', helpGroup: 'ELASTICSEARCH'}),
  'api-key': Flags.string({description: 'API key: encoded, or id:key as the Agent takes it', env: 'ELASTICSEARCH_API_KEY', helpGroup: 'ELASTICSEARCH'}),
  username: Flags.string({description: 'user for basic auth', env: 'ELASTICSEARCH_USERNAME', helpGroup: 'ELASTICSEARCH'}),
  password: Flags.string({description: 'password for --username', env: 'ELASTICSEARCH_PASSWORD', helpGroup: 'ELASTICSEARCH'}),
  'ca-cert': Flags.string({description: 'PEM file of the CA that signed the certificate of Elasticsearch', env: 'ELASTICSEARCH_CA', helpGroup: 'ELASTICSEARCH'}),
  'ca-fingerprint': Flags.string({description: 'SHA-256 fingerprint of that CA', env: 'ELASTICSEARCH_CA_FINGERPRINT', helpGroup: 'ELASTICSEARCH'}),
  'es-insecure': Flags.boolean({description: 'accept any certificate from Elasticsearch (tests only: warned)', default: false, helpGroup: 'ELASTICSEARCH'}),
  namespace: Flags.string({description: 'data stream namespace of the Zoom integration', default: 'default', env: 'ZOOMCTL_NAMESPACE', helpGroup: 'ELASTICSEARCH'}),
  'es-timeout': Flags.string({description: 'give up on one Elasticsearch request after this long', default: '30s', helpGroup: 'ELASTICSEARCH'}),
}

export interface ElasticFlagValues {
  'es-url'?: string
  'cloud-id'?: string
  'api-key'?: string
  username?: string
  password?: string
  'ca-cert'?: string
  'ca-fingerprint'?: string
  'es-insecure'?: boolean
  namespace?: string
  'es-timeout'?: string
}

/** The connection settings, or undefined when no Elasticsearch was named (flag or env). */
export async function elasticSettingsFrom(flags: ElasticFlagValues, env: NodeJS.ProcessEnv = process.env): Promise<ElasticSettings | undefined> {
  const urls = flags['es-url'] ?? env.ELASTICSEARCH_HOST
  if (!urls && !flags['cloud-id']) return undefined
  const nodes = (urls ?? '').split(',').map((url) => url.trim()).filter(Boolean)
  for (const [i, node] of nodes.entries()) {
    // Which one, in a list; the value itself with any credentials in it masked.
    const which = `--es-url${nodes.length > 1 ? ` (node ${i + 1} of ${nodes.length})` : ''}`
    const shown = safeUrl(node).slice(0, 80)
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(node)) throw new OptionError(`${which}: "${shown}" has no http:// or https://`, {hint: `write it as https://${shown.replace(/^…@/, '')} (http:// without TLS)${shown.startsWith('…@') ? '; credentials go in --api-key or --username and --password, not in the URL' : ''}`})
    let parsed: URL
    try {
      parsed = new URL(node)
    } catch {
      throw new OptionError(`${which}: "${shown}" is not a URL: use e.g. https://localhost:9200`)
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new OptionError(`${which}: use http:// or https://, not ${parsed.protocol}`)
  }
  const namespace = flags.namespace ?? 'default'
  if (!/^[a-z0-9_.+!@$%^&()={}[\]';~`]{1,100}$/.test(namespace) || namespace.includes('-')) {
    throw new OptionError(`--namespace "${namespace}" is not a data stream namespace: lower case, no "-", no spaces, at most 100 characters`)
  }
  if (flags['ca-fingerprint'] && nodes.some((node) => node.startsWith('http:'))) {
    throw new OptionError('--ca-fingerprint needs https:// in --es-url')
  }
  return {
    nodes,
    cloudId: flags['cloud-id'],
    apiKey: flags['api-key'],
    username: flags.username,
    password: flags.password,
    caCert: flags['ca-cert'] ? await readUserFile(flags['ca-cert']) : undefined,
    caFingerprint: flags['ca-fingerprint'],
    insecure: flags['es-insecure'],
    requestTimeoutMs: parseDuration(flags['es-timeout'] ?? '30s', '--es-timeout'),
    namespace,
  }
}

/** serve's onward delivery: to an Elastic Agent, to Elasticsearch (with elasticFlags), or both. */
export const forwardFlags = {
  'forward-to': Flags.string({description: "relay each accepted delivery, byte for byte, to this URL (the Elastic Agent's Zoom endpoint)", env: 'ZOOMCTL_FORWARD_TO', helpGroup: 'FORWARDING'}),
  'forward-header': Flags.string({
    description: 'the static header the agent checks, "Name: value" (the integration\'s secret_header and secret_value)',
    env: 'ZOOMCTL_FORWARD_HEADER',
    helpGroup: 'FORWARDING',
  }),
  'forward-insecure': Flags.boolean({description: "accept any certificate from --forward-to (tests only)", default: false, helpGroup: 'FORWARDING'}),
  'pre-map': Flags.boolean({
    description: "with --es-url: index zoomctl's mapped documents into logs-zoomctl.webhook-<namespace> with no pipeline (clusters without the Zoom integration)",
    default: false,
    helpGroup: 'FORWARDING',
  }),
  'batch-size': Flags.integer({description: 'records per _bulk request (at most about 5 MiB of them)', default: 2000, min: 1, max: 10_000, helpGroup: 'FORWARDING'}),
  'batches-in-flight': Flags.integer({
    description: 'batches sent at once per sink (the cursor still moves over them in store order)',
    default: 3,
    min: 1,
    max: 32,
    helpGroup: 'FORWARDING',
  }),
  'flush-interval': Flags.string({description: 'wait this long for a batch to fill', default: '200ms', helpGroup: 'FORWARDING'}),
  'retry-max': Flags.string({description: 'longest wait between two tries of a batch (exponential back-off with jitter up to it)', default: '30s', helpGroup: 'FORWARDING'}),
  'pause-interval': Flags.string({description: 'how long a sink that refused the credentials waits before trying again', default: '60s', hidden: true, helpGroup: 'FORWARDING'}),
  'ack-after-index': Flags.boolean({
    description: 'with --es-url: answer Zoom 200 only once Elasticsearch has the document, so that a replica that dies strands nothing it acknowledged',
    default: false,
    helpGroup: 'FORWARDING',
  }),
  'ack-timeout': Flags.string({description: 'with --ack-after-index: how long an answer waits for Elasticsearch (Zoom gives up after 3 s)', default: '2s', helpGroup: 'FORWARDING'}),
  'ack-fallback': Flags.string({
    description: 'with --ack-after-index, when Elasticsearch has not confirmed in time: retry answers 503 (Zoom retries ~5, 25, 85 min later), store answers 200 and forwards from the store later',
    options: ['retry', 'store'],
    default: 'retry',
    helpGroup: 'FORWARDING',
  }),
  'dedupe-index': Flags.boolean({
    description: 'with --es-url: when an event predates the backing index its document landed in (a retry or a copy after a rollover of the data stream), look for an earlier copy in the older ones and delete the later, so that it is indexed once',
    default: true,
    allowNo: true,
    helpGroup: 'FORWARDING',
  }),
  'clock-margin': Flags.string({description: 'how far apart the clocks of Zoom, serve and the cluster may be (the rollover check counts on it)', default: '60s', hidden: true, helpGroup: 'FORWARDING'}),
  'rollover-settle': Flags.string({description: 'how long after a rollover a write still routed to the old write index may take to be visible there (checks of copies wait that long)', default: '30s', hidden: true, helpGroup: 'FORWARDING'}),
}

/** serve's inspector page: on its own address, never the webhook's (which may be public). */
export const uiFlags = {
  ui: Flags.boolean({description: 'serve the inspector page: every delivery, its verdict, the document Elastic indexes, re-send', default: false, helpGroup: 'INSPECTOR'}),
  'ui-host': Flags.string({description: 'address of the inspector (beyond loopback it needs the token printed at start)', default: '127.0.0.1', env: 'ZOOMCTL_UI_HOST', helpGroup: 'INSPECTOR'}),
  'ui-port': Flags.integer({description: 'port of the inspector (0: a free one)', default: 8190, min: 0, max: 65535, env: 'ZOOMCTL_UI_PORT', helpGroup: 'INSPECTOR'}),
}

/** Kibana, for setup and doctor: the env names Elastic's own tools use. */
export const kibanaFlags = {
  'kibana-url': Flags.string({description: 'Kibana URL (Fleet)', env: 'KIBANA_HOST', helpGroup: 'KIBANA'}),
  'kibana-api-key': Flags.string({description: 'Kibana API key (an encoded Elasticsearch API key)', env: 'KIBANA_API_KEY', helpGroup: 'KIBANA'}),
  'kibana-username': Flags.string({description: 'Kibana user, without an API key', env: 'KIBANA_USERNAME', helpGroup: 'KIBANA', dependsOn: ['kibana-password']}),
  'kibana-password': Flags.string({description: "the Kibana user's password", env: 'KIBANA_PASSWORD', helpGroup: 'KIBANA', dependsOn: ['kibana-username']}),
}
