import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {packagePolicyBody, redactedBody, supportsSimplified} from '../../src/setup/policy.js'
import {tempDir} from '../helpers/cli.js'

const input = {listenAddress: 'localhost', listenPort: 8182, path: '/zoom-webhook', crcSecret: 'crc', secretHeader: 'Authorization', secretValue: 'header'}
const target = (kibanaVersion: string) => ({name: 'zoom-webhook-zoomctl', namespace: 'default', agentPolicyId: 'p1', packageVersion: '1.27.2', kibanaVersion})

describe("Fleet's package policy for the Zoom webhook", () => {
  it('uses the simplified format from Kibana 8.5, policy_ids from 8.15, and disables zoom-cel', () => {
    expect([supportsSimplified('8.4.3'), supportsSimplified('8.5.0'), supportsSimplified('9.1.0')]).toEqual([false, true, true])
    expect(packagePolicyBody(target('8.19.4'), input)).toMatchObject({
      policy_ids: ['p1'],
      inputs: {'zoom-http_endpoint': {streams: {'zoom.webhook': {vars: {listen_port: 8182, crc_enabled: true, crc_secret: 'crc'}}}}, 'zoom-cel': {enabled: false}},
    })
    expect(packagePolicyBody(target('8.10.0'), input)).toMatchObject({policy_id: 'p1'})
  })

  it('uses the legacy format, every var as {value, type}, before 8.5', () => {
    const body = packagePolicyBody(target('7.17.20'), input)
    expect(body).toMatchObject({policy_id: 'p1', enabled: true, package: {name: 'zoom', title: 'Zoom'}})
    const stream = (body.inputs as Array<{type: string; streams: Array<{data_stream: unknown; vars: Record<string, unknown>}>}>)[0]!
    expect(stream.type).toBe('http_endpoint')
    expect(stream.streams[0]!.data_stream).toEqual({type: 'logs', dataset: 'zoom.webhook'})
    expect(stream.streams[0]!.vars).toMatchObject({listen_port: {value: 8182, type: 'integer'}, crc_secret: {value: 'crc', type: 'password'}})
  })

  it('shows no secret in what it prints before sending', () => {
    const text = JSON.stringify(redactedBody(packagePolicyBody(target('8.19.4'), input))) + JSON.stringify(redactedBody(packagePolicyBody(target('7.17.0'), input)))
    expect(text).not.toContain('"crc"')
    expect(text).not.toContain('"header"')
  })
})

describe('setup questions', () => {
  it('asks for a user and password only when the API key is left out, and for the password only with a user', async () => {
    const {collectAnswers} = await import('../../src/setup/setup.js')
    const ask = async (typed: Record<string, string>) => {
      const asked: string[] = []
      const prompter = {
        ask: async (question: {key: string}, fallback: string | undefined) => {
          asked.push(question.key)
          return typed[question.key] ?? fallback ?? ''
        },
        // Nothing listens at the URL: the connection check fails, and its choice keeps the answers as typed.
        choose: async () => 'keep',
        confirm: async () => true,
      }
      const {answers} = await collectAnswers({given: {port: '0'}, prompter, yes: false, configPath: '/dev/null', namespace: 'default'})
      return {asked, answers}
    }
    const base = {destination: 'elasticsearch', 'es-url': 'http://127.0.0.1:1', 'kibana-url': 'http://127.0.0.1:5601'}
    const withKeys = await ask({...base, 'api-key': 'a2V5', 'kibana-api-key': 'a2Ju'})
    expect(withKeys.asked).not.toContain('username')
    expect(withKeys.asked).not.toContain('kibana-username')
    const asUsers = await ask({...base, username: 'elastic', password: 'pw', 'kibana-username': 'elastic', 'kibana-password': 'kpw'})
    expect(asUsers.answers).toMatchObject({username: 'elastic', password: 'pw', 'kibana-username': 'elastic', 'kibana-password': 'kpw'})
    const open = await ask(base)
    expect(open.asked).toEqual(expect.arrayContaining(['api-key', 'username', 'kibana-api-key', 'kibana-username']))
    expect(open.asked).not.toContain('password')
    expect(open.asked).not.toContain('kibana-password')
  })

  it('puts an agent on this machine behind serve, on the next port, when --yes leaves the forward URL out', async () => {
    const {collectAnswers, webhookInput} = await import('../../src/setup/setup.js')
    const {answers} = await collectAnswers({given: {destination: 'agent', port: '9000', path: '/hooks/zoom'}, yes: true, configPath: '/dev/null', namespace: 'default'})
    expect(answers['forward-to']).toBe('http://127.0.0.1:9001/hooks/zoom')
    // The Fleet policy the agent gets listens there, on loopback, checking the header serve sends.
    expect(webhookInput(answers)).toMatchObject({listenAddress: 'localhost', listenPort: 9001, path: '/hooks/zoom', secretHeader: 'Authorization', secretValue: answers['agent-secret']})
  })

  it('run again, keeps what the config file holds: the Secret Token, references as written, the user\'s own settings', async () => {
    const {collectAnswers, changesFor, settingsFrom} = await import('../../src/setup/setup.js')
    const {loadConfig} = await import('../../src/config/file.js')
    const path = join(tempDir(), 'zoomctl.yaml')
    process.env.ZOOMCTL_TEST_ES_KEY = 'a2V5OnNlY3JldA=='
    writeFileSync(path, 'port: 0\nsecret-token: real-zoom-token\nes-url: http://127.0.0.1:9200\napi-key: env:ZOOMCTL_TEST_ES_KEY\ntolerance: 60\n')
    const current = loadConfig(path)
    // The same destination, every question left to its default: nothing changes, nothing is generated.
    const again = await collectAnswers({given: {}, yes: true, configPath: path, namespace: 'default', current})
    expect(again.answers).toMatchObject({destination: 'elasticsearch', 'secret-token': 'real-zoom-token', 'es-url': 'http://127.0.0.1:9200', 'api-key': 'a2V5OnNlY3JldA=='})
    expect(again.generated).toEqual([])
    expect(changesFor(settingsFrom(again.answers, 'default'), current)).toMatchObject({'secret-token': 'real-zoom-token', 'api-key': 'env:ZOOMCTL_TEST_ES_KEY'})
    // To the store instead: Elasticsearch's settings go (serve would go on indexing there), the token and tolerance stay.
    const store = await collectAnswers({given: {destination: 'store'}, yes: true, configPath: path, namespace: 'default', current})
    const changes = changesFor(settingsFrom(store.answers, 'default'), current)
    expect(changes).toMatchObject({'secret-token': 'real-zoom-token', 'es-url': undefined, 'api-key': undefined})
    expect('es-url' in changes && 'tolerance' in changes).toBe(false)
    delete process.env.ZOOMCTL_TEST_ES_KEY
  })

  it('asks for a kept secret with Enter keeping it, and takes the agent\'s secret back from serve\'s forward header', async () => {
    const {collectAnswers} = await import('../../src/setup/setup.js')
    const {loadConfig} = await import('../../src/config/file.js')
    const path = join(tempDir(), 'zoomctl.yaml')
    writeFileSync(path, 'port: 0\nsecret-token: real-zoom-token\nforward-to: http://127.0.0.1:8182/zoom-webhook\nforward-header: "Authorization: agent-secret-1"\n')
    const messages: Record<string, string> = {}
    const prompter = {
      ask: async (question: {key: string; message: string}) => {
        messages[question.key] = question.message
        return ''
      },
      choose: async () => '',
      confirm: async () => true,
    }
    const {answers, generated} = await collectAnswers({given: {}, prompter, yes: false, configPath: path, namespace: 'default', current: loadConfig(path)})
    expect(answers).toMatchObject({destination: 'agent', 'secret-token': 'real-zoom-token', 'forward-to': 'http://127.0.0.1:8182/zoom-webhook', 'agent-secret': 'agent-secret-1'})
    expect(generated).toEqual([])
    expect(messages['secret-token']).toBe("Your Zoom app's Secret Token (Enter: keep the current one)")
  })
})
