/**
 * A strict Elasticsearch double: a real HTTP(S) server on 127.0.0.1 that answers the calls zoomctl makes the
 * way Elasticsearch 7.14 → 9.x and Serverless do (shapes from ../shared/elastic-api, not guesses), and
 * refuses everything else with the error envelope a real cluster would use. The Zoom integration's ingest
 * pipeline is stood in for by zoomctl's reproduction of it (checked against Elastic's own pipeline tests).
 */
import {randomUUID} from 'node:crypto'
import {createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import {createServer as createHttpsServer} from 'node:https'
import type {AddressInfo, Socket} from 'node:net'

import {fieldValues} from '../../src/mapping/fields.js'
import {agentDocument, runIngestPipeline} from '../../src/mapping/index.js'

export type EsVersion = '7.14.2' | '7.17.25' | '8.15.3' | '9.1.0' | 'serverless'

export interface EsDoubleOptions {
  version?: EsVersion
  /** Credentials the cluster accepts; none: security off (anyone may do anything). */
  auth?: {apiKey?: {id: string; key: string}; username?: string; password?: string}
  /** Index privileges granted on logs-zoom.webhook-* (default: all). */
  indexPrivileges?: string[]
  /** The Zoom integration's version installed, or false for none. */
  integration?: string | false
  tls?: {cert: string; key: string}
}

type Doc = Record<string, unknown>

interface Stored {
  id: string
  index: string
  source: Doc
}

export class DoubleError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(JSON.stringify(body))
  }
}

const ALL_INDEX_PRIVILEGES = ['read', 'view_index_metadata', 'create_doc', 'create', 'index', 'delete', 'write', 'auto_configure', 'all']

export class ElasticsearchDouble {
  url = ''
  readonly version: EsVersion
  /** data stream → documents, in insertion order */
  readonly streams = new Map<string, Stored[]>()
  /** data stream → generation of its write index (a rollover adds one) */
  readonly generations = new Map<string, number>()
  /** backing index → its creation time (index.creation_date): when the data stream was made, or rolled over. */
  readonly created = new Map<string, number>()
  readonly requests: Array<{method: string; path: string; headers: IncomingMessage['headers']}> = []
  /** Failure switches, changed by tests while the double runs. */
  readonly switches = {down: false, slowMs: 0, reject429: 0, itemReject429: 0, maxBulkBytes: 0, itemError: undefined as undefined | ((doc: Doc) => {status: number; type: string; reason: string} | undefined)}
  integration: string | false
  private server?: Server
  private readonly sockets = new Set<Socket>()

  constructor(readonly options: EsDoubleOptions = {}) {
    this.version = options.version ?? '8.15.3'
    this.integration = options.integration === undefined ? '1.27.2' : options.integration
  }

  get major(): number {
    return this.version === 'serverless' ? 9 : Number(this.version.split('.')[0])
  }

  async start(): Promise<this> {
    const listener = (request: IncomingMessage, response: ServerResponse) => void this.serve(request, response)
    this.server = this.options.tls ? createHttpsServer(this.options.tls, listener) : createHttpServer(listener)
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket)
      socket.on('close', () => this.sockets.delete(socket))
      if (this.switches.down) socket.destroy()
    })
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve))
    const {port} = this.server.address() as AddressInfo
    this.url = `${this.options.tls ? 'https' : 'http'}://127.0.0.1:${port}`
    return this
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy()
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()))
  }

  /** Breaks every connection now and refuses new ones until up() (a cluster restart, a network cut). */
  down(): void {
    this.switches.down = true
    for (const socket of this.sockets) socket.destroy()
  }

  up(): void {
    this.switches.down = false
  }

  /** Every document of one data stream (or all of them). */
  documents(stream?: string): Stored[] {
    return stream ? (this.streams.get(stream) ?? []) : [...this.streams.values()].flat()
  }

  /** Puts documents in directly, as the agent + pipeline would have indexed them. */
  seed(stream: string, docs: Doc[], options: {id?: string; generation?: number} = {}): void {
    const list = this.streams.get(stream) ?? []
    const index = backingIndex(stream, options.generation)
    if (!this.created.has(index)) this.created.set(index, Date.now())
    for (const source of docs) list.push({id: options.id ?? randomUUID().replace(/-/g, '').slice(0, 20), index, source})
    this.streams.set(stream, list)
  }

  /** The Zoom document the agent would index for a body received now, through the integration's pipeline. */
  agentDocument(body: unknown, receivedAt = new Date(), namespace = 'default'): Doc {
    const doc = runIngestPipeline(agentDocument(body, {receivedAt, namespace}), {integrationVersion: this.integration || '1.27.2'})
    ;(doc.event as Doc).ingested = new Date().toISOString()
    return doc
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    const body = Buffer.concat(chunks).toString('utf8')
    const url = new URL(request.url ?? '/', 'http://es')
    this.requests.push({method: request.method ?? 'GET', path: url.pathname, headers: request.headers})
    if (this.switches.slowMs) await new Promise((resolve) => setTimeout(resolve, this.switches.slowMs))
    if (this.switches.down) {
      request.socket.destroy()
      return
    }
    try {
      this.checkMediaTypes(request, body.length > 0)
      const user = this.authenticate(request)
      if (this.switches.reject429 > 0) {
        this.switches.reject429--
        throw new DoubleError(429, envelope(429, 'es_rejected_execution_exception', 'rejected execution of coordinating operation [coordinating_and_primary_bytes=0, replica_bytes=0, all_bytes=0, coordinating_operation_bytes=1, max_coordinating_and_primary_bytes=0]'))
      }
      const result = this.route(request.method ?? 'GET', url, body, user)
      this.reply(response, 200, result)
    } catch (error) {
      if (error instanceof DoubleError) this.reply(response, error.status, error.body, error.status === 401 ? {'www-authenticate': 'ApiKey, Basic realm="security", charset="UTF-8"'} : {})
      else this.reply(response, 500, envelope(500, 'exception', (error as Error).message))
    }
  }

  private reply(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = body === undefined ? '' : JSON.stringify(body)
    // Elasticsearch sends the product header on everything but unauthenticated answers.
    const product = status === 401 ? {} : {'x-elastic-product': 'Elasticsearch'}
    response.writeHead(status, {'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...product, ...headers})
    response.end(text)
  }

  /** The compatibility media-type rules of each major (elastic-api §A3). */
  private checkMediaTypes(request: IncomingMessage, hasBody: boolean): void {
    const version = (header: string | undefined) => {
      const match = /compatible-with=(\d+)/.exec(header ?? '')
      return match ? Number(match[1]) : undefined
    }
    const accept = version(request.headers.accept)
    const content = version(request.headers['content-type'])
    if (accept === undefined && content === undefined) return
    if (this.major === 7 && ((accept ?? 7) !== 7 || (content ?? 7) !== 7)) {
      const type = request.headers['content-type'] ?? request.headers.accept
      throw new DoubleError(406, {error: `Content-Type header [${type}] is not supported`, status: 406})
    }
    if (hasBody && accept !== content) {
      throw new DoubleError(
        400,
        envelope(400, 'media_type_header_exception', 'Invalid media-type value on headers [Accept, Content-Type]', {
          type: 'status_exception',
          reason: 'A compatible version is required on both Content-Type and Accept headers if either one has requested a compatible version and the compatible versions must match.',
        }),
      )
    }
    if (accept !== undefined && accept !== this.major && accept !== this.major - 1) {
      throw new DoubleError(
        400,
        envelope(400, 'media_type_header_exception', 'Invalid media-type value on headers [Accept, Content-Type]', {
          type: 'status_exception',
          reason: `Accept version must be either version ${this.major} or ${this.major - 1}, but found ${accept}. Accept=${request.headers.accept}`,
        }),
      )
    }
  }

  private authenticate(request: IncomingMessage): string {
    const auth = this.options.auth
    if (!auth) return '_anonymous'
    const header = request.headers.authorization ?? ''
    const path = new URL(request.url ?? '/', 'http://es').pathname
    if (!header) throw new DoubleError(401, envelope(401, 'security_exception', `missing authentication credentials for REST request [${path}]`))
    if (auth.apiKey && header.startsWith('ApiKey ')) {
      const decoded = Buffer.from(header.slice(7), 'base64').toString('utf8')
      if (decoded === `${auth.apiKey.id}:${auth.apiKey.key}`) return 'zoomctl-key-owner'
    }
    if (auth.username && header.startsWith('Basic ')) {
      const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8')
      if (decoded === `${auth.username}:${auth.password}`) return auth.username
    }
    throw new DoubleError(401, envelope(401, 'security_exception', 'unable to authenticate with provided credentials and anonymous access is not allowed for this request'))
  }

  private granted(privilege: string): boolean {
    const granted = this.options.indexPrivileges ?? ALL_INDEX_PRIVILEGES
    return granted.includes(privilege) || granted.includes('all')
  }

  private requireIndex(privileges: string[], action: string, index: string, user: string): void {
    if (privileges.some((privilege) => this.granted(privilege))) return
    const roles = this.major >= 8 ? ` with effective roles [zoom_reader]` : ''
    const kind = this.major >= 8 ? 'index privileges' : 'privileges'
    throw new DoubleError(403, envelope(403, 'security_exception', `action [${action}] is unauthorized for user [${user}]${roles} on indices [${index}], this action is granted by the ${kind} [${privileges.join(',')}]`))
  }

  private route(method: string, url: URL, body: string, user: string): unknown {
    const path = url.pathname
    const json = () => (body ? (JSON.parse(body) as Doc) : {})
    if (path === '/' && (method === 'GET' || method === 'HEAD')) return this.info()
    if (path === '/_security/_authenticate') return {username: user, roles: ['zoom_reader'], authentication_type: 'api_key'}
    if (path === '/_security/user/_has_privileges' && (method === 'POST' || method === 'GET')) return this.hasPrivileges(json(), user)
    if (path.startsWith('/_index_template/') && method === 'GET') return this.indexTemplate(decodeURIComponent(path.slice('/_index_template/'.length)))
    if (path.startsWith('/_ingest/pipeline/') && method === 'GET') return this.pipelines(decodeURIComponent(path.slice('/_ingest/pipeline/'.length)))
    if (path.startsWith('/_data_stream/') && method === 'GET') {
      this.requireIndex(['view_index_metadata', 'manage', 'all'], 'indices:admin/data_stream/get', path.slice(14), user)
      return this.dataStreams(decodeURIComponent(path.slice('/_data_stream/'.length)))
    }
    if (path === '/_mget' && (method === 'POST' || method === 'GET')) {
      this.requireIndex(['read', 'all'], 'indices:data/read/mget', '_mget', user)
      return this.mget(json(), url.searchParams)
    }
    const rollover = /^\/([^/_][^/]*)\/_rollover$/.exec(path)
    if (rollover && method === 'POST') return this.rollover(decodeURIComponent(rollover[1]!))
    const settings = /^\/([^/_][^/]*)\/_settings(?:\/([^/]+))?$/.exec(path)
    if (settings && method === 'GET') {
      this.requireIndex(['view_index_metadata', 'manage', 'all'], 'indices:monitor/settings/get', settings[1]!, user)
      return this.settings(decodeURIComponent(settings[1]!), settings[2] && decodeURIComponent(settings[2]))
    }
    const bulk = /^\/(?:([^/_][^/]*)\/)?_bulk$/.exec(path)
    if (bulk && (method === 'POST' || method === 'PUT')) return this.bulk(body, bulk[1] ? decodeURIComponent(bulk[1]) : undefined, url.searchParams, user)
    const search = /^\/([^/_][^/]*)\/_(search|count)$/.exec(path)
    if (search && (method === 'POST' || method === 'GET')) {
      const index = decodeURIComponent(search[1]!)
      this.requireIndex(['read', 'all'], 'indices:data/read/search', index, user)
      const docs = url.searchParams.get('ignore_unavailable') === 'true' && !index.includes('*') && !this.streams.has(index) ? [] : this.resolve(index)
      return search[2] === 'count' ? this.count(docs, json()) : this.search(docs, json())
    }
    throw new DoubleError(400, envelope(400, 'illegal_argument_exception', `request [${method} ${path}] is not understood by the test double`))
  }

  private generation(stream: string): number {
    return this.generations.get(stream) ?? 1
  }

  private writeIndex(stream: string): string {
    return backingIndex(stream, this.generation(stream))
  }

  /** POST <stream>/_rollover: a new write index, created now (or at `createdAt`); the documents already in stay in the old one. */
  rollover(stream: string, createdAt = Date.now()): unknown {
    if (!this.streams.has(stream)) throw new DoubleError(404, envelope(404, 'index_not_found_exception', `no such index [${stream}]`))
    const old = this.writeIndex(stream)
    this.generations.set(stream, this.generation(stream) + 1)
    this.created.set(this.writeIndex(stream), createdAt)
    return {acknowledged: true, shards_acknowledged: true, old_index: old, new_index: this.writeIndex(stream), rolled_over: true, dry_run: false, conditions: {}}
  }

  /** GET <stream>/_settings[/<name>]: each backing index's settings (the double knows their creation date only). */
  private settings(stream: string, name?: string): unknown {
    if (!this.streams.has(stream)) throw new DoubleError(404, envelope(404, 'index_not_found_exception', `no such index [${stream}]`))
    const answer: Doc = {}
    for (let generation = 1; generation <= this.generation(stream); generation++) {
      const index = backingIndex(stream, generation)
      const all = {creation_date: String(this.created.get(index) ?? 0), number_of_shards: '1', number_of_replicas: '1', provided_name: index}
      answer[index] = {settings: {index: name === 'index.creation_date' ? {creation_date: all.creation_date} : all}}
    }
    return answer
  }

  /** _mget of documents in backing indices (realtime, as Elasticsearch's is); _source=false leaves the source out. */
  private mget(request: Doc, params: URLSearchParams): unknown {
    const docs = (request.docs as Array<{_index: string; _id: string}> | undefined) ?? []
    const withSource = params.get('_source') !== 'false'
    return {
      docs: docs.map(({_index, _id}) => {
        const stream = [...this.streams.keys()].find((name) => _index.startsWith(`.ds-${name}-`))
        if (!stream || Number(_index.slice(-6)) > this.generation(stream)) {
          return {_index, _id, error: {root_cause: [{type: 'index_not_found_exception', reason: `no such index [${_index}]`}], type: 'index_not_found_exception', reason: `no such index [${_index}]`, index: _index}}
        }
        const stored = this.streams.get(stream)!.find((doc) => doc.index === _index && doc.id === _id)
        return stored ? {_index, _id, _version: 1, _seq_no: 0, _primary_term: 1, found: true, ...(withSource ? {_source: stored.source} : {})} : {_index, _id, found: false}
      }),
    }
  }

  private info(): unknown {
    const serverless = this.version === 'serverless'
    return {
      name: 'double-node-1',
      cluster_name: 'zoomctl-double',
      cluster_uuid: 'c2GnRtbBQvqkXF1mgzE8ag',
      version: {
        number: serverless ? '8.11.0' : this.version,
        build_flavor: serverless ? 'serverless' : 'default',
        build_type: 'docker',
        build_hash: '00000000',
        build_date: '2026-01-01T00:00:00.000Z',
        build_snapshot: false,
        lucene_version: this.major >= 9 ? '10.2.1' : this.major === 8 ? '9.11.1' : '8.11.1',
        minimum_wire_compatibility_version: this.major >= 9 ? '8.19.0' : '7.17.0',
        minimum_index_compatibility_version: this.major >= 9 ? '8.0.0' : '7.0.0',
      },
      tagline: 'You Know, for Search',
    }
  }

  private hasPrivileges(request: Doc, user: string): unknown {
    const index: Record<string, Record<string, boolean>> = {}
    for (const entry of (request.index as Array<{names: string[]; privileges: string[]}>) ?? []) {
      for (const name of entry.names) index[name] = Object.fromEntries(entry.privileges.map((privilege) => [privilege, this.granted(privilege)]))
    }
    const cluster = Object.fromEntries(((request.cluster as string[]) ?? []).map((privilege) => [privilege, true]))
    const all = Object.values(index).every((privileges) => Object.values(privileges).every(Boolean))
    return {username: user, has_all_requested: all, cluster, index, application: {}}
  }

  private indexTemplate(name: string): unknown {
    if (name !== 'logs-zoom.webhook' || !this.integration) {
      throw new DoubleError(404, envelope(404, 'resource_not_found_exception', `index template matching [${name}] not found`))
    }
    return {
      index_templates: [
        {
          name,
          index_template: {
            index_patterns: ['logs-zoom.webhook-*'],
            template: {settings: {index: {default_pipeline: `logs-zoom.webhook-${this.integration}`}}},
            composed_of: ['logs@mappings', 'logs-zoom.webhook@package', 'logs-zoom.webhook@custom'],
            priority: 200,
            data_stream: {hidden: false, allow_custom_routing: false},
            _meta: {package: {name: 'zoom'}, managed_by: 'fleet', managed: true},
          },
        },
      ],
    }
  }

  private pipelines(pattern: string): unknown {
    if (!this.integration) throw new DoubleError(404, {})
    const ids = [`logs-zoom.webhook-${this.integration}`, ...['meeting', 'webinar', 'user', 'recording', 'account', 'phone'].map((name) => `logs-zoom.webhook-${this.integration}-${name}`)]
    const matching = ids.filter((id) => wildcard(pattern).test(id))
    if (!matching.length) throw new DoubleError(404, {})
    return Object.fromEntries(matching.map((id) => [id, {description: 'Pipeline for Zoom webhooks', processors: [], _meta: {managed_by: 'fleet', managed: true, package: {name: 'zoom'}}}]))
  }

  private dataStreams(pattern: string): unknown {
    const regex = wildcard(pattern)
    const names = [...this.streams.keys()].filter((name) => regex.test(name))
    if (!pattern.includes('*') && !names.length) throw new DoubleError(404, envelope(404, 'index_not_found_exception', `no such index [${pattern}]`))
    return {
      data_streams: names.map((name) => ({
        name,
        timestamp_field: {name: '@timestamp'},
        indices: Array.from({length: this.generation(name)}, (_, i) => ({index_name: backingIndex(name, i + 1), index_uuid: `u${i + 1}`})),
        generation: this.generation(name),
        status: 'GREEN',
        template: name.startsWith('logs-zoom.webhook-') && this.integration ? 'logs-zoom.webhook' : 'logs',
        hidden: false,
      })),
    }
  }

  private resolve(index: string): Stored[] {
    if (index.includes('*')) {
      const regex = wildcard(index)
      return [...this.streams.entries()].filter(([name]) => regex.test(name)).flatMap(([, docs]) => docs)
    }
    const docs = this.streams.get(index)
    if (!docs) throw new DoubleError(404, envelope(404, 'index_not_found_exception', `no such index [${index}]`, undefined, {'resource.type': 'index_or_alias', 'resource.id': index, index}))
    return docs
  }

  private search(docs: Stored[], request: Doc): unknown {
    for (const key of Object.keys(request)) {
      if (!['query', 'aggs', 'aggregations', 'size', 'from', 'sort', 'track_total_hits', '_source'].includes(key)) {
        throw new DoubleError(400, envelope(400, 'parsing_exception', `Unknown key for a START_OBJECT in [${key}].`))
      }
    }
    const query = (request.query as Doc | undefined) ?? {match_all: {}}
    // ids looks at the _id, which the other queries (on the source) never see.
    const ids = (query.ids as {values?: string[]} | undefined)?.values
    const matching = docs.filter((doc) => (ids ? ids.includes(doc.id) : matches(doc.source, query)))
    const sort = request.sort as Array<Record<string, {order?: string}>> | undefined
    if (sort) {
      for (const clause of [...sort].reverse()) {
        const [field, spec] = Object.entries(clause)[0]!
        const direction = spec.order === 'desc' ? -1 : 1
        matching.sort((a, b) => direction * compareValues(fieldValues(a.source).get(field), fieldValues(b.source).get(field)))
      }
    }
    const size = (request.size as number | undefined) ?? 10
    const track = request.track_total_hits
    const total = track === true ? {value: matching.length, relation: 'eq'} : matching.length > 10_000 ? {value: 10_000, relation: 'gte'} : {value: matching.length, relation: 'eq'}
    const hits = matching.slice((request.from as number | undefined) ?? 0, size).map((doc) => ({
      _index: doc.index,
      ...(this.major === 7 ? {_type: '_doc'} : {}),
      _id: doc.id,
      _score: sort ? null : 0,
      _source: filterSource(doc.source, request._source),
    }))
    const aggs = (request.aggs ?? request.aggregations) as Doc | undefined
    return {
      took: 1,
      timed_out: false,
      _shards: {total: 1, successful: 1, skipped: 0, failed: 0},
      hits: {total, max_score: null, hits},
      ...(aggs ? {aggregations: aggregate(matching, aggs)} : {}),
    }
  }

  private count(docs: Stored[], request: Doc): unknown {
    return {count: docs.filter((doc) => matches(doc.source, (request.query as Doc | undefined) ?? {match_all: {}})).length, _shards: {total: 1, successful: 1, skipped: 0, failed: 0}}
  }

  private bulk(body: string, defaultIndex: string | undefined, params: URLSearchParams, user: string): unknown {
    // A proxy in front with a body limit (nginx's client_max_body_size) refuses the whole request.
    if (this.switches.maxBulkBytes && Buffer.byteLength(body) > this.switches.maxBulkBytes) throw new DoubleError(413, envelope(413, 'request_entity_too_large', `request body of ${Buffer.byteLength(body)} bytes is over ${this.switches.maxBulkBytes}`))
    if (!body.endsWith('\n')) throw new DoubleError(400, envelope(400, 'illegal_argument_exception', 'The bulk request must be terminated by a newline [\\n]'))
    const lines = body.split('\n').filter((line) => line.length)
    const items: unknown[] = []
    for (let i = 0; i < lines.length; i += 2) {
      const action = JSON.parse(lines[i]!) as Record<string, {_index?: string; _id?: string}>
      const [op, meta] = Object.entries(action)[0]!
      const index = meta._index ?? defaultIndex ?? ''
      // A delete has no source line.
      if (op === 'delete') {
        items.push({delete: this.deleteItem(index, meta._id, user)})
        i--
        continue
      }
      const source = JSON.parse(lines[i + 1] ?? '{}') as Doc
      items.push({[op]: this.bulkItem(op, index, meta._id, source, params.get('pipeline') ?? undefined, user)})
    }
    return {took: 2, errors: items.some((item) => Object.values(item as Doc).some((result) => (result as {status: number}).status >= 300)), items}
  }

  /** A delete in a backing index (a data stream takes none: its documents are deleted where they are). */
  private deleteItem(index: string, id: string | undefined, user: string): Doc {
    if (!['delete', 'write', 'all'].some((privilege) => this.granted(privilege))) {
      return {_index: index, _id: id ?? null, status: 403, error: {type: 'security_exception', reason: `action [indices:data/write/bulk[s]] is unauthorized for user [${user}] on indices [${index}], this action is granted by the index privileges [delete,write,all]`}}
    }
    const stream = [...this.streams.keys()].find((name) => index.startsWith(`.ds-${name}-`))
    if (!stream) return {_index: index, _id: id ?? null, status: 400, error: {type: 'illegal_argument_exception', reason: `only write ops with an op_type of create are allowed in data streams (or no such backing index [${index}])`}}
    const list = this.streams.get(stream)!
    const at = list.findIndex((doc) => doc.index === index && doc.id === id)
    if (at >= 0) list.splice(at, 1)
    return {_index: index, _id: id, _version: 2, result: at >= 0 ? 'deleted' : 'not_found', _shards: {total: 2, successful: 1, failed: 0}, status: at >= 0 ? 200 : 404}
  }

  private bulkItem(op: string, index: string, id: string | undefined, source: Doc, pipeline: string | undefined, user: string): Doc {
    const failed = (status: number, type: string, reason: string) => ({_index: index, _id: id ?? null, status, error: {type, reason, index}})
    if (!['create_doc', 'create', 'index', 'write', 'all'].some((privilege) => this.granted(privilege))) {
      return failed(403, 'security_exception', `action [indices:data/write/bulk[s]] is unauthorized for user [${user}] on indices [${index}], this action is granted by the index privileges [create_doc,create,index,write,all]`)
    }
    if (!/^logs-[^-]+-[^-]+$/.test(index)) return failed(400, 'illegal_argument_exception', `the test double only holds data streams logs-*-*, not [${index}]`)
    if (op !== 'create') return failed(400, 'illegal_argument_exception', `only write ops with an op_type of create are allowed in data streams`)
    if (this.switches.itemReject429 > 0) {
      this.switches.itemReject429--
      return failed(429, 'es_rejected_execution_exception', 'rejected execution of primary operation [shard_detail=[.ds-logs][0][P]] on EsThreadPoolExecutor[name = node/write]')
    }
    let doc = source
    if (index.startsWith('logs-zoom.webhook-') && this.integration && pipeline !== '_none') {
      if (pipeline && pipeline !== `logs-zoom.webhook-${this.integration}`) return failed(400, 'illegal_argument_exception', `pipeline with id [${pipeline}] does not exist`)
      doc = runIngestPipeline(structuredClone(source), {integrationVersion: this.integration})
    }
    const injected = this.switches.itemError?.(doc)
    if (injected) return failed(injected.status, injected.type, injected.reason)
    if (doc['@timestamp'] === undefined) {
      const type = this.major >= 8 ? 'document_parsing_exception' : 'mapper_parsing_exception'
      return failed(400, type, '[1:2] failed to parse: data stream timestamp field [@timestamp] is missing')
    }
    // The Fleet final pipeline stamps every document of a managed data stream.
    if (typeof doc.event === 'object' && doc.event !== null) (doc.event as Doc).ingested = new Date().toISOString()
    const list = this.streams.get(index) ?? []
    const docId = id ?? randomUUID().replace(/-/g, '').slice(0, 20)
    // An _id is unique within one backing index only: after a rollover the same _id goes in again (es#44794).
    const writeIndex = this.writeIndex(index)
    if (!this.created.has(writeIndex)) this.created.set(writeIndex, Date.now())
    if (list.some((stored) => stored.id === docId && stored.index === writeIndex)) {
      return {...failed(409, 'version_conflict_engine_exception', `[${docId}]: version conflict, document already exists (current version [1])`), _index: writeIndex}
    }
    list.push({id: docId, index: writeIndex, source: doc})
    this.streams.set(index, list)
    return {_index: writeIndex, ...(this.major === 7 ? {_type: '_doc'} : {}), _id: docId, _version: 1, result: 'created', _shards: {total: 2, successful: 1, failed: 0}, _seq_no: list.length - 1, _primary_term: 1, status: 201}
  }
}

function envelope(status: number, type: string, reason: string, causedBy?: {type: string; reason: string}, extra: Doc = {}): unknown {
  return {error: {root_cause: [{type, reason, ...extra}], type, reason, ...extra, ...(causedBy ? {caused_by: causedBy} : {})}, status}
}

function backingIndex(stream: string, generation = 1): string {
  return `.ds-${stream}-2026.11.29-${String(generation).padStart(6, '0')}`
}

function wildcard(pattern: string): RegExp {
  return new RegExp(`^${pattern.split(',').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')).join('|')}$`)
}

function parsingError(reason: string): DoubleError {
  return new DoubleError(400, envelope(400, 'parsing_exception', reason))
}

/** The query DSL zoomctl sends: bool (filter, must, must_not, should), term, terms, range, exists, match_all. */
function matches(source: Doc, query: Doc): boolean {
  const entries = Object.entries(query)
  if (entries.length !== 1) throw parsingError('[_na] query malformed, must start with start_object')
  const [kind, spec] = entries[0] as [string, Doc]
  const fields = fieldValues(source)
  switch (kind) {
    case 'match_all':
      return true
    case 'bool': {
      const list = (key: string) => {
        const value = spec[key]
        return value === undefined ? [] : Array.isArray(value) ? (value as Doc[]) : [value as Doc]
      }
      for (const key of Object.keys(spec)) if (!['filter', 'must', 'must_not', 'should', 'minimum_should_match'].includes(key)) throw parsingError(`[bool] query does not support [${key}]`)
      if (![...list('filter'), ...list('must')].every((clause) => matches(source, clause))) return false
      if (list('must_not').some((clause) => matches(source, clause))) return false
      const should = list('should')
      if (should.length && (spec.minimum_should_match !== undefined || (!list('filter').length && !list('must').length))) return should.some((clause) => matches(source, clause))
      return true
    }
    case 'term': {
      const [field, raw] = Object.entries(spec)[0]!
      const wanted = typeof raw === 'object' && raw !== null ? (raw as Doc).value : raw
      const value = fields.get(field)
      return Array.isArray(value) ? value.some((item) => item === wanted) : value === wanted
    }
    case 'terms': {
      const [field, wanted] = Object.entries(spec)[0]! as [string, unknown[]]
      const value = fields.get(field)
      const values = Array.isArray(value) ? value : [value]
      return values.some((item) => wanted.includes(item))
    }
    case 'range': {
      const [field, bounds] = Object.entries(spec)[0]! as [string, Record<string, unknown>]
      for (const key of Object.keys(bounds)) if (!['gte', 'gt', 'lte', 'lt', 'format'].includes(key)) throw parsingError(`[range] query does not support [${key}]`)
      const raw = fields.get(field)
      if (raw === undefined) return false
      const value = typeof raw === 'number' ? raw : Date.parse(String(raw))
      const bound = (key: string) => (typeof bounds[key] === 'number' ? (bounds[key] as number) : Date.parse(String(bounds[key])))
      if (bounds.gte !== undefined && !(value >= bound('gte'))) return false
      if (bounds.gt !== undefined && !(value > bound('gt'))) return false
      if (bounds.lte !== undefined && !(value <= bound('lte'))) return false
      if (bounds.lt !== undefined && !(value < bound('lt'))) return false
      return true
    }
    case 'exists': {
      const field = spec.field as string
      const value = fields.get(field)
      if (value !== undefined && value !== null && !(Array.isArray(value) && value.length === 0)) return true
      return [...fields.keys()].some((key) => key.startsWith(`${field}.`))
    }
    default:
      throw parsingError(`unknown query [${kind}]`)
  }
}

/** Aggregations zoomctl sends: terms (with sub-aggregations), top_hits and filter. */
function aggregate(docs: Stored[], aggs: Doc): Doc {
  const out: Doc = {}
  for (const [name, spec] of Object.entries(aggs) as Array<[string, Doc]>) {
    const sub = (spec.aggs ?? spec.aggregations) as Doc | undefined
    if (spec.terms) {
      const {field, size = 10, min_doc_count: minCount = 1} = spec.terms as {field: string; size?: number; min_doc_count?: number}
      const counts = new Map<unknown, Stored[]>()
      for (const doc of docs) {
        const value = fieldValues(doc.source).get(field)
        for (const key of Array.isArray(value) ? value : value === undefined ? [] : [value]) counts.set(key, [...(counts.get(key) ?? []), doc])
      }
      const buckets = [...counts].filter(([, list]) => list.length >= minCount).sort((a, b) => b[1].length - a[1].length || String(a[0]).localeCompare(String(b[0])))
      out[name] = {
        doc_count_error_upper_bound: 0,
        sum_other_doc_count: buckets.slice(size).reduce((sum, [, list]) => sum + list.length, 0),
        buckets: buckets.slice(0, size).map(([key, list]) => ({key, doc_count: list.length, ...(sub ? aggregate(list, sub) : {})})),
      }
    } else if (spec.top_hits) {
      // Only what zoomctl asks: the documents' _index and _id (no _source), sorted by _index.
      const {size = 3, sort = [], _source: source} = spec.top_hits as {size?: number; sort?: Array<Record<string, 'asc' | 'desc'>>; _source?: unknown}
      if (source !== false) throw parsingError('top_hits: the double answers _source: false only')
      const order = sort.map((each) => Object.entries(each)[0]!)
      if (order.some(([field]) => field !== '_index')) throw parsingError('top_hits: the double sorts by _index only')
      const sorted = order.length ? [...docs].sort((a, b) => a.index.localeCompare(b.index) * (order[0]![1] === 'desc' ? -1 : 1)) : docs
      out[name] = {hits: {total: {value: docs.length, relation: 'eq'}, max_score: null, hits: sorted.slice(0, size).map((doc) => ({_index: doc.index, _id: doc.id, _score: null, ...(order.length ? {sort: [doc.index]} : {})}))}}
    } else if (spec.filter) {
      const list = docs.filter((doc) => matches(doc.source, spec.filter as Doc))
      out[name] = {doc_count: list.length, ...(sub ? aggregate(list, sub) : {})}
    } else {
      throw parsingError(`Unknown aggregation type [${Object.keys(spec)[0]}] did you mean [terms]?`)
    }
  }
  return out
}

function compareValues(a: unknown, b: unknown): number {
  const left = typeof a === 'string' ? Date.parse(a) : Number(a)
  const right = typeof b === 'string' ? Date.parse(b) : Number(b)
  return (Number.isNaN(left) ? 0 : left) - (Number.isNaN(right) ? 0 : right)
}

function filterSource(source: Doc, include: unknown): Doc {
  if (!Array.isArray(include)) return source
  const out: Doc = {}
  for (const [field, value] of fieldValues(source)) {
    if (!(include as string[]).some((prefix) => field === prefix || field.startsWith(`${prefix}.`))) continue
    let node = out
    const parts = field.split('.')
    for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Doc
    node[parts[parts.length - 1]!] = value
  }
  return out
}
