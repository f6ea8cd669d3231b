import {randomUUID, timingSafeEqual} from 'node:crypto'
import {unlink} from 'node:fs/promises'

import type {AckAnswer} from '../forward/ack.js'
import {eventTsOf} from '../forward/event-time.js'
import {dedupeKey, type DeliveryRecord, type FileStore, type RecordMeta, type StoreKind} from '../store/index.js'
import {elapsedMs} from '../timing.js'
import {type AuthSettings, checkModeHeader, redactCredential} from '../zoom/auth.js'
import {answerChallenge, challengeToken, isRecord, URL_VALIDATION_EVENT} from '../zoom/challenge.js'
import {CAPTURED_HEADERS, SIGNATURE_HEADER, TIMESTAMP_HEADER} from '../zoom/headers.js'
import {depthOver, MAX_BODY_DEPTH} from '../zoom/limits.js'
import {isProbeBody, isProbeMark, PROBE_HEADER} from '../zoom/probe.js'
import {type SignatureVerdict, verifySignature} from '../zoom/signature.js'
import {type VerifyingToken, verifyingTokens} from '../zoom/apps.js'
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
  /** Set for an event that came over Zoom's WebSocket (remoteAddress is then the socket's host). */
  websocket?: {subscriptionId: string}
}

/** What happened to one request, for the console and for tests. */
export interface DeliveryOutcome {
  /** probe: zoomctl doctor's test event, verified and answered, neither stored nor forwarded (see zoom/probe.ts). */
  result: 'accepted' | 'duplicate' | 'challenge' | 'refused' | 'rejected' | 'error' | 'probe'
  status: number
  /** ISO 8601. */
  receivedAt: string
  remoteAddress: string
  eventType?: string
  accountId?: string
  /** The Zoom app whose Secret Token signed it, when serve has several (--app-token). */
  app?: string
  recordId?: string
  duplicateOf?: string
  /** Machine-readable cause of a refusal or rejection. */
  reason?: string
  detail?: string
  /** Where a refused delivery was kept. */
  keptIn?: StoreKind
  /** Bytes of the body read (set by the server). */
  bodyBytes?: number
  /** zoomctl doctor's own request, marked with PROBE_HEADER: its challenge (not a re-validation by Zoom), or a request it forged on purpose (not a refused delivery). */
  probe?: true
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
  /** Before doctor's probe is answered: serve asks its sinks whether they answer (the probe itself goes nowhere). */
  onProbe?: () => Promise<void>
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
  private readonly tokens: VerifyingToken[]
  /** First copies being written, by id, with the copies that wait to know whether they made it to disk. */
  private readonly storing = new Map<string, Array<(stored: boolean) => void> | undefined>()

  constructor(private readonly settings: HandlerSettings) {
    this.keepHeaders = headerKeeper(settings.auth)
    this.tokens = verifyingTokens(settings.auth)
  }

  async handle(delivery: IncomingDelivery): Promise<Reply> {
    const outcome = outcomeOf(delivery, performance.now())
    // Not authentic: answered, never kept; the event type it claims is noted for the record of refusals (never trusted).
    const reject = (status: number, reason: string, detail: string): Reply => ({
      status,
      body: {error: detail, reason},
      outcome: outcome({result: 'rejected', status, reason, detail, ...claimedEventType(delivery.rawBody), ...this.doctorsForgery(delivery)}),
    })
    const {auth, toleranceSeconds} = this.settings

    const header = checkModeHeader(auth, delivery.headers)
    // Whether Zoom adds its custom header to the challenge is unconfirmed (../shared/zoom/api.md E7): a
    // challenge signed with the Secret Token is Zoom's with or without it, and is answered.
    if (!header.ok && !signedChallenge(delivery, auth.secretToken, toleranceSeconds)) return reject(401, 'auth-header', header.reason)

    let app: string | undefined
    let signedWith: VerifyingToken | undefined
    if (this.tokens.length) {
      const verifyWith = (secret: string) =>
        verifySignature({secret, signature: single(delivery.headers[SIGNATURE_HEADER]), timestamp: single(delivery.headers[TIMESTAMP_HEADER]), rawBody: delivery.rawBody, toleranceSeconds})
      const mismatched = (verdict: SignatureVerdict): verdict is Extract<SignatureVerdict, {ok: false}> => !verdict.ok && verdict.reason === 'signature-mismatch'
      // The main token, the one before a regeneration (Zoom's retries of what it signed), then each app's:
      // the first whose HMAC matches says which app sent it.
      let verdict!: SignatureVerdict
      for (const token of this.tokens) {
        verdict = verifyWith(token.secret)
        if (mismatched(verdict)) continue
        signedWith = token
        app = token.app
        break
      }
      if (mismatched(verdict) && this.settings.retryMismatched) {
        const detail = `${verdict.detail}; answered 503 so that Zoom retries it (--retry-mismatched): give serve the Secret Token it was signed with`
        return {status: 503, headers: {'retry-after': '300'}, body: {error: verdict.detail, reason: verdict.reason}, outcome: outcome({result: 'rejected', status: 503, reason: verdict.reason, detail, ...claimedEventType(delivery.rawBody), ...this.doctorsForgery(delivery)})}
      }
      if (!verdict.ok && !verdict.authentic) return reject(401, verdict.reason, verdict.detail)
      if (!verdict.ok) {
        const hint = `${verdict.detail}; kept under refused/ in the data dir so it is not lost (widen --tolerance if Zoom's retries arrive stale)`
        return this.refuse(delivery, 401, verdict.reason, hint, outcome, app ? {app} : {})
      }
    }

    if (delivery.maxBodyBytes !== undefined && delivery.rawBody.length > delivery.maxBodyBytes) {
      const detail = `body of ${delivery.rawBody.length} bytes is over the ${delivery.maxBodyBytes}-byte limit (--max-body); kept under refused/`
      return this.refuse(delivery, 413, 'too-large', detail, outcome, app ? {app} : {})
    }

    return this.accept(delivery, outcome, signedWith)
  }

  /**
   * An event that came over Zoom's WebSocket: authenticated by the socket itself (opened with the app's
   * token over TLS), so no signature; from here on the same path as a webhook's: parsed, deduplicated,
   * stored before anything else, refused/ for what is not an event.
   */
  async handleSocketEvent(delivery: IncomingDelivery): Promise<Reply> {
    return this.accept(delivery, outcomeOf(delivery, performance.now()))
  }

  private whenStored(id: string): Promise<boolean> {
    return new Promise((resolve) => {
      const waiting = this.storing.get(id) ?? []
      waiting.push(resolve)
      this.storing.set(id, waiting)
    })
  }

  /** A first copy's write is over (its claim already given back if it failed): the copies waiting on it go on. */
  private stored(id: string, stored: boolean): void {
    const waiting = this.storing.get(id)
    this.storing.delete(id)
    for (const resolve of waiting ?? []) resolve(stored)
  }

  /** Whatever came authenticated (signed, or over the socket): checked, parsed, deduplicated and stored. */
  private async accept(delivery: IncomingDelivery, outcome: (fields: OutcomeFields) => DeliveryOutcome, signedWith?: VerifyingToken): Promise<Reply> {
    const {auth} = this.settings
    const app = signedWith?.app
    // Checked on the bytes before parsing: a body nested thousands deep parses, then breaks whatever recurses
    // over it (the mapping, JSON.stringify) and would stall forwarding. Refused with a 4xx, which Zoom does not
    // retry: no retry would make it fit. Kept under refused/ as every authentic refusal is.
    const depth = depthOver(delivery.rawBody, MAX_BODY_DEPTH)
    if (depth !== undefined) {
      return this.refuse(delivery, 422, 'too-deep', `body nests ${depth} levels of objects and arrays, over the ${MAX_BODY_DEPTH} serve accepts (Zoom's deepest nests 7); kept under refused/`, outcome, app ? {app} : {})
    }
    const text = delivery.rawBody.toString('utf8')
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch (error) {
      return this.refuse(delivery, 400, 'malformed-json', `body is not JSON: ${(error as Error).message}`, outcome, app ? {app} : {})
    }
    if (!isRecord(body) || typeof body.event !== 'string' || body.event === '') {
      return this.refuse(delivery, 400, 'no-event', 'body is JSON but has no "event" string', outcome, app ? {app} : {})
    }

    // Over the socket there is no one to answer a challenge (Zoom validates no WebSocket): it is an event like any other.
    const plainToken = delivery.websocket ? undefined : challengeToken(body)
    if (body.event === URL_VALIDATION_EVENT && plainToken === undefined && !delivery.websocket) {
      return this.refuse(delivery, 400, 'bad-challenge', 'endpoint.url_validation without a plainToken string in payload', outcome, app ? {app} : {})
    }
    if (plainToken !== undefined) {
      // An app's challenge is answered with that app's token; the previous token never answers one.
      const answerWith = signedWith && !signedWith.previous ? signedWith.secret : auth.secretToken
      if (!answerWith) {
        const detail = 'cannot answer URL validation: no secret token configured (--secret-token or ZOOM_WEBHOOK_SECRET_TOKEN)'
        return {status: 500, body: {error: detail}, outcome: outcome({result: 'error', status: 500, eventType: body.event, reason: 'no-secret', detail})}
      }
      const answer = answerChallenge(answerWith, plainToken)
      return {status: 200, body: answer, outcome: outcome({result: 'challenge', status: 200, eventType: body.event, ...(app ? {app} : {}), ...(delivery.headers[PROBE_HEADER] ? {probe: true} : {})})}
    }

    // Signed with the token and marked by doctor: proves the path without becoming an event anywhere.
    if (isProbeBody(body)) {
      await this.settings.onProbe?.()
      const detail = 'zoomctl doctor test event: verified, answered, neither stored nor forwarded'
      return {status: 200, body: {status: 'probe', event: body.event, detail}, outcome: outcome({result: 'probe', status: 200, eventType: body.event, reason: 'test-event', detail})}
    }

    const payload = isRecord(body.payload) ? body.payload : {}
    const accountId = typeof payload.account_id === 'string' ? payload.account_id : undefined
    const record = this.baseRecord(delivery)
    // The record keeps the raw body; the parsed event and Elastic's document are derived from it when read,
    // not on the request path (and not stored three times over).
    record.eventType = body.event
    const eventTs = eventTsOf(body)
    if (eventTs !== undefined) record.eventTs = eventTs
    if (app) record.app = app
    record.dedupeKey = dedupeKey(body, delivery.rawBody)
    const {store} = this.settings
    // Only in the first moments after start-up, while the window's keys load: never on the steady path.
    if (!store.isIndexed) await store.indexed()
    let firstId = store.claim(record.dedupeKey, record.id)
    // A copy of a first still on its way to disk (the same event over the webhook and the socket, say) waits
    // for it: the forwarder skips a copy, so one of a first that could not be stored is stored as the first.
    while (firstId !== undefined && this.storing.has(firstId) && !(await this.whenStored(firstId))) firstId = store.claim(record.dedupeKey, record.id)
    if (firstId !== undefined) record.duplicateOf = firstId
    // Indexing starts with the write, not after it: the answer waits for the slower of the two.
    const indexed = this.settings.acknowledge?.({...record, rawBody: text, event: body})
    if (firstId === undefined) this.storing.set(record.id, undefined)
    try {
      await store.append('events', record, delivery.rawBody, true)
      if (firstId === undefined) this.stored(record.id, true)
    } catch (error) {
      if (firstId === undefined) {
        store.release(record.dedupeKey, record.id)
        this.stored(record.id, false)
      }
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
    // --ack-fallback store: a 200 like any other, but its line says it was not indexed yet.
    const notIndexed = answer && !answer.indexed ? {detail: `${answer.detail ?? 'not indexed in time'}; answered 200 from the store (--ack-fallback store), forwarded from it later`} : {}
    if (firstId === undefined) {
      return {status: 200, body: {status: 'accepted', id: record.id}, outcome: outcome({result: 'accepted', status: 200, eventType: body.event, accountId, recordId: record.id, ...(app ? {app} : {}), ...notIndexed})}
    }
    return {
      status: 200,
      body: {status: 'duplicate', id: record.id, duplicateOf: firstId},
      outcome: outcome({result: 'duplicate', status: 200, eventType: body.event, accountId, recordId: record.id, duplicateOf: firstId, ...(app ? {app} : {}), ...notIndexed}),
    }
  }

  /** {probe: true} for a request zoomctl doctor forged on purpose (see zoom/probe.ts), else nothing. */
  private doctorsForgery(delivery: IncomingDelivery): {probe?: true} {
    const {secretToken, previousSecretToken} = this.settings.auth
    return isProbeMark(single(delivery.headers[PROBE_HEADER]), [secretToken, previousSecretToken], delivery.rawBody) ? {probe: true} : {}
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
    // One signature per token was computed as the bytes came (SpilledBody.signatures, in verifyingTokens' order).
    const matched = body.signatures.findIndex((signature) => {
      const expected = Buffer.from(signature)
      return given.length === expected.length && timingSafeEqual(given, expected)
    })
    if (!header.ok || matched < 0) {
      await unlink(body.path).catch(() => undefined)
      const [reason, detail] = header.ok ? ['signature-mismatch', 'signature does not match the body and the secret token'] : ['auth-header', header.reason]
      return {status: 401, body: {error: detail, reason}, outcome: outcome({result: 'rejected', status: 401, reason, detail, ...claimedEventType(body.head)})}
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
    const app = this.tokens[matched]?.app
    return this.refuse(delivery, 413, 'too-large', detail, outcome, {id, rawBodyFile, rawBodySize: body.size, ...claimedEventType(body.head), ...(app ? {app} : {})})
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
      outcome: outcome({result: 'refused', status, reason, detail, eventType: record.eventType, recordId: record.id, keptIn: 'refused', ...(record.app ? {app: record.app} : {})}),
    }
  }

  private baseRecord(delivery: IncomingDelivery): RecordMeta {
    return {
      id: randomUUID(),
      receivedAt: delivery.receivedAt,
      source: delivery.websocket
        ? {address: delivery.remoteAddress, transport: 'websocket', subscriptionId: delivery.websocket.subscriptionId}
        : delivery.remotePort
          ? {address: delivery.remoteAddress, port: delivery.remotePort}
          : {address: delivery.remoteAddress},
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

/**
 * The "event" a body names in its first bytes, read without parsing it (a forged body may be anything, of
 * any size): {eventType} or nothing.
 */
export function claimedEventType(bytes: Buffer): {eventType?: string} {
  const eventType = /"event"\s*:\s*"([^"\\]{1,100})"/.exec(bytes.subarray(0, 4096).toString('utf8'))?.[1]
  return eventType ? {eventType} : {}
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

/** A URL-validation challenge with a valid signature: Zoom's, whatever else it carries. */
function signedChallenge(delivery: IncomingDelivery, secret: string | undefined, toleranceSeconds: number | undefined): boolean {
  if (!secret || delivery.rawBody.length > 4096 || !delivery.rawBody.includes(URL_VALIDATION_EVENT)) return false
  const verdict = verifySignature({secret, signature: single(delivery.headers[SIGNATURE_HEADER]), timestamp: single(delivery.headers[TIMESTAMP_HEADER]), rawBody: delivery.rawBody, toleranceSeconds})
  if (!verdict.ok) return false
  try {
    return challengeToken(JSON.parse(delivery.rawBody.toString('utf8'))) !== undefined
  } catch {
    return false
  }
}
