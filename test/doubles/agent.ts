/**
 * A stand-in for the Elastic Agent's http_endpoint input as the Zoom integration configures it
 * (../shared/elastic-api §F): the static secret header checked first, POST only, JSON objects only, the
 * CRC challenge answered only when crc is on, and 200 {"message": "success"} once an event is queued.
 */
import {createHmac} from 'node:crypto'
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo, Socket} from 'node:net'

export interface AgentOptions {
  /** secret_header / secret_value */
  secret?: {header: string; value: string}
  /** crc_enabled with crc_secret */
  crcSecret?: string
  path?: string
}

export interface AgentDelivery {
  headers: IncomingMessage['headers']
  body: Buffer
}

export class AgentDouble {
  url = ''
  readonly received: AgentDelivery[] = []
  /** Answer 503 to every event while set (an agent whose queue is full, a proxy in front that is down). */
  failing = false
  private server?: Server
  private readonly sockets = new Set<Socket>()

  constructor(readonly options: AgentOptions = {}) {}

  async start(port = 0): Promise<this> {
    this.server = createServer((request, response) => void this.serve(request, response))
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket)
      socket.on('close', () => this.sockets.delete(socket))
    })
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve))
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${this.options.path ?? '/zoom-webhook'}`
    return this
  }

  /** Stops listening: connections are refused until start() again on the same port. */
  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy()
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()))
  }

  get port(): number {
    return Number(new URL(this.url).port)
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    const body = Buffer.concat(chunks)
    const answer = (status: number, payload: unknown) => {
      const text = typeof payload === 'string' ? payload : JSON.stringify(payload)
      response.writeHead(status, {'content-type': typeof payload === 'string' ? 'text/plain; charset=utf-8' : 'application/json'}).end(text)
    }
    const path = new URL(request.url ?? '/', 'http://agent').pathname
    if (path !== (this.options.path ?? '/zoom-webhook')) return answer(404, '404 page not found\n')
    const {secret} = this.options
    if (secret && request.headers[secret.header.toLowerCase()] !== secret.value) return answer(401, {message: 'incorrect header or header secret'})
    if (request.method !== 'POST') return answer(405, {message: 'only POST requests are allowed'})
    if (!body.length) return answer(406, {message: 'body cannot be empty'})
    let parsed: unknown
    try {
      parsed = JSON.parse(body.toString('utf8'))
    } catch (error) {
      return answer(400, {message: `malformed JSON object at stream position 0: ${(error as Error).message}`})
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return answer(400, {message: 'only JSON objects are accepted: ' + typeof parsed})
    const event = parsed as {event?: string; payload?: {plainToken?: unknown}}
    if (this.options.crcSecret && event.event === 'endpoint.url_validation') {
      const plainToken = event.payload?.plainToken
      if (typeof plainToken !== 'string' || !plainToken) return answer(400, 'failed decoding "payload.plainToken" from CRC request')
      return answer(200, {encryptedToken: createHmac('sha256', this.options.crcSecret).update(plainToken).digest('hex'), plainToken})
    }
    if (this.failing) return answer(503, {message: 'queue full'})
    this.received.push({headers: request.headers, body})
    answer(200, {message: 'success'})
  }
}
