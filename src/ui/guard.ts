import {timingSafeEqual} from 'node:crypto'
import {isIP} from 'node:net'
import {hostname, networkInterfaces} from 'node:os'

import {isLoopbackHost} from '../config/local-token.js'

/** The header the inspector's own page sends its token in (a header no other site can make a browser add). */
export const TOKEN_HEADER = 'x-zoomctl-token'

/** What a request shows of itself: what the judgement needs, nothing else (pure, easy to test). */
export interface InspectorRequest {
  method: string
  /** The path, without the query. */
  path: string
  /** The Host header as sent ("127.0.0.1:8190", "[::1]:8190", "evil.example:8190"). */
  host?: string
  origin?: string
  contentType?: string
  /** The x-zoomctl-token header. */
  headerToken?: string
  /** ?token= in the URL: taken for GET only (an EventSource and a download link cannot send a header). */
  queryToken?: string
}

export interface GuardSettings {
  /** Host names the inspector answers to, lower-case, without brackets or port. */
  allowedHosts: ReadonlySet<string>
  /** The per-process token its page holds. */
  token: string
  /** Beyond loopback the page itself is shown only to who has the token (printed at start, in its URL). */
  pageNeedsToken: boolean
}

export type Judgement = {ok: true} | {ok: false; status: 401 | 403 | 415; reason: string; message: string}

/** The page's script and style: the same for everyone, nothing in them to hide. */
const ASSET_PATHS = new Set(['/inspector.js', '/inspector.css'])

/**
 * Whether the inspector answers a request, and if not, why. Three proofs, from cheapest to strongest:
 * - Host: only names it serves. A page of another site that re-points its own name at 127.0.0.1 (DNS
 *   rebinding) sends its own name here, and is refused before anything is read.
 * - Origin: a browser names the page that made a request; one of another site is refused outright, and a
 *   request that sends or changes anything must name this inspector itself.
 * - The token: random for each process, held by the page (served inside it) and sent back in a header. A
 *   page of another site cannot read it, so it cannot read a delivery, mint a signature or re-send.
 * A sending request must also be `application/json`, which no form and no "simple" cross-site request can be.
 */
export function judgeRequest(request: InspectorRequest, settings: GuardSettings): Judgement {
  const hostname = hostnameOf(request.host)
  if (hostname === undefined || !settings.allowedHosts.has(hostname)) {
    return deny(403, 'host', `this inspector does not answer to the host name ${JSON.stringify(request.host ?? '')}: it answers as ${[...settings.allowedHosts].map((name) => (name.includes(':') ? `[${name}]` : name)).join(', ')} (a page of another site re-pointing its name here is refused); to use another name, start it with --ui-host <that name>`)
  }
  const sameOrigin = request.origin !== undefined && request.origin.toLowerCase() === `http://${request.host!.toLowerCase()}`
  if (request.origin !== undefined && !sameOrigin) {
    return deny(403, 'origin', `requests from ${request.origin} are refused: only the inspector's own page may use it`)
  }
  const isGet = request.method === 'GET' || request.method === 'HEAD'
  if (isGet && ASSET_PATHS.has(request.path)) return {ok: true}
  const given = request.headerToken ?? (isGet ? request.queryToken : undefined)
  const hasToken = given !== undefined && sameToken(given, settings.token)
  // The page holds the token: on loopback it is shown to whoever can open it, as before (a page of another site cannot read it).
  if (isGet && request.path === '/') {
    if (settings.pageNeedsToken && !hasToken) return deny(401, 'token', 'this inspector needs the token printed when it started: open the URL it printed (with ?token=…)')
    return {ok: true}
  }
  if (!isGet) {
    // A form or a no-cors fetch cannot send application/json nor a custom header; a missing Origin is a client that did not say where it comes from.
    if (!sameOrigin) return deny(403, 'origin', "a request that sends or changes anything must come from the inspector's own page (same Origin)")
    if (mediaType(request.contentType) !== 'application/json') return deny(415, 'content-type', 'send application/json')
    if (request.headerToken === undefined || !sameToken(request.headerToken, settings.token)) return deny(401, 'token', `send the inspector's token in ${TOKEN_HEADER} (its page does)`)
    return {ok: true}
  }
  if (!hasToken) return deny(401, 'token', `send the inspector's token in ${TOKEN_HEADER} (its page does), or ?token= on a GET`)
  return {ok: true}
}

/**
 * The names an inspector listening on `host` answers to: the loopback names always, the address it was
 * given, and on a wildcard address (0.0.0.0, ::) this machine's addresses and name.
 */
export function allowedHostsFor(host: string, machine: {addresses: string[]; hostname: string} = machineNames()): Set<string> {
  const names = new Set(['127.0.0.1', 'localhost', '::1', host.replace(/^\[|\]$/g, '').toLowerCase()])
  if (host === '0.0.0.0' || host === '::' || host === '[::]') {
    for (const address of machine.addresses) names.add(address.toLowerCase())
    names.add(machine.hostname.toLowerCase())
  }
  return names
}

/** Whether the page itself needs the token: when it may be reached from another machine. */
export function pageNeedsToken(host: string): boolean {
  return !isLoopbackHost(host)
}

function machineNames(): {addresses: string[]; hostname: string} {
  const addresses = Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((item) => item.address))
  return {addresses, hostname: hostname()}
}

/** "Evil.Example:8190" → "evil.example", "[::1]:8190" → "::1"; undefined when it is no host at all. */
export function hostnameOf(host: string | undefined): string | undefined {
  if (!host) return undefined
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(host)
  if (bracketed) return isIP(bracketed[1]!) === 6 ? bracketed[1]!.toLowerCase() : undefined
  const plain = /^([^:]+)(?::\d+)?$/.exec(host)
  return plain ? plain[1]!.toLowerCase().replace(/\.$/, '') : undefined
}

function mediaType(contentType: string | undefined): string | undefined {
  return contentType?.split(';')[0]!.trim().toLowerCase()
}

function sameToken(given: string, token: string): boolean {
  const a = Buffer.from(given)
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}

function deny(status: 401 | 403 | 415, reason: string, message: string): Judgement {
  return {ok: false, status, reason, message}
}
