import {describe, expect, it} from 'vitest'

import {UserError} from '../../src/errors.js'
import {gapsOf, gapsWithin, type ConnectionState} from '../../src/websocket/connection-log.js'
import type {IssuedToken} from '../../src/websocket/consumer.js'
import {backoffMs, printableEndpoint, readServerFrame, socketUrl} from '../../src/websocket/protocol.js'
import {type GrantClient, GrantFallbackTokens} from '../../src/websocket/tokens.js'

describe('the WebSocket protocol', () => {
  it('puts the subscription and the token in the query, keeping what the endpoint had, and never prints the token', () => {
    const url = socketUrl('wss://ws.zoom.us/ws?subscriptionId=old', 'abc', 't/o+k')
    expect(url.searchParams.get('subscriptionId')).toBe('abc')
    expect(url.searchParams.get('access_token')).toBe('t/o+k')
    expect(printableEndpoint(url.toString())).toBe('wss://ws.zoom.us/ws')
  })

  it('reads the frames community code shows, and the variants Zoom does not rule out', () => {
    expect(readServerFrame('{"module":"build_connection","success":true}')).toEqual({kind: 'build_connection', success: true})
    expect(readServerFrame('{"module":"build_connection","success":false,"content":"invalid subscription"}')).toEqual({kind: 'build_connection', success: false, detail: 'invalid subscription'})
    expect(readServerFrame('{"module":"heartbeat","success":true,"content":"live","header":{}}')).toEqual({kind: 'heartbeat', success: true})
    const body = '{"event":"meeting.started","event_ts":1,"payload":{}}'
    const fromString = readServerFrame(JSON.stringify({module: 'message', content: body}))
    expect(fromString.kind === 'event' && fromString.body.toString()).toBe(body)
    // content as an object, should Zoom send one: the same body.
    const fromObject = readServerFrame(JSON.stringify({module: 'message', content: JSON.parse(body) as unknown}))
    expect(fromObject.kind === 'event' && fromObject.body.toString()).toBe(body)
    expect(readServerFrame('{"module":"message"}').kind).toBe('unknown')
    expect(readServerFrame('not json')).toMatchObject({kind: 'unknown'})
    expect(readServerFrame('{"module":"notice"}')).toMatchObject({kind: 'unknown', module: 'notice'})
  })

  it('backs off from 1 s doubling to its ceiling, with at most 20 % jitter', () => {
    expect([1, 2, 3, 4, 10].map((attempt) => backoffMs(attempt, 60_000, 1000, () => 0))).toEqual([1000, 2000, 4000, 8000, 60_000])
    expect(backoffMs(1, 60_000, 1000, () => 1)).toBe(800)
  })
})

describe('gaps from the connection log', () => {
  const at = (second: number) => new Date(Date.UTC(2026, 11, 7, 9, 0, second)).toISOString()

  it('a disconnection up to the next connection, with its reason and length', () => {
    const lines: ConnectionState[] = [
      {state: 'started', at: at(0)},
      {state: 'connected', at: at(1)},
      {state: 'disconnected', at: at(10), reason: 'no answer to the heartbeat'},
      {state: 'connected', at: at(13)},
    ]
    expect(gapsOf('s', lines)).toEqual([{subscriptionId: 's', start: at(10), end: at(13), reason: 'no answer to the heartbeat', seconds: 3}])
  })

  it('a clean stop up to the next start; a kill dated from the last sign of life; an open gap has no end', () => {
    const lines: ConnectionState[] = [
      {state: 'started', at: at(0)},
      {state: 'connected', at: at(1)},
      {state: 'stopped', at: at(5)},
      {state: 'started', at: at(8)},
      {state: 'connected', at: at(9)},
      // killed: no line; the next start knows its last heartbeat answer
      {state: 'started', at: at(30), previousEnd: at(20)},
      {state: 'connected', at: at(31)},
      {state: 'disconnected', at: at(40), reason: 'the socket was closed (code 1006)'},
    ]
    expect(gapsOf('s', lines).map((gap) => [gap.start, gap.end, gap.reason])).toEqual([
      [at(5), at(9), 'serve was stopped'],
      [at(20), at(31), 'serve ended without a clean stop (killed or crashed)'],
      [at(40), undefined, 'the socket was closed (code 1006)'],
    ])
  })

  it('nothing before the first connection ever, and the first reason of a gap that went on', () => {
    const lines: ConnectionState[] = [
      {state: 'started', at: at(0)},
      {state: 'stopped', at: at(2)},
      {state: 'started', at: at(3)},
      {state: 'connected', at: at(4)},
      {state: 'disconnected', at: at(6), reason: 'dropped'},
      {state: 'stopped', at: at(7)},
      {state: 'started', at: at(9)},
      {state: 'connected', at: at(12)},
    ]
    expect(gapsOf('s', lines).map((gap) => [gap.start, gap.end, gap.reason])).toEqual([[at(6), at(12), 'dropped']])
  })

  it('keeps the gaps that touch a window, open ones included', () => {
    const gaps = [
      {subscriptionId: 's', start: at(0), end: at(2), reason: 'a'},
      {subscriptionId: 's', start: at(10), end: at(20), reason: 'b'},
      {subscriptionId: 's', start: at(30), reason: 'c'},
    ]
    expect(gapsWithin(gaps, new Date(at(15)), new Date(at(40))).map((gap) => gap.reason)).toEqual(['b', 'c'])
    expect(gapsWithin(gaps, undefined, new Date(at(5))).map((gap) => gap.reason)).toEqual(['a'])
  })
})

describe('the grant of the WebSocket token', () => {
  function client(grant: string, outcome: 'ok' | 'grant-refused' | 'bad-secret'): GrantClient & {invalidated: number} {
    return {
      grant,
      invalidated: 0,
      invalidate() {
        this.invalidated++
      },
      async token(): Promise<IssuedToken> {
        if (outcome === 'grant-refused') throw new UserError(`Zoom refused the ${grant} grant`, {category: 'auth', code: 'zoom-grant'})
        if (outcome === 'bad-secret') throw new UserError('Zoom refused the client ID or client secret', {category: 'auth', code: 'zoom-invalid-client'})
        return {accessToken: `${grant}-token`, expiresAt: 0, grant}
      },
    }
  }

  it("asks afresh for each connection, with Zoom's documented grant first", async () => {
    const first = client('client_credentials', 'ok')
    const tokens = new GrantFallbackTokens([first, client('account_credentials', 'ok')])
    expect((await tokens.token()).grant).toBe('client_credentials')
    await tokens.token()
    expect(first.invalidated).toBe(2)
  })

  it('takes the next grant when the token endpoint refuses one, and keeps it', async () => {
    const tokens = new GrantFallbackTokens([client('client_credentials', 'grant-refused'), client('account_credentials', 'ok')])
    expect((await tokens.token()).grant).toBe('account_credentials')
    expect(tokens.grant).toBe('account_credentials')
  })

  it('takes the next grant when the socket refuses a token, and goes round', async () => {
    const tokens = new GrantFallbackTokens([client('client_credentials', 'ok'), client('account_credentials', 'ok')])
    tokens.refused(await tokens.token())
    const second = await tokens.token()
    expect(second.grant).toBe('account_credentials')
    tokens.refused(second)
    expect((await tokens.token()).grant).toBe('client_credentials')
  })

  it('does not hide refused credentials behind another grant', async () => {
    const tokens = new GrantFallbackTokens([client('client_credentials', 'bad-secret'), client('account_credentials', 'ok')])
    await expect(tokens.token()).rejects.toThrow(/client secret/)
  })
})

describe('judging the gaps', () => {
  it('passes with none in the window, warns with each one and the seconds without the socket', async () => {
    const {judgeGaps} = await import('../../src/checks/doctor/websocket-judge.js')
    const now = Date.parse('2026-12-07T10:00:00Z')
    const window = {since: now - 3_600_000, until: now}
    expect(judgeGaps([], window)).toMatchObject({status: 'pass', value: 'none recorded'})
    const old = {subscriptionId: 's', start: '2026-12-07T07:00:00.000Z', end: '2026-12-07T07:00:05.000Z', seconds: 5, reason: 'dropped'}
    expect(judgeGaps([old], window)).toMatchObject({status: 'pass', value: 'none'})
    const recent = {subscriptionId: 's', start: '2026-12-07T09:30:00.000Z', end: '2026-12-07T09:30:04.500Z', seconds: 4.5, reason: 'no answer to the heartbeat'}
    const open = {subscriptionId: 's', start: '2026-12-07T09:59:50.000Z', reason: 'serve was stopped'}
    const check = judgeGaps([old, recent, open], window)
    expect(check).toMatchObject({status: 'warn', value: '2, 14.5 s in all (one still open)'})
    expect(check.details).toEqual(['2026-12-07T09:30:00.000Z → 2026-12-07T09:30:04.500Z: no answer to the heartbeat', '2026-12-07T09:59:50.000Z → now: serve was stopped'])
  })
})
