import {Client, errors} from '@elastic/elasticsearch'

type ClientOptions = NonNullable<ConstructorParameters<typeof Client>[0]>

import {UserError} from '../errors.js'
import {apiKeyOption, describeCredential} from './credentials.js'
import {OLDEST_ELASTICSEARCH} from './names.js'
import {safeUrl} from './url.js'

/** How to reach Elasticsearch: the same settings for validate, doctor, serve's forwarding and replay. */
export interface ElasticSettings {
  nodes: string[]
  cloudId?: string
  /** Either the encoded form (base64 of id:key) or "id:key" as Beats and the Agent take it. */
  apiKey?: string
  username?: string
  password?: string
  /** PEM of a CA to trust. */
  caCert?: string | Buffer
  /** SHA-256 of the root certificate of the served chain. */
  caFingerprint?: string
  insecure?: boolean
  requestTimeoutMs?: number
  namespace: string
}

export interface ClusterInfo {
  clusterName: string
  version: string
  /** default, oss, serverless … */
  flavor: string
  serverless: boolean
  /** Set by OpenSearch, which the tests use as a real engine. */
  distribution?: string
}

export interface ElasticConnection {
  client: Client
  info: ClusterInfo
  settings: ElasticSettings
  /** Who the credentials are, for messages: never the secret itself. */
  credential: string
}

/**
 * One client major (9.4, the newest on Node 20) for every server from 7.14 to 9.x: its default
 * `compatible-with=9` media types are refused by 8.x (400) and 7.x (406), so both headers are set to plain
 * JSON client-wide, before the first call. Plain JSON is each server's current version.
 */
export function createElasticClient(settings: ElasticSettings): Client {
  const options: ClientOptions = {
    headers: {accept: 'application/json', 'content-type': 'application/json'},
    requestTimeout: settings.requestTimeoutMs ?? 30_000,
    // The client retries connection errors and 502/503/504 only; callers retry 429 themselves.
    maxRetries: 1,
    compression: false,
  }
  if (settings.cloudId) options.cloud = {id: settings.cloudId}
  else options.nodes = settings.nodes
  if (settings.apiKey) options.auth = {apiKey: apiKeyOption(settings.apiKey)}
  else if (settings.username) options.auth = {username: settings.username, password: settings.password ?? ''}
  const tls: NonNullable<ClientOptions['tls']> = {}
  if (settings.caCert) tls.ca = settings.caCert
  if (settings.insecure) tls.rejectUnauthorized = false
  if (Object.keys(tls).length) options.tls = tls
  if (settings.caFingerprint) options.caFingerprint = settings.caFingerprint
  try {
    return new Client(options)
  } catch (error) {
    throw new UserError(`cannot use these Elasticsearch settings: ${(error as Error).message}`, {
      code: 'elastic-config',
      hint: 'check --es-url (http(s)://host:port) or --cloud-id (name:base64)',
    })
  }
}

/** Reads GET / once: whether this is Elasticsearch, which version, serverless or not. */
export async function connectElastic(settings: ElasticSettings): Promise<ElasticConnection> {
  const client = createElasticClient(settings)
  const credential = describeCredential(settings)
  try {
    return {client, info: await readClusterInfo(client), settings, credential}
  } catch (error) {
    await client.close().catch(() => undefined)
    throw elasticError(error, settings)
  }
}

/**
 * GET / as the first contact, not retried: the client's retry of a connection error waits 1-2 s first
 * (its back-off), and a refused connection or an unknown host is known at once. Later calls keep the retry.
 */
export async function readClusterInfo(client: Client): Promise<ClusterInfo> {
  const body = (await client.info(undefined, {maxRetries: 0})) as unknown as {cluster_name?: string; version?: {number?: string; build_flavor?: string; distribution?: string}}
  return {
    clusterName: body.cluster_name ?? '',
    version: body.version?.number ?? 'unknown',
    flavor: body.version?.build_flavor ?? 'unknown',
    serverless: body.version?.build_flavor === 'serverless',
    ...(body.version?.distribution ? {distribution: body.version.distribution} : {}),
  }
}

const TLS_REASONS: Array<[RegExp, string, string]> = [
  [/CERT_HAS_EXPIRED|certificate has expired/i, 'its certificate has expired', 'renew the certificate of Elasticsearch'],
  [/ERR_TLS_CERT_ALTNAME_INVALID|Hostname\/IP does not match/i, 'its certificate is for another host name', 'use the host name the certificate names in --es-url'],
  [
    /SELF_SIGNED|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT|unable to verify|self[- ]signed/i,
    'its certificate is not signed by a CA this machine trusts',
    'pass the CA with --ca-cert (e.g. config/certs/http_ca.crt) or its fingerprint with --ca-fingerprint',
  ],
  [/fingerprint/i, 'its certificate does not match --ca-fingerprint', 'check the SHA-256 fingerprint of the CA (openssl x509 -fingerprint -sha256)'],
  [/wrong version number|EPROTO|packet length too long/i, 'it does not speak TLS on that port', 'use http:// in --es-url, or the HTTPS port'],
]

/** What a request was for when the caller does not say: left out of "Elasticsearch answered 400". */
const DEFAULT_ACTION = 'reach Elasticsearch'

/**
 * Turns whatever the client threw into one sentence a user can act on, naming the credential used
 * (never its value) and, for 403, the privilege Elasticsearch says is missing.
 */
export function elasticError(error: unknown, settings: ElasticSettings, action = DEFAULT_ACTION): UserError {
  const where = settings.cloudId ? 'the Cloud deployment' : settings.nodes.map(safeUrl).join(', ')
  const text = error instanceof Error ? error.message : String(error)
  if (error instanceof errors.ProductNotSupportedError) {
    return new UserError(`${where} answered, but it is not Elasticsearch (no x-elastic-product header)`, {
      category: 'elastic',
      code: 'not-elasticsearch',
      hint: `point --es-url at Elasticsearch ${OLDEST_ELASTICSEARCH} or later, not Kibana or a proxy that strips headers`,
    })
  }
  if (error instanceof errors.TimeoutError) {
    return new UserError(`cannot ${action}: ${where} did not answer within ${(settings.requestTimeoutMs ?? 30_000) / 1000} s`, {
      category: 'network',
      code: 'elastic-timeout',
      hint: 'check the host and port, a firewall in between, or raise --timeout',
    })
  }
  if (error instanceof errors.ResponseError) {
    const status = error.statusCode ?? 0
    const reason = responseReason(error)
    if (status === 401) {
      const anonymous = !settings.apiKey && !settings.username
      return new UserError(anonymous ? `Elasticsearch wants credentials (401): ${reason}` : `Elasticsearch refused ${describeCredential(settings)} (401): ${reason}`, {
        category: 'auth',
        code: 'elastic-401',
        hint: anonymous
          ? 'give an API key (--api-key, ELASTICSEARCH_API_KEY; Kibana makes one under Stack Management → API keys), or --username and --password'
          : 'check --api-key (ELASTICSEARCH_API_KEY) or --username/--password: the key may be revoked or expired',
      })
    }
    if (status === 403) {
      const missing = grantedBy(reason)
      return new UserError(`Elasticsearch does not allow ${describeCredential(settings)} to ${action} (403)${missing ? `: it needs the ${missing} privilege` : `: ${reason}`}`, {
        category: 'auth',
        code: 'elastic-403',
        hint: missing ? `grant ${missing} on logs-zoom.webhook-* to the key's role` : 'grant the role read and view_index_metadata on logs-zoom.webhook-*',
      })
    }
    // A path in --es-url (a copied Kibana or API URL) makes every request the wrong one: say so, though a proxy may want one.
    const withPath = settings.nodes.some((node) => URL.canParse(node) && new URL(node).pathname.length > 1)
    return new UserError(`Elasticsearch answered ${status}${action === DEFAULT_ACTION ? '' : ` to ${action}`}: ${reason}`, {
      category: 'elastic',
      code: `elastic-${status}`,
      ...(withPath && status >= 400 && status < 500 ? {hint: "give --es-url the cluster's address without a path, e.g. https://localhost:9200 (unless a proxy serves it under one): the client adds each API's path"} : {}),
    })
  }
  if (error instanceof errors.ConnectionError) {
    for (const [pattern, what, hint] of TLS_REASONS) {
      if (pattern.test(text)) return new UserError(`cannot ${action}: TLS with ${where} failed, ${what}`, {category: 'tls', code: 'elastic-tls', hint})
    }
    if (/ECONNREFUSED/.test(text)) {
      return new UserError(`cannot ${action}: ${where} refused the connection`, {
        category: 'network',
        code: 'elastic-unreachable',
        hint: 'is Elasticsearch running, and on that port (9200 by default)?',
      })
    }
    if (/ENOTFOUND|EAI_AGAIN/.test(text)) {
      return new UserError(`cannot ${action}: the host name in ${where} does not resolve`, {category: 'network', code: 'elastic-dns', hint: 'check the spelling of --es-url'})
    }
    if (/other side closed|socket hang up|ECONNRESET/i.test(text) && where.includes('https://') === false) {
      return new UserError(`cannot ${action}: ${where} closed the connection`, {
        category: 'network',
        code: 'elastic-closed',
        hint: 'Elasticsearch 8+ serves HTTPS by default: try https:// in --es-url',
      })
    }
    return new UserError(`cannot ${action}: ${text}`, {category: 'network', code: 'elastic-unreachable', hint: 'check --es-url and the network'})
  }
  if (error instanceof UserError) return error
  return new UserError(`cannot ${action}: ${text}`, {category: 'elastic', code: 'elastic-error'})
}

function responseReason(error: InstanceType<typeof errors.ResponseError>): string {
  const body = error.body as {error?: {reason?: string; type?: string} | string} | undefined
  if (body && typeof body.error === 'object' && body.error?.reason) return body.error.reason
  if (body && typeof body.error === 'string') return body.error
  return error.message
}

/** "… this action is granted by the index privileges [read,all]" → "read" (the least that would do). */
export function grantedBy(reason: string): string | undefined {
  const match = /granted by the (?:index |cluster )?privileges \[([^\]]+)\]/.exec(reason)
  return match ? match[1]!.split(',')[0]!.trim() : undefined
}
