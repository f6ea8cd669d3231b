import {createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import {join} from 'node:path'
import {writeFileSync} from 'node:fs'

import {describe, expect, it} from 'vitest'

import {redactValues, secretArgValues} from '../../src/cli/debug-redaction.js'
import {runCli, tempDir} from '../helpers/cli.js'

describe('the small traps', () => {
  it('config show masks a secret whatever its YAML shape: a list, a map, a number', async () => {
    const path = join(tempDir(), 'zoomctl.yaml')
    writeFileSync(path, 'secret-token: [list-secret-1]\nbearer-token:\n  nested: map-secret-2\npassword: 31337424242\nkibana-api-key: env:MY_KEY\nport: 9444\n', {mode: 0o600})
    const json = await runCli(['config', 'show', '--config', path, '--json'])
    const human = await runCli(['config', 'show', '--config', path], {NO_COLOR: '1'})
    for (const output of [json.stdout, human.stdout]) {
      for (const secret of ['list-secret-1', 'map-secret-2', '31337424242']) expect(output).not.toContain(secret)
    }
    expect(JSON.parse(json.stdout)).toMatchObject({settings: {'secret-token': '********', 'bearer-token': '********', password: '********', 'kibana-api-key': 'env:MY_KEY', port: 9444}})
  })

  it("DEBUG=* prints oclif's debug lines, the command line among them, with no secret given as a flag", async () => {
    const result = await runCli(['simulate', 'meeting.started', '--url', 'http://127.0.0.1:1/zoom-webhook', '--secret-token', 'debug-secret-A', '--auth', 'bearer', '--bearer-token=debug-secret-B'], {DEBUG: '*'})
    expect(result.stderr).toContain('oclif:config runCommand simulate')
    expect(result.stderr).toContain("'--secret-token', '********'")
    expect(`${result.stdout}${result.stderr}`).not.toMatch(/debug-secret-[AB]/)
    expect(secretArgValues(['serve', '--secret-token', 'a', '--port', '1', '--forward-header=X-Key: b', '--api-key'])).toEqual(['a', 'X-Key: b'])
    expect(redactValues("[ '--secret-token', 'a1' ]", ['a1'])).toBe("[ '--secret-token', '********' ]")
  })

  it('simulate says a plain-HTTP receiver that answered and then went away mid-burst closed the connection, not to use https://', async () => {
    let answered = 0
    const server = createServer((request, response) => {
      request.resume()
      request.on('end', () => {
        if (++answered <= 20) return void response.end('{"status":"accepted"}')
        // It goes away mid-burst: every connection dropped, the port closed.
        server.closeAllConnections()
        server.close()
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/zoom-webhook`
    try {
      const result = await runCli(['simulate', 'meeting.started', '--count', '200', '--url', url, '--secret-token', 'x'], {NO_COLOR: '1'})
      const output = `${result.stdout}${result.stderr}`
      expect(output).toContain('closed the connection after answering earlier deliveries: the receiver stopped, restarted or dropped connections')
      expect(output).not.toContain('use https://')
    } finally {
      server.closeAllConnections()
      server.close()
    }
  })
})
