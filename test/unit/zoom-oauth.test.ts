import {createServer, type IncomingMessage, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'

import {afterEach, describe, expect, it} from 'vitest'

import {zoomOAuthClientFrom} from '../../src/cli/zoom-flags.js'
import {UserError} from '../../src/errors.js'
import {ZoomOAuthClient} from '../../src/zoom/api/oauth.js'

interface Seen {
  authorization?: string
  contentType?: string
  body: string
  url: string
}

/** A token endpoint that answers with `answer` for each request, recording what it was sent. */
async function tokenEndpoint(answer: (n: number) => {status: number; body: unknown; headers?: Record<string, string>; delayMs?: number}): Promise<{url: string; seen: Seen[]; server: Server}> {
  const seen: Seen[] = []
  const server = createServer(async (request: IncomingMessage, response) => {
    let body = ''
    for await (const chunk of request) body += chunk
    seen.push({authorization: request.headers.authorization, contentType: request.headers['content-type'], body, url: request.url ?? ''})
    const reply = answer(seen.length)
    if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs))
    response.writeHead(reply.status, {'content-type': 'application/json', ...reply.headers}).end(JSON.stringify(reply.body))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  servers.push(server)
  return {url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth/token`, seen, server}
}

const servers: Server[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))))
})

const credentials = {accountId: 'acc-1', clientId: 'client-1', clientSecret: 'sup3r-secret-value'}
const ok = (n: number) => ({status: 200, body: {access_token: `token-${n}`, token_type: 'bearer', expires_in: 3600, scope: 'marketplace:read:list_event_subscriptions marketplace:write:event_subscription'}})

async function refusal(status: number, body: unknown, headers?: Record<string, string>): Promise<UserError> {
  const endpoint = await tokenEndpoint(() => ({status, body, headers}))
  const client = new ZoomOAuthClient({credentials, tokenUrl: endpoint.url})
  const error = await client.token().then(
    () => undefined,
    (error: unknown) => error,
  )
  await client.close()
  expect(error).toBeInstanceOf(UserError)
  return error as UserError
}

describe('ZoomOAuthClient', () => {
  it('asks with Basic auth and a form body (account_credentials), and returns the scopes', async () => {
    const endpoint = await tokenEndpoint(ok)
    const client = new ZoomOAuthClient({credentials, tokenUrl: endpoint.url})
    const token = await client.token()
    expect(token).toMatchObject({accessToken: 'token-1', grant: 'account_credentials', scopes: ['marketplace:read:list_event_subscriptions', 'marketplace:write:event_subscription']})
    expect(endpoint.seen[0]).toMatchObject({authorization: `Basic ${Buffer.from('client-1:sup3r-secret-value').toString('base64')}`, contentType: 'application/x-www-form-urlencoded', url: '/oauth/token'})
    expect(Object.fromEntries(new URLSearchParams(endpoint.seen[0]!.body))).toEqual({grant_type: 'account_credentials', account_id: 'acc-1'})
    await client.close()
  })

  it('asks for client_credentials without the account', async () => {
    const endpoint = await tokenEndpoint(ok)
    const client = new ZoomOAuthClient({credentials: {clientId: 'c', clientSecret: 's'}, tokenUrl: endpoint.url, grant: 'client_credentials'})
    expect((await client.token()).grant).toBe('client_credentials')
    expect(Object.fromEntries(new URLSearchParams(endpoint.seen[0]!.body))).toEqual({grant_type: 'client_credentials'})
    await client.close()
  })

  it('keeps the token, shares one request between concurrent callers, renews a minute before expiry and after invalidate()', async () => {
    const endpoint = await tokenEndpoint((n) => ({...ok(n), delayMs: 50}))
    let now = 1_000_000
    const client = new ZoomOAuthClient({credentials, tokenUrl: endpoint.url, now: () => now})
    const [a, b, c] = await Promise.all([client.token(), client.token(), client.token()])
    expect(endpoint.seen).toHaveLength(1)
    expect(new Set([a.accessToken, b.accessToken, c.accessToken])).toEqual(new Set(['token-1']))
    expect(a.expiresAt).toBe(1_000_000 + 3_600_000)
    now += 3_600_000 - 61_000
    expect((await client.token()).accessToken).toBe('token-1')
    now += 2000
    expect((await client.token()).accessToken).toBe('token-2')
    client.invalidate()
    expect((await client.token()).accessToken).toBe('token-3')
    expect(endpoint.seen).toHaveLength(3)
    await client.close()
  })

  it('a failed request is not cached: the next call asks again', async () => {
    const endpoint = await tokenEndpoint((n) => (n === 1 ? {status: 500, body: {}} : ok(n)))
    const client = new ZoomOAuthClient({credentials, tokenUrl: endpoint.url})
    await expect(client.token()).rejects.toThrow(/failed \(500\)/)
    expect((await client.token()).accessToken).toBe('token-2')
    await client.close()
  })

  it.each([
    [401, {reason: 'Invalid client_id or client_secret', error: 'invalid_client'}, 'zoom-invalid-client'],
    [400, {reason: 'Invalid client_id or client_secret', error: 'invalid_client'}, 'zoom-invalid-client'],
    [400, {code: 4702, message: 'Invalid client.'}, 'zoom-invalid-client'],
    [400, {reason: 'Account does not exist', error: 'invalid_request'}, 'zoom-invalid-account'],
    [400, {reason: 'Bad Request', error: 'invalid_request'}, 'zoom-invalid-account'],
    [400, {reason: 'Account does not enabled the OAuth app type', error: 'invalid_request'}, 'zoom-app-type'],
    [400, {reason: 'unsupported grant type', error: 'unsupported_grant_type'}, 'zoom-grant'],
    [400, {code: 4717, message: 'The app has been disabled'}, 'zoom-app-disabled'],
  ])('%i %o → %s, in plain words with what to do', async (status, body, code) => {
    const error = await refusal(status, body)
    expect(error.code).toBe(code)
    expect(error.hint).toBeTruthy()
    expect(error.exitCode).toBe(1)
  })

  it('a 429 says when to try again', async () => {
    const error = await refusal(429, {reason: 'Too many requests'}, {'retry-after': '7'})
    expect(error.code).toBe('zoom-rate-limited')
    expect(error.hint).toContain('in 7 s')
  })

  it('never puts the secret in a message, even when Zoom echoes it', async () => {
    const error = await refusal(401, {reason: `bad secret ${credentials.clientSecret}`, error: 'invalid_client'})
    expect(`${error.message} ${error.hint}`).not.toContain(credentials.clientSecret)
  })

  it('an unreachable endpoint says which setting to check', async () => {
    const client = new ZoomOAuthClient({credentials, tokenUrl: 'http://127.0.0.1:9/oauth/token'})
    await expect(client.token()).rejects.toMatchObject({code: 'zoom-token-unreachable', hint: expect.stringContaining('--zoom-token-url')})
    await client.close()
  })

  it('zoomOAuthClientFrom names every missing credential with its env var', () => {
    expect(() => zoomOAuthClientFrom({'zoom-client-id': 'c'})).toThrow(/ZOOM_ACCOUNT_ID.*ZOOM_CLIENT_SECRET/)
    expect(() => zoomOAuthClientFrom({'zoom-client-id': 'c', 'zoom-client-secret': 's'}, {grant: 'client_credentials'})).not.toThrow()
    expect(() => zoomOAuthClientFrom({'zoom-account-id': 'a', 'zoom-client-id': 'c', 'zoom-client-secret': 's', 'zoom-token-url': 'ftp://x'})).toThrow(/--zoom-token-url/)
  })
})
