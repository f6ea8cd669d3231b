import {describe, expect, it} from 'vitest'

import {elasticSettingsFrom} from '../../src/cli/flags.js'
import {applyAssignment, parseAssignment, parseDuration, parseHeader, parseSize, parseTimePoint} from '../../src/config/index.js'
import {toCurl} from '../../src/sender/curl.js'
import {prepareDelivery} from '../../src/sender/prepare.js'

describe('option parsing', () => {
  it('reads durations and sizes, and says what it expects otherwise', () => {
    expect(parseDuration('30s')).toBe(30_000)
    expect(parseDuration('2m')).toBe(120_000)
    expect(parseDuration('500ms')).toBe(500)
    expect(parseDuration('1.5h')).toBe(5_400_000)
    expect(parseDuration('45')).toBe(45_000)
    expect(() => parseDuration('soon')).toThrow(/use e.g. 30s/)
    expect(parseSize('1mb')).toBe(1_048_576)
    expect(parseSize('512KB')).toBe(524_288)
    expect(parseSize('100')).toBe(100)
    expect(() => parseSize('big')).toThrow(/not a size/)
  })

  it('reads headers and --set overrides', () => {
    expect(parseHeader('X-Trace: abc: def')).toEqual(['x-trace', 'abc: def'])
    expect(parseHeader('a=b')).toEqual(['a', 'b'])
    expect(() => parseHeader('nothing')).toThrow(/Name: value/)
    expect(parseAssignment('payload.object.duration=90')).toEqual({path: ['payload', 'object', 'duration'], value: 90})
    expect(parseAssignment('payload.object.topic=Board = meeting')).toEqual({path: ['payload', 'object', 'topic'], value: 'Board = meeting'})
    expect(parseAssignment('payload.object={"id":1}').value).toEqual({id: 1})
    expect(() => parseAssignment('=x')).toThrow(/path=value/)
    expect(() => parseAssignment('a..b=1')).toThrow(/dotted path/)
    const target: Record<string, unknown> = {payload: {object: 'scalar'}}
    applyAssignment(target, parseAssignment('payload.object.id=7'))
    expect(target).toEqual({payload: {object: {id: 7}}})
  })
})

describe('dry-run curl', () => {
  it('sends the same bytes and reads credentials from env vars', () => {
    const body = `{"event":"meeting.started","payload":{"topic":"it's"}}`
    const prepared = prepareDelivery(body, {mode: 'basic', secretToken: 's', username: 'u', password: 'top-secret'}, {timestamp: 1_700_000_000})
    const curl = toCurl('https://hooks.example.com/zoom-webhook', prepared, {name: 'authorization', mode: 'basic'})
    expect(curl).toContain(`--data-binary '{"event":"meeting.started","payload":{"topic":"it'\\''s"}}'`)
    expect(curl).toContain('-u "${ZOOMCTL_BASIC_USER:?set ZOOMCTL_BASIC_USER}:${ZOOMCTL_BASIC_PASSWORD:?set ZOOMCTL_BASIC_PASSWORD}"')
    expect(curl).toContain(`-H 'x-zm-request-timestamp: 1700000000'`)
    expect(curl).not.toContain('top-secret')
    expect(curl).not.toContain(Buffer.from('u:top-secret').toString('base64'))
  })
})

describe('a value that cannot be read', () => {
  it('is named by its flag', () => {
    expect(() => parseDuration('abc', '--ack-timeout')).toThrow('--ack-timeout: "abc" is not a duration: use e.g. 30s, 2m, 1h, 2d or 500ms')
    expect(() => parseTimePoint('2hours', Date.now(), '--since')).toThrow('--since: "2hours" is not a time')
    expect(() => parseDuration('abc')).toThrow(/^"abc" is not a duration/)
  })
})

describe('--es-url', () => {
  const refusal = (url: string) => elasticSettingsFrom({'es-url': url}, {}).then(
    () => undefined,
    (error: Error & {hint?: string}) => ({message: error.message, hint: error.hint}),
  )

  it('names the node of a list that is wrong, shows it without its credentials, and says how to write it', async () => {
    expect(await refusal('127.0.0.1:9200')).toEqual({message: '--es-url: "127.0.0.1:9200" has no http:// or https://', hint: 'write it as https://127.0.0.1:9200 (http:// without TLS)'})
    expect(await refusal('localhost:9200')).toMatchObject({message: '--es-url: "localhost:9200" has no http:// or https://'})
    expect(await refusal('http://127.0.0.1:9200, 10.0.0.2:9200')).toMatchObject({message: '--es-url (node 2 of 2): "10.0.0.2:9200" has no http:// or https://'})
    const withSecret = await refusal('elastic:s3cret@es.example.com:9200')
    expect(withSecret).toEqual({
      message: '--es-url: "…@es.example.com:9200" has no http:// or https://',
      hint: 'write it as https://es.example.com:9200 (http:// without TLS); credentials go in --api-key or --username and --password, not in the URL',
    })
    expect(await refusal('https://u:s3cret@bad host:9200')).toMatchObject({message: '--es-url: "https://…@bad host:9200" is not a URL: use e.g. https://localhost:9200'})
    expect(await refusal('ftp://es.example.com')).toMatchObject({message: '--es-url: use http:// or https://, not ftp:'})
    expect(await refusal('https://es.example.com:9200')).toBeUndefined()
  })
})
