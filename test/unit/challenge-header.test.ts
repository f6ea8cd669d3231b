import {afterEach, describe, expect, it} from 'vitest'

import {type RunningReceiver, startReceiver} from '../../src/receiver/index.js'
import {FileStore} from '../../src/store/index.js'
import {answerChallenge} from '../../src/zoom/challenge.js'
import {signatureHeaders} from '../../src/zoom/signature.js'
import {tempDir} from '../helpers/cli.js'

const secretToken = 'unit-secret'
const running: RunningReceiver[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((receiver) => receiver.close(100)))
})

/**
 * serve with --auth header behind a Zoom subscription's custom header: whether Zoom sends that header with
 * its challenge too is unconfirmed, so a challenge signed with the Secret Token is answered without it.
 */
describe('a static header and Zoom\'s challenge', () => {
  it('answers a signed challenge without the header; refuses an unsigned one and a signed event without it', async () => {
    const store = await FileStore.open(tempDir())
    const receiver = await startReceiver({host: '127.0.0.1', port: 0, path: '/zoom-webhook', auth: {mode: 'header', secretToken, headerName: 'x-zoom-secret', headerValue: 'v'}, toleranceSeconds: 300, maxBodyBytes: 1024 * 1024, store})
    running.push(receiver)
    const post = async (body: string, headers: Record<string, string>) => {
      const response = await fetch(receiver.url, {method: 'POST', headers: {'content-type': 'application/json', ...headers}, body})
      return {status: response.status, body: (await response.json()) as Record<string, unknown>}
    }
    const challenge = JSON.stringify({payload: {plainToken: 'abc'}, event_ts: Date.now(), event: 'endpoint.url_validation'})
    expect(await post(challenge, signatureHeaders(secretToken, challenge))).toEqual({status: 200, body: answerChallenge(secretToken, 'abc')})
    expect((await post(challenge, {})).status).toBe(401)
    expect((await post(challenge, signatureHeaders('another-secret', challenge))).status).toBe(401)
    const event = JSON.stringify({event: 'meeting.started', event_ts: Date.now(), payload: {object: {id: '1'}}})
    expect(await post(event, signatureHeaders(secretToken, event))).toMatchObject({status: 401, body: {reason: 'auth-header'}})
    expect((await post(event, {...signatureHeaders(secretToken, event), 'x-zoom-secret': 'v'})).status).toBe(200)
  })
})
