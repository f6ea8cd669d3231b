import {Agent, type Dispatcher, request} from 'undici'

import {describeCredential} from '../elastic/credentials.js'
import {safeUrl} from '../elastic/url.js'
import {UserError} from '../errors.js'
import {describeNetworkError} from '../sender/client.js'
import {REPORT_STREAMS, type ReportStream} from '../zoom/reports.js'
import {type AuditStreamsInput, packagePolicyBody, type PolicyTarget, SIBLING_INPUT, supportsSimplified, type WebhookInput} from './policy.js'

export interface KibanaSettings {
  url: string
  apiKey?: string
  username?: string
  password?: string
  /** A Kibana space other than the default one. */
  space?: string
  ca?: Buffer
  insecure?: boolean
  timeoutMs?: number
}

export interface ZoomPackage {
  /** Installed version, if any. */
  installed?: string
  /** The newest version this Kibana can install. */
  latest: string
}

export interface AgentPolicy {
  id: string
  name: string
  namespace?: string
}

/** An audit stream as an agent policy runs it (from Fleet's package policy). */
export interface AuditStreamSetting {
  policy: string
  stream: ReportStream
  enabled: boolean
  interval?: string
  /** The integration's URL setting: where the agent polls (Zoom, or a simulate-api). */
  url?: string
}

export interface ZoomPackagePolicy {
  id: string
  name: string
  policyIds: string[]
}

/**
 * Kibana's Fleet API for what setup does: find, install and configure the Zoom integration
 * (../shared/elastic-api §E). 7.x answers under `response` where 8.x/9.x use `item`/`items`.
 */
export class FleetClient {
  private readonly dispatcher: Dispatcher
  private readonly base: string
  version = ''

  constructor(private readonly settings: KibanaSettings) {
    this.base = `${settings.url.replace(/\/$/, '')}${settings.space ? `/s/${settings.space}` : ''}`
    this.dispatcher = new Agent({connect: {rejectUnauthorized: !settings.insecure, ...(settings.ca ? {ca: settings.ca} : {})}, headersTimeout: settings.timeoutMs ?? 30_000, bodyTimeout: settings.timeoutMs ?? 30_000})
  }

  private get authorization(): string | undefined {
    if (this.settings.apiKey) return `ApiKey ${this.settings.apiKey}`
    if (this.settings.username) return `Basic ${Buffer.from(`${this.settings.username}:${this.settings.password ?? ''}`).toString('base64')}`
    return undefined
  }

  private async call<T>(method: Dispatcher.HttpMethod, path: string, body?: unknown): Promise<T> {
    const url = `${this.base}${path}`
    let response
    try {
      response = await request(url, {
        method,
        dispatcher: this.dispatcher,
        headers: {
          accept: 'application/json',
          // Kibana refuses every non-GET request without it (400 "Request must contain a kbn-xsrf header").
          'kbn-xsrf': 'zoomctl',
          ...(body === undefined ? {} : {'content-type': 'application/json'}),
          ...(this.authorization ? {authorization: this.authorization} : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
    } catch (error) {
      throw new UserError(`cannot reach Kibana: ${describeNetworkError(error, url)}`, {category: 'network', code: 'kibana-unreachable', hint: 'check --kibana-url (Kibana, not Elasticsearch: port 5601 by default)'})
    }
    const text = await response.body.text()
    let parsed: unknown
    try {
      parsed = text ? JSON.parse(text) : {}
    } catch {
      parsed = {message: text.slice(0, 200)}
    }
    if (response.statusCode >= 400) {
      const message = (parsed as {message?: string}).message ?? `HTTP ${response.statusCode}`
      const who = describeCredential(this.settings)
      if (response.statusCode === 401) {
        // Both ways zoomctl signs in, the API key first: Kibana makes one for any user who can sign in.
        const anonymous = !this.settings.apiKey && !this.settings.username
        const hint = anonymous
          ? 'give a Kibana API key (--kibana-api-key, KIBANA_API_KEY; Kibana makes one under Stack Management → API keys), or --kibana-username and --kibana-password'
          : 'check --kibana-api-key (KIBANA_API_KEY), or --kibana-username and --kibana-password: a key may be revoked, expired, or from another cluster'
        throw new UserError(anonymous ? `Kibana wants credentials (401): ${message}` : `Kibana refused ${who} (401): ${message}`, {category: 'auth', code: 'kibana-401', hint})
      }
      if (response.statusCode === 403) {
        throw new UserError(`Kibana does not allow ${who} to ${method} ${path.split('?')[0]} (403): ${message}`, {
          category: 'auth',
          code: 'kibana-403',
          hint: 'the role needs the Kibana privileges Integrations: All and Fleet → Agent policies: All',
        })
      }
      throw new UserError(`Kibana answered ${response.statusCode} to ${method} ${path.split('?')[0]}: ${message}`, {category: 'elastic', code: `kibana-${response.statusCode}`})
    }
    return parsed as T
  }

  async connect(): Promise<string> {
    const status = await this.call<{version?: {number?: string}}>('GET', '/api/status')
    this.version = status.version?.number ?? ''
    if (!this.version) throw new UserError(`${safeUrl(this.settings.url)} answered, but not with Kibana's status`, {code: 'not-kibana', hint: 'point --kibana-url at Kibana'})
    return this.version
  }

  private get legacy(): boolean {
    return Number(this.version.split('.')[0]) < 8
  }

  async zoomPackage(): Promise<ZoomPackage> {
    const answer = await this.call<{item?: PackageItem; response?: PackageItem}>('GET', '/api/fleet/epm/packages/zoom')
    const item = answer.item ?? answer.response ?? {}
    const installed = item.installationInfo?.version ?? (item.status === 'installed' ? (item.savedObject?.attributes?.version ?? item.version) : undefined)
    return {installed, latest: item.version ?? 'unknown'}
  }

  async installZoom(version: string): Promise<void> {
    await this.call('POST', this.legacy ? `/api/fleet/epm/packages/zoom-${version}` : `/api/fleet/epm/packages/zoom/${version}`, {force: false})
  }

  async agentPolicies(): Promise<AgentPolicy[]> {
    const answer = await this.call<{items?: AgentPolicy[]}>('GET', '/api/fleet/agent_policies?perPage=100')
    return (answer.items ?? []).map(({id, name, namespace}) => ({id, name, namespace}))
  }

  /** The Zoom package policies already in Fleet: re-running setup updates one instead of adding another. */
  async zoomPackagePolicies(): Promise<ZoomPackagePolicy[]> {
    const kuery = encodeURIComponent('ingest-package-policies.package.name:zoom')
    const answer = await this.call<{items?: Array<{id: string; name: string; policy_id?: string; policy_ids?: string[]}>}>('GET', `/api/fleet/package_policies?perPage=100&kuery=${kuery}`)
    return (answer.items ?? []).map((item) => ({id: item.id, name: item.name, policyIds: item.policy_ids ?? (item.policy_id ? [item.policy_id] : [])}))
  }

  /** The webhook settings of each Zoom package policy (simplified format, 8.5+), for doctor to compare. */
  async zoomWebhookSettings(): Promise<Array<{id: string; name: string; vars: Record<string, unknown>}>> {
    const kuery = encodeURIComponent('ingest-package-policies.package.name:zoom')
    const format = supportsSimplified(this.version) ? '&format=simplified' : ''
    const answer = await this.call<{items?: Array<{id: string; name: string; inputs?: unknown}>}>('GET', `/api/fleet/package_policies?perPage=100&kuery=${kuery}${format}`)
    return (answer.items ?? []).map((item) => ({id: item.id, name: item.name, vars: webhookVarsOf(item.inputs)}))
  }

  /**
   * Each Zoom package policy's audit streams (the CEL input's activity, operation, meeting_activity): on or
   * off, their interval, and the URL they poll (a package-level var, or the input's in some versions).
   */
  async zoomAuditStreams(): Promise<AuditStreamSetting[]> {
    const kuery = encodeURIComponent('ingest-package-policies.package.name:zoom')
    const format = supportsSimplified(this.version) ? '&format=simplified' : ''
    const answer = await this.call<{items?: Array<{name: string; vars?: unknown; inputs?: unknown}>}>('GET', `/api/fleet/package_policies?perPage=100&kuery=${kuery}${format}`)
    return (answer.items ?? []).flatMap((item) => auditStreamsOf(item.name, item.vars, item.inputs))
  }

  /** Adds the Zoom webhook input to an agent policy, or updates the one setup added before. */
  async applyZoomPolicy(target: PolicyTarget, input: WebhookInput, audit?: AuditStreamsInput): Promise<{action: 'created' | 'updated'; id: string}> {
    const body = packagePolicyBody(target, input, audit)
    const format = supportsSimplified(this.version) ? '?format=simplified' : ''
    const existing = (await this.zoomPackagePolicies()).find((policy) => policy.name === target.name && policy.policyIds.includes(target.agentPolicyId))
    if (existing) {
      const answer = await this.call<{item?: {id: string}}>('PUT', `/api/fleet/package_policies/${existing.id}${format}`, body)
      return {action: 'updated', id: answer.item?.id ?? existing.id}
    }
    const answer = await this.call<{item?: {id: string}; response?: {id: string}}>('POST', `/api/fleet/package_policies${format}`, body)
    return {action: 'created', id: answer.item?.id ?? answer.response?.id ?? ''}
  }

  async close(): Promise<void> {
    await this.dispatcher.close()
  }
}

interface PackageItem {
  version?: string
  status?: string
  installationInfo?: {version?: string}
  savedObject?: {attributes?: {version?: string}}
}

/** The audit streams of one package policy, from either format ({value} wrappers of the legacy one unwrapped). */
function auditStreamsOf(policy: string, packageVars: unknown, inputs: unknown): AuditStreamSetting[] {
  const unwrap = (vars: unknown) => Object.fromEntries(Object.entries((vars ?? {}) as Record<string, unknown>).map(([name, value]) => [name, value && typeof value === 'object' && 'value' in value ? (value as {value: unknown}).value : value]))
  const topVars = unwrap(packageVars)
  let input: {enabled?: boolean; vars?: Record<string, unknown>; streams: Record<string, {enabled?: boolean; vars?: Record<string, unknown>}>} | undefined
  if (Array.isArray(inputs)) {
    const cel = inputs.find((candidate: {type?: string}) => candidate.type === 'cel') as {enabled?: boolean; vars?: unknown; streams?: Array<{enabled?: boolean; data_stream?: {dataset?: string}; vars?: unknown}>} | undefined
    if (cel) input = {enabled: cel.enabled, vars: unwrap(cel.vars), streams: Object.fromEntries((cel.streams ?? []).map((stream) => [stream.data_stream?.dataset ?? '', {enabled: stream.enabled, vars: unwrap(stream.vars)}]))}
  } else if (inputs && typeof inputs === 'object') {
    const cel = (inputs as Record<string, {enabled?: boolean; vars?: Record<string, unknown>; streams?: Record<string, {enabled?: boolean; vars?: Record<string, unknown>}>}>)[SIBLING_INPUT]
    if (cel) input = {enabled: cel.enabled, vars: cel.vars, streams: cel.streams ?? {}}
  }
  return REPORT_STREAMS.map((stream) => {
    const entry = input?.streams[`zoom.${stream}`]
    const url = topVars.url ?? input?.vars?.url
    return {policy, stream, enabled: Boolean(input?.enabled !== false && entry?.enabled), interval: typeof entry?.vars?.interval === 'string' ? entry.vars.interval : undefined, url: typeof url === 'string' ? url : undefined}
  })
}

/** The webhook stream's vars from either format ({value} wrappers of the legacy one unwrapped). */
function webhookVarsOf(inputs: unknown): Record<string, unknown> {
  let vars: Record<string, unknown> = {}
  if (Array.isArray(inputs)) {
    const input = inputs.find((candidate: {type?: string}) => candidate.type === 'http_endpoint') as {streams?: Array<{vars?: Record<string, {value?: unknown}>}>} | undefined
    vars = Object.fromEntries(Object.entries(input?.streams?.[0]?.vars ?? {}).map(([name, wrapped]) => [name, wrapped?.value]))
  } else if (inputs && typeof inputs === 'object') {
    vars = ((inputs as Record<string, {streams?: Record<string, {vars?: Record<string, unknown>}>}>)['zoom-http_endpoint']?.streams?.['zoom.webhook']?.vars ?? {}) as Record<string, unknown>
  }
  return vars
}
