import {describe, expect, it} from 'vitest'

import {allowedHostsFor, type GuardSettings, hostnameOf, type InspectorRequest, judgeRequest} from '../../src/ui/guard.js'

const TOKEN = 'the-process-token'
const loopback: GuardSettings = {allowedHosts: allowedHostsFor('127.0.0.1'), token: TOKEN, pageNeedsToken: false}
const own = {host: '127.0.0.1:8190', origin: 'http://127.0.0.1:8190'}
const resend = (fields: Partial<InspectorRequest>): InspectorRequest => ({method: 'POST', path: '/api/resend', ...own, contentType: 'application/json', headerToken: TOKEN, ...fields})
const verdict = (request: InspectorRequest, settings = loopback) => {
  const judgement = judgeRequest(request, settings)
  return judgement.ok ? 'ok' : `${judgement.status} ${judgement.reason}`
}

describe("the inspector's judgement of a request", () => {
  it('answers only to the names it serves: a rebinding host name is refused whatever else it sends', () => {
    for (const host of ['127.0.0.1:8190', 'localhost:8190', 'LOCALHOST', '[::1]:8190', 'localhost.:8190']) expect(verdict({method: 'GET', path: '/', host})).toBe('ok')
    for (const host of ['evil.example:8190', 'evil.example', '127.0.0.1.evil.example', '', '[::2]:8190', 'a:b:c']) {
      expect(verdict({method: 'GET', path: '/', host})).toBe('403 host')
      expect(verdict(resend({host, origin: `http://${host}`}))).toBe('403 host')
      expect(verdict({method: 'GET', path: '/api/export', host, headerToken: TOKEN})).toBe('403 host')
    }
    expect(verdict({method: 'GET', path: '/'})).toBe('403 host')
  })

  it('takes the configured --ui-host, and on a wildcard address the machine\'s own addresses and name', () => {
    expect(allowedHostsFor('zoomctl.internal')).toEqual(new Set(['127.0.0.1', 'localhost', '::1', 'zoomctl.internal']))
    const wildcard = allowedHostsFor('0.0.0.0', {addresses: ['10.1.2.3', 'fe80::1'], hostname: 'Box'})
    expect([...wildcard]).toEqual(expect.arrayContaining(['10.1.2.3', 'fe80::1', 'box']))
    expect(wildcard.has('evil.example')).toBe(false)
  })

  it('re-sends only for its own page: same Origin, application/json and the token in its header', () => {
    expect(verdict(resend({}))).toBe('ok')
    expect(verdict(resend({contentType: 'application/json; charset=utf-8'}))).toBe('ok')
    // A no-cors fetch or a form from another site: its Origin, text/plain, no header.
    expect(verdict(resend({origin: 'http://127.0.0.1:18999', contentType: 'text/plain', headerToken: undefined}))).toBe('403 origin')
    expect(verdict(resend({origin: 'null'}))).toBe('403 origin')
    expect(verdict(resend({origin: undefined}))).toBe('403 origin')
    expect(verdict(resend({contentType: 'text/plain'}))).toBe('415 content-type')
    expect(verdict(resend({contentType: 'application/x-www-form-urlencoded'}))).toBe('415 content-type')
    expect(verdict(resend({headerToken: undefined}))).toBe('401 token')
    expect(verdict(resend({headerToken: 'wrong'}))).toBe('401 token')
    // A token in the URL is for GETs only (an EventSource, a download link).
    expect(verdict(resend({headerToken: undefined, queryToken: TOKEN}))).toBe('401 token')
  })

  it('reads, exports and mints a curl line only with the token; the page and its files need none on loopback', () => {
    for (const path of ['/api/deliveries', '/api/deliveries/0b5e2c3a-64b1-4c55-9f5e-4b7f0e0e9a11', '/api/export', '/api/deliveries/0b5e2c3a-64b1-4c55-9f5e-4b7f0e0e9a11/curl', '/api/stream', '/api/stats']) {
      expect(verdict({method: 'GET', path, host: own.host})).toBe('401 token')
      expect(verdict({method: 'GET', path, host: own.host, queryToken: 'nearly-' + TOKEN})).toBe('401 token')
      expect(verdict({method: 'GET', path, host: own.host, headerToken: TOKEN})).toBe('ok')
      expect(verdict({method: 'GET', path, host: own.host, queryToken: TOKEN})).toBe('ok')
      // Another site's page naming itself in Origin is refused even with a token (it could only have stolen it).
      expect(verdict({method: 'GET', path, host: own.host, origin: 'http://evil.example', headerToken: TOKEN})).toBe('403 origin')
    }
    for (const path of ['/', '/inspector.js', '/inspector.css']) expect(verdict({method: 'GET', path, host: own.host})).toBe('ok')
    const beyond: GuardSettings = {allowedHosts: allowedHostsFor('10.0.0.5'), token: TOKEN, pageNeedsToken: true}
    expect(verdict({method: 'GET', path: '/', host: '10.0.0.5:8190'}, beyond)).toBe('401 token')
    expect(verdict({method: 'GET', path: '/', host: '10.0.0.5:8190', queryToken: TOKEN}, beyond)).toBe('ok')
    expect(verdict({method: 'GET', path: '/inspector.js', host: '10.0.0.5:8190'}, beyond)).toBe('ok')
  })

  it('reads a Host header as browsers send it', () => {
    expect(hostnameOf('Evil.Example:8190')).toBe('evil.example')
    expect(hostnameOf('[::1]:8190')).toBe('::1')
    expect(hostnameOf('[nonsense]:1')).toBeUndefined()
    expect(hostnameOf('127.0.0.1')).toBe('127.0.0.1')
    expect(hostnameOf(undefined)).toBeUndefined()
  })
})
