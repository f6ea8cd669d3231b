import {randomUUID, timingSafeEqual} from 'node:crypto'
import {unlink} from 'node:fs/promises'

import type {AckAnswer} from '../forward/ack.js'
import {dedupeKey, type DeliveryRecord, type FileStore, type RecordMeta, type StoreKind} from '../store/index.js'
import {elapsedMs} from '../timing.js'
import {type AuthSettings, checkModeHeader, redactCredential} from '../zoom/auth.js'
import {answerChallenge, challengeToken, isRecord, URL_VALIDATION_EVENT} from '../zoom/challenge.js'
import {CAPTURED_HEADERS, SIGNATURE_HEADER, TIMESTAMP_HEADER} from '../zoom/headers.js'
import {type SignatureVerdict, verifySignature} from '../zoom/signature.js'
import type {SpilledBody} from './server.js'

export interface IncomingDelivery {
  method: string
  path: string
  headers: Record<string, string | string[] | undefined>
  rawBody: Buffer
  remoteAddress: string
  remotePort?: number
  /** When the request came, as an ISO 8601 string: the record, the outcome and --json lines all use this one. */
  receivedAt: string
  /** A body larger than this is refused with 413 (after authentication, so an authentic one is kept). */
  maxBodyBytes?: number
}

/** What happened to one request, for the console and for tests. */
export interface DeliveryOutcome {
  result: 'accepted' | 'duplicate' | 'challenge' | 'refused' | 'rejected' | 'error'
  status: number
  /** ISO 8601. */
  receivedAt: string
  remoteAddress: string
  eventType?: string
  accountId?: string
  recordId?: string
  duplicateOf?: string
  /** Machine-readable cause of a refusal or rejection. */
  reason?: string
  detail?: string
  /** Where a refused delivery was kept. */
  keptIn?: StoreKind
  durationMs: number
}

export interface Reply {
  status: number
  body: unknown
  headers?: Record<string, string>
  outcome: DeliveryOutcome
}

export interface HandlerSettings {
  auth: AuthSettings
  toleranceSeconds: number
  /**
   * Answer a signature that matches no Secret Token with 503 rather than 401: Zoom retries a 5xx (~5, 25,
   * 85 min later) and drops a 4xx for good, so a delivery signed with a token serve does not have yet (the
   * minutes of a regeneration) comes again. Nothing is stored either way.
   */
  retryMismatched?: boolean
  store: FileStore
  integrationVersion?: string
  /**
   * serve --ack-after-index: called beside the store's write; the answer waits for it (Elasticsearch has
   * the document, or the fallback decided), so that a 200 never rests on this machine's disk alone.
   */
  acknowledge?: (record: DeliveryRecord) => Promise<AckAnswer>
}

/**
 * Decides what to answer a POST to the webhook path, and stores what it accepts before answering.
 * Zoom retries only on 5xx, so: a storage failure is a 503 (Zoom will retry), and a delivery that is
 * authentic but refused (stale timestamp, malformed body) is kept under refused/ for replay.
 */
export class DeliveryHandler {
  private readonly keepHeaders: (headers: IncomingDelivery['headers']) => Record<string, string>

  constructor(private readonly settings: HandlerSettings) {
    this.keepHeaders = headerKeeper(settings.auth)
  }

  async handle(delivery: IncomingDelivery): Promise<Reply> {
    const outcome = outcomeOf(delivery, performance.now())
    // Not authentic: answered, never kept.
    const reject = (status: number, reason: string, detail: string): Reply => ({
      status,
      body: {error: detail, reason},
      outcome: outcome({result: 'rejected', status, reason, detail}),
    })
    const {auth, toleranceSeconds} = this.settings

    const header = checkModeHeader(auth, delivery.headers)
    if (!header.ok) return reject(401, 'auth-header', header.reason)

    if (auth.secretToken) {
      const verifyWith = (secret: string) =>
        verifySignature({secret, signature: single(delivery.headers[SIGNATURE_HEADER]), timestamp: single(delivery.headers[TIMESTAMP_HEADER]), rawBody: delivery.rawBody, toleranceSeconds})
      const mismatched = (verdict: SignatureVerdict): verdict is Extract<SignatureVerdict, {ok: false}> => !verdict.ok && verdict.reason === 'signature-mismatch'
      let verdict = verifyWith(auth.secretToken)
      // The token before a regeneration still verifies what Zoom signed with it (its retries, say).
      if (mismatched(verdict) && auth.previousSecretToken) verdict = verifyWith(auth.previousSecretToken)
      if (mismatched(verdict) && this.settings.retryMismatched) {
        const detail = `${verdict.detail}; answered 503 so that Zoom retries it (--retry-mismatched): give serve the Secret Token it was signed with`
        return {status: 503, headers: {'retry-after': '300'}, body: {error: verdict.detail, reason: verdict.reason}, outcome: outcome({result: 'rejected', status: 503, reason: verdict.reason, detail})}
      }
      if (!verdict.ok && !verdict.authentic) return reject(401, verdict.reason, verdict.detail)
      if (!verdict.ok) {
        const hint = `${verdict.detail}; kept under refused/ in the data dir so it is not lost (widen --tolerance if Zoom's retries arrive stale)`
        return this.refuse(delivery, 401, verdict.reason, hint, outcome)
      }
    }

    if (delivery.maxBodyBytes !== undefined && delivery.rawBody.length > delivery.maxBodyBytes) {
      const detail = `body of ${delivery.rawBody.length} bytes is over the ${delivery.maxBodyBytes}-byte limit (--max-body); kept under refused/`
      return this.refuse(delivery, 413, 'too-large', detail, outcome)
    }

    const text = delivery.rawBody.toString('utf8')
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch (error) {
      return this.refuse(delivery, 400, 'malformed-json', `body is not JSON: ${(error as Error).message}`, outcome)
    }
    if (!isRecord(body) || typeof body.event !== 'string' || body.event === '') {
      return this.refuse(delivery, 400, 'no-event', 'body is JSON but has no "event" string', outcome)
    }

    const plainToken = challengeToken(body)
    if (body.event === URL_VALIDATION_EVENT && plainToken === undefined) {
      return this.refuse(delivery, 400, 'bad-challenge', 'endpoint.url_validation without a plainToken string in payload', outcome)
    }
    if (plainToken !== undefined) {
      if (!auth.secretToken) {
        const detail = 'cannot answer URL validation: no secret token configured (--secret-token or ZOOM_WEBHOOK_SECRET_TOKEN)'
        return {status: 500, body: {error: detail}, outcome: outcome({result: 'error', status: 500, eventType: body.event, reason: 'no-secret', detail})}
      }
      const answer = answerChallenge(auth.secretToken, plainToken)
      return {status: 200, body: answer, outcome: outcome({result: 'challenge', status: 200, eventType: body.event})}
    }

    const payload = isRecord(body.payload) ? body.payload : {}
    const accountId = typeof payload.account_id === 'string' ? payload.account_id : undefined
    const record = this.baseRecord(delivery)
    // The record keeps the raw body; the parsed event and Elastic's document are derived from it when read,
    // not on the request path (and not stored three times over).
    record.eventType = body.event
    record.dedupeKey = dedupeKey(body, delivery.rawBody)
    const {store} = this.settings
    // Only in the first moments after start-up, while the window's keys load: never on the steady path.
    if (!store.isIndexed) await store.indexed()
    const firstId = store.claim(record.dedupeKey, record.id)
    if (firstId !== undefined) record.duplicateOf = firstId
    // Indexing starts with the write, not after it: the answer waits for the slower of the two.
    const indexed = this.settings.acknowledge?.({...record, rawBody: text, event: body})
    try {
      await store.append('events', record, delivery.rawBody, true)
    } catch (error) {
      if (firstId === undefined) store.release(record.dedupeKey, record.id)
      const detail = `${(error as Error).message}; answered 503 so that Zoom retries`
      return {
        status: 503,
        headers: {'retry-after': '60'},
        body: {error: 'storage unavailable', reason: 'store-failed'},
        outcome: outcome({result: 'error', status: 503, eventType: body.event, accountId, reason: 'store-failed', detail}),
      }
    }
    const answer = indexed && (await indexed)
    if (answer && answer.retry) {
      const detail = `${answer.detail ?? 'not indexed in time'}; answered 503 so that Zoom retries (it is stored and forwarded meanwhile)`
      return {
        status: 503,
        headers: {'retry-after': '60'},
        body: {error: 'not indexed yet', reason: 'not-indexed', id: record.id},
        outcome: outcome({result: 'error', status: 503, eventType: body.event, accountId, recordId: record.id, reason: 'not-indexed', detail}),
      }
    }
    if (firstId === undefined) {
      return {status: 200, body: {status: 'accepted', id: record.id}, outcome: outcome({result: 'accepted', status: 200, eventType: body.event, accountId, recordId: record.id})}
    }
    return {
      status: 200,
      body: {status: 'duplicate', id: record.id, duplicateOf: firstId},
      outcome: outcome({result: 'duplicate', status: 200, eventType: body.event, accountId, recordId: record.id, duplicateOf: firstId}),
    }
  }

  /**
   * A body over --max-body that claimed to be signed: its signature was computed as it was written to a
   * file. Authentic, it is kept (the file becomes part of refused/) and answered 413; otherwise the file
   * goes and the answer is 401, as for any forgery.
   */
  async handleSpilled(delivery: IncomingDelivery, body: SpilledBody): Promise<Reply> {
    const outcome = outcomeOf(delivery, performance.now())
    const header = checkModeHeader(this.settings.auth, delivery.headers)
    const given = Buffer.from(single(delivery.headers[SIGNATURE_HEADER]) ?? '')
    const expected = Buffer.from(body.signature)
    if (!header.ok || given.length !== expected.length || !timingSafeEqual(given, expected)) {
      await unlink(body.path).catch(() => undefined)
      const [reason, detail] = header.ok ? ['signature-mismatch', 'signature does not match the body and the secret token'] : ['auth-header', header.reason]
      return {status: 401, body: {error: detail, reason}, outcome: outcome({result: 'rejected', status: 401, reason, detail})}
    }
    const id = randomUUID()
    const detail = `body of ${body.size} bytes is over the ${delivery.maxBodyBytes}-byte limit (--max-body); kept under refused/`
    let rawBodyFile: string
    try {
      rawBodyFile = await this.settings.store.keepSpilled(body.path, id)
    } catch (error) {
      const failure = `${detail}; and it could not be kept: ${(error as Error).message}`
      return {status: 503, body: {error: failure, reason: 'store-failed'}, outcome: outcome({result: 'error', status: 503, reason: 'store-failed', detail: failure})}
    }
    const eventType = /"event"\s*:\s*"([^"\\]{1,100})"/.exec(body.head.toString('utf8'))?.[1]
    return this.refuse(delivery, 413, 'too-large', detail, outcome, {id, rawBodyFile, rawBodySize: body.size, ...(eventType ? {eventType} : {})})
  }

  private async refuse(
    delivery: IncomingDelivery,
    status: number,
    reason: string,
    detail: string,
    outcome: (fields: OutcomeFields) => DeliveryOutcome,
    extra: Partial<RecordMeta> = {},
  ): Promise<Reply> {
    const record = {...this.baseRecord(delivery), ...extra}
    record.refusal = {status, reason, detail}
    let bodyIsJson = false
    try {
      const parsed: unknown = JSON.parse(delivery.rawBody.toString('utf8'))
      bodyIsJson = true
      if (isRecord(parsed) && typeof parsed.event === 'string') record.eventType = parsed.event
    } catch {
      // Malformed bodies are kept raw.
    }
    try {
      await this.settings.store.append('refused', record, delivery.rawBody, bodyIsJson)
    } catch (error) {
      // The refusal is authentic: losing it silently would be worse than a retry.
      const failure = `${detail}; and it could not be kept: ${(error as Error).message}`
      return {status: 503, body: {error: failure, reason: 'store-failed'}, outcome: outcome({result: 'error', status: 503, reason: 'store-failed', detail: failure})}
    }
    return {
      status,
      body: {error: detail, reason, id: record.id},
      outcome: outcome({result: 'refused', status, reason, detail, eventType: record.eventType, recordId: record.id, keptIn: 'refused'}),
    }
  }

  private baseRecord(delivery: IncomingDelivery): RecordMeta {
    return {
      id: randomUUID(),
      receivedAt: delivery.receivedAt,
      source: delivery.remotePort ? {address: delivery.remoteAddress, port: delivery.remotePort} : {address: delivery.remoteAddress},
      method: delivery.method,
      path: delivery.path,
      headers: this.keepHeaders(delivery.headers),
    }
  }
}

type OutcomeFields = Omit<DeliveryOutcome, 'receivedAt' | 'remoteAddress' | 'durationMs'>

/** Makes the outcomes of one request: its time and address, and how long it took until then. */
function outcomeOf(delivery: IncomingDelivery, started: number): (fields: OutcomeFields) => DeliveryOutcome {
  return (fields) => {
    // The request's own fields added to the object at hand, not spread into a new one: one outcome a request.
    const outcome = fields as DeliveryOutcome
    outcome.receivedAt = delivery.receivedAt
    outcome.remoteAddress = delivery.remoteAddress
    outcome.durationMs = elapsedMs(started)
    return outcome
  }
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}

/**
 * The headers worth keeping, with every credential (authorization, the custom auth header) redacted; the
 * names are decided once per receiver, not once per request.
 */
function headerKeeper(auth: AuthSettings): (headers: Record<string, string | string[] | undefined>) => Record<string, string> {
  const secretHeaders = new Set(['authorization', (auth.headerName ?? 'authorization').toLowerCase()])
  const names = [...new Set<string>([...CAPTURED_HEADERS, ...secretHeaders])].map((name) => [name, secretHeaders.has(name)] as const)
  return (headers) => {
    const kept: Record<string, string> = {}
    for (const [name, secret] of names) {
      const value = single(headers[name])
      if (value === undefined) continue
      kept[name] = secret ? redactCredential(value) : value
    }
    return kept
  }
}
