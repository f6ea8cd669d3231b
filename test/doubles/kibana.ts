/**
 * A Kibana Fleet double answering in the shapes of ../shared/elastic-api §E: kbn-xsrf required on every
 * non-GET, ApiKey auth, 8.x item/items and 7.x response keys, the simplified package-policy format from
 * 8.5 (400 for unknown inputs, streams and vars; the CEL input failing unless disabled), secrets returned
 * as references, and package policies updated in place.
 */
import {randomUUID} from 'node:crypto'
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'

const WEBHOOK_VARS = new Set(['listen_address', 'listen_port', 'url', 'crc_enabled', 'crc_secret', 'secret_header', 'secret_value', 'ssl', 'tags', 'preserve_original_event'])
const SECRET_VARS = new Set(['crc_secret', 'secret_value'])
const CEL_STREAMS = new Set(['zoom.activity', 'zoom.operation', 'zoom.meeting_activity'])
const CEL_STREAM_VARS = new Set(['interval', 'initial_interval', 'page_size', 'activity_type', 'http_client_timeout', 'resource_rate_limit_limit', 'resource_rate_limit_burst', 'enable_request_tracer', 'tags', 'preserve_original_event', 'processors'])
const PACKAGE_VARS = new Set(['url', 'token_url', 'account_id', 'client_id', 'client_secret', 'proxy_url', 'ssl'])

export interface KibanaOptions {
  version?: string
  apiKey?: string
  /** A user who may sign in with Basic auth (beside the API key, when both are set). */
  user?: {username: string; password: string}
  zoomInstalled?: string
  /** Writes refused with 403 (a key without Fleet privileges). */
  readOnly?: boolean
  agentPolicies?: Array<{id: string; name: string; namespace?: string}>
}

export interface StoredPolicy {
  id: string
  name: string
  policy_ids: string[]
  package: {name: string; version: string}
  inputs: Record<string, {enabled: boolean; streams?: Record<string, {enabled: boolean; vars?: Record<string, unknown>}>}>
  /** Package-level vars (the CEL streams' URL, token URL and credentials). */
  vars?: Record<string, unknown>
  /** Secret values as Fleet keeps them (never returned). */
  secrets: Record<string, unknown>
}

export class KibanaDouble {
  url = ''
  readonly version: string
  installed?: string
  readonly policies: StoredPolicy[] = []
  readonly requests: Array<{method: string; path: string; headers: IncomingMessage['headers']}> = []
  private server?: Server

  constructor(readonly options: KibanaOptions = {}) {
    this.version = options.version ?? '8.19.4'
    this.installed = options.zoomInstalled
  }

  async start(): Promise<this> {
    this.server = createServer((request, response) => void this.serve(request, response))
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve))
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
    return this
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve))
  }

  private get agentPolicies() {
    return this.options.agentPolicies ?? [{id: 'policy-1', name: 'Zoom agents', namespace: 'default'}]
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    const url = new URL(request.url ?? '/', 'http://kibana')
    this.requests.push({method: request.method ?? 'GET', path: url.pathname + url.search, headers: request.headers})
    const reply = (status: number, body: unknown): void => void response.writeHead(status, {'content-type': 'application/json'}).end(JSON.stringify(body))
    const boom = (status: number, message: string): void => reply(status, {statusCode: status, error: status === 400 ? 'Bad Request' : status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : 'Not Found', message})
    const accepted = [this.options.apiKey && `ApiKey ${this.options.apiKey}`, this.options.user && `Basic ${Buffer.from(`${this.options.user.username}:${this.options.user.password}`).toString('base64')}`].filter(Boolean)
    if (accepted.length && !accepted.includes(request.headers.authorization)) return boom(401, '[security_exception]: unable to authenticate with provided credentials')
    if (request.method !== 'GET' && !request.headers['kbn-xsrf']) return boom(400, 'Request must contain a kbn-xsrf header.')
    if (request.method !== 'GET' && this.options.readOnly) return boom(403, 'Forbidden')
    const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {}
    const legacy = Number(this.version.split('.')[0]) < 8
    const path = url.pathname
    if (path === '/api/status') return reply(200, {name: 'kibana', version: {number: this.version, build_flavor: 'traditional'}, status: {overall: {level: 'available'}}})
    if (path === '/api/fleet/epm/packages/zoom' && request.method === 'GET') {
      const item = {name: 'zoom', title: 'Zoom', version: '1.27.2', status: this.installed ? 'installed' : 'not_installed', ...(this.installed ? {installationInfo: {version: this.installed}} : {})}
      return reply(200, legacy ? {response: item} : {item})
    }
    const install = /^\/api\/fleet\/epm\/packages\/zoom[/-](\d+\.\d+\.\d+)$/.exec(path)
    if (install && request.method === 'POST') {
      this.installed = install[1]
      return reply(200, {items: [{id: 'logs-zoom.webhook', type: 'index_template'}], _meta: {install_source: 'registry'}})
    }
    if (path === '/api/fleet/agent_policies') return reply(200, {items: this.agentPolicies, total: this.agentPolicies.length, page: 1, perPage: 100})
    if (path === '/api/fleet/package_policies' && request.method === 'GET') {
      if (url.searchParams.get('format') && url.searchParams.get('format') !== 'simplified') return boom(400, `[request query.format]: invalid format`)
      const items = this.policies.map(({secrets: _secrets, ...policy}) => policy)
      return reply(200, {items, total: items.length, page: 1, perPage: 100})
    }
    const existing = /^\/api\/fleet\/package_policies\/([\w-]+)$/.exec(path)
    if ((path === '/api/fleet/package_policies' && request.method === 'POST') || (existing && request.method === 'PUT')) {
      if (url.searchParams.get('format') !== 'simplified') return boom(400, 'this double takes the simplified format only (legacy bodies are checked in unit tests)')
      if (!this.installed) return boom(400, 'Package zoom is not installed')
      const error = this.validate(body)
      if (error) return boom(400, error)
      const secrets: Record<string, unknown> = {}
      const inputs = structuredClone(body.inputs) as StoredPolicy['inputs']
      for (const stream of Object.values(inputs['zoom-http_endpoint']?.streams ?? {})) {
        for (const [name, value] of Object.entries(stream.vars ?? {})) {
          if (!SECRET_VARS.has(name)) continue
          secrets[name] = value
          stream.vars![name] = {isSecretRef: true, id: randomUUID()}
        }
      }
      const vars = structuredClone((body.vars ?? undefined) as Record<string, unknown> | undefined)
      if (vars && 'client_secret' in vars) {
        secrets.client_secret = vars.client_secret
        vars.client_secret = {isSecretRef: true, id: randomUUID()}
      }
      const policyIds = (body.policy_ids as string[] | undefined) ?? [body.policy_id as string]
      const stored: StoredPolicy = {id: existing?.[1] ?? randomUUID(), name: body.name as string, policy_ids: policyIds, package: body.package as StoredPolicy['package'], inputs, ...(vars ? {vars} : {}), secrets}
      if (existing) {
        const index = this.policies.findIndex((policy) => policy.id === existing[1])
        if (index === -1) return boom(404, `Package policy ${existing[1]} not found`)
        this.policies[index] = stored
      } else {
        if (this.policies.some((policy) => policy.name === stored.name)) return boom(409, `An integration policy with the name ${stored.name} already exists. Please rename it or choose a different name.`)
        this.policies.push(stored)
      }
      const {secrets: _secrets, ...item} = stored
      return reply(200, {item})
    }
    return boom(404, `Not Found: ${request.method} ${path}`)
  }

  private validate(body: Record<string, unknown>): string | undefined {
    const ids = (body.policy_ids as string[] | undefined) ?? [body.policy_id as string]
    for (const id of ids) if (!this.agentPolicies.some((policy) => policy.id === id)) return `Agent policy ${id} not found`
    const inputs = (body.inputs ?? {}) as Record<string, {enabled?: boolean; streams?: Record<string, {vars?: Record<string, unknown>}>}>
    for (const [name, input] of Object.entries(inputs)) {
      if (name !== 'zoom-http_endpoint' && name !== 'zoom-cel') return `Input not found: ${name}`
      for (const [streamName, stream] of Object.entries(input.streams ?? {})) {
        const known = name === 'zoom-cel' ? CEL_STREAMS.has(streamName) : streamName === 'zoom.webhook'
        if (!known) return `Stream not found ${name}: ${streamName}`
        const allowed = name === 'zoom-cel' ? CEL_STREAM_VARS : WEBHOOK_VARS
        for (const variable of Object.keys(stream.vars ?? {})) if (!allowed.has(variable)) return `Variable ${name} ${streamName}:${variable} not found`
      }
    }
    const vars = (body.vars ?? {}) as Record<string, unknown>
    for (const variable of Object.keys(vars)) if (!PACKAGE_VARS.has(variable)) return `Variable ${variable} not found`
    // Left out, the CEL input keeps the package default (enabled) and its required vars fail the policy.
    if (inputs['zoom-cel']?.enabled !== false) {
      const missing = ['account_id', 'client_id', 'client_secret', 'url', 'token_url'].find((name) => !vars[name])
      if (missing) return `Package policy is invalid: vars.${missing}: ${missing === 'account_id' ? 'Account ID' : missing} is required`
    }
    return undefined
  }
}
