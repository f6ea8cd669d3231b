import {describe, expect, it} from 'vitest'

import {resolveAuth} from '../../src/config/index.js'
import {prepareDelivery} from '../../src/sender/prepare.js'
import {assertAuthComplete, type AuthSettings, checkModeHeader, describeAuth, modeHeader, redactCredential} from '../../src/zoom/auth.js'
import {signBody} from '../../src/zoom/signature.js'

const secretToken = 's3cret'
const modes: Array<[AuthSettings, string, string]> = [
  [{mode: 'header', secretToken, headerValue: 'elastic-value'}, 'authorization', 'elastic-value'],
  [{mode: 'header', secretToken, headerName: 'X-Zoom-Key', headerValue: 'v'}, 'x-zoom-key', 'v'],
  [{mode: 'basic', secretToken, username: 'zoom', password: 'p:w'}, 'authorization', `Basic ${Buffer.from('zoom:p:w').toString('base64')}`],
  [{mode: 'bearer', secretToken, bearerToken: 'tok-9f3k'}, 'authorization', 'Bearer tok-9f3k'],
]

describe('auth modes', () => {
  it.each(modes)('%o sends %s and the receiver accepts exactly that', (settings, name, value) => {
    expect(modeHeader(settings)).toEqual([name, value])
    expect(checkModeHeader(settings, {[name]: value})).toEqual({ok: true})
    expect(checkModeHeader(settings, {[name]: `${value}x`})).toMatchObject({ok: false, reason: expect.stringContaining('does not match')})
    expect(checkModeHeader(settings, {})).toMatchObject({ok: false, reason: expect.stringContaining('missing')})
  })

  it('signs every delivery whatever the mode, and adds the mode header on top', () => {
    for (const [settings, name, value] of modes) {
      const prepared = prepareDelivery('{"event":"x"}', settings, {timestamp: 1_700_000_000})
      expect(prepared.headers['x-zm-signature']).toBe(signBody(secretToken, 1_700_000_000, '{"event":"x"}'))
      expect(prepared.headers['x-zm-request-timestamp']).toBe('1700000000')
      expect(prepared.headers[name]).toBe(value)
      expect(prepared.headers['user-agent']).toBe('Zoom Marketplace/1.0a')
    }
  })

  it('signature mode checks no extra header', () => {
    expect(modeHeader({mode: 'signature', secretToken})).toBeUndefined()
    expect(checkModeHeader({mode: 'signature', secretToken}, {})).toEqual({ok: true})
  })

  it('says which flag is missing', () => {
    expect(() => assertAuthComplete({mode: 'signature'}, 'receive')).toThrow(/--secret-token/)
    expect(() => assertAuthComplete({mode: 'basic', secretToken}, 'send')).toThrow(/--basic-user/)
    expect(() => assertAuthComplete({mode: 'bearer', bearerToken: 't'}, 'send')).toThrow(/Zoom signs every delivery/)
    expect(() => assertAuthComplete({mode: 'header', headerValue: 'v'}, 'receive')).not.toThrow()
    expect(() => resolveAuth({auth: 'oauth'})).toThrow(/unknown auth mode/)
  })

  it('never prints a secret', () => {
    for (const [settings] of modes) {
      const text = describeAuth(settings)
      for (const secret of [secretToken, 'elastic-value', 'p:w', 'tok-9f3k']) expect(text).not.toContain(secret)
    }
    expect(redactCredential('Basic Zm9vOmJhcg==')).toBe('Basic [redacted]')
    expect(redactCredential('raw-token')).toBe('[redacted]')
  })
})
