import {chmodSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {BIN, ISOLATED, runCli, SECRET, startServe, tempDir} from '../helpers/cli.js'
import {runInTerminal} from '../helpers/pty.js'

describe('config file', () => {
  it('config set writes 0600 in a 0700 dir, keeps comments, and show masks secrets', async () => {
    const dir = join(tempDir(), 'nested')
    const path = join(dir, 'zoomctl.yaml')
    expect((await runCli(['config', 'set', 'port', '9444', '--config', path])).code).toBe(0)
    expect((await runCli(['config', 'set', 'secret-token', 'literal-secret-xyz', '--config', path])).code).toBe(0)
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(statSync(dir).mode & 0o777).toBe(0o700)
    writeFileSync(path, `# my comment\n${readFileSync(path, 'utf8')}`)
    await runCli(['config', 'set', 'tolerance', '0', '--config', path])
    expect(readFileSync(path, 'utf8')).toContain('# my comment')
    const shown = await runCli(['config', 'show', '--config', path, '--json'])
    expect(JSON.parse(shown.stdout)).toMatchObject({settings: {port: 9444, 'secret-token': '********', tolerance: 0}})
    expect(shown.stdout).not.toContain('literal-secret-xyz')
    const path2 = await runCli(['config', 'path'], {ZOOMCTL_CONFIG: path})
    expect(path2.stdout.trim()).toBe(path)
  })

  it('config set of a secret with no value: asked without echo at a terminal, else read from standard input (out of the shell history)', async () => {
    const path = join(tempDir(), 'zoomctl.yaml')
    const piped = await runCli(['config', 'set', 'secret-token', '--config', path], {}, '0123-piped-secret\n')
    expect(piped.code, piped.stderr).toBe(0)
    expect(piped.stdout).not.toContain('0123-piped-secret')
    expect(readFileSync(path, 'utf8')).toContain('secret-token: 0123-piped-secret\n')
    const empty = await runCli(['config', 'set', 'api-key', '--config', path, '--json'], {}, '')
    expect(empty.code).toBe(2)
    expect(JSON.parse(empty.stdout).error.message).toBe('no value for api-key: standard input was empty')
    // Only a secret is read so: another setting still needs its value.
    expect((await runCli(['config', 'set', 'port', '--config', path], {}, '9000\n')).code).toBe(2)

    const terminal = runInTerminal([process.execPath, BIN, 'config', 'set', 'secret-token', '--config', path], {...process.env, ...ISOLATED, NO_COLOR: '1'})
    await terminal.waitFor('secret-token:')
    terminal.send('typed-secret-456\r')
    expect(await terminal.exited).toBe(0)
    expect(terminal.text()).not.toContain('typed-secret-456')
    expect(readFileSync(path, 'utf8')).toContain('secret-token: typed-secret-456\n')

    // setup's closing steps say so, rather than a token on the command line.
    const setup = await runCli(['setup', '--yes', '--config', join(tempDir(), 'zoomctl.yaml'), '--port', '0', '--json'])
    const steps = (JSON.parse(setup.stdout) as {zoomSteps: string[]}).zoomSteps.join('\n')
    expect(steps).toContain('run zoomctl config set secret-token: it asks for the token without echo (or reads it from a pipe)')
    expect(steps).not.toContain('<token>')
  }, 90_000)

  it('every command reads it, with flag > env > file > default', async () => {
    const dir = tempDir()
    const path = join(dir, 'zoomctl.yaml')
    writeFileSync(path, 'tolerance: 7\nmax-body: 2mb\nsecret-token: env:MY_ZOOM_TOKEN\n', {mode: 0o600})
    const fromFile = await startServe(['--config', path], {ZOOM_WEBHOOK_SECRET_TOKEN: '', MY_ZOOM_TOKEN: SECRET})
    try {
      expect(JSON.parse(fromFile.lines[0]!)).toMatchObject({toleranceSeconds: 7})
      // The token came from the env var the file names: a signed event is accepted.
      expect((await runCli(['simulate', 'meeting.started', '--url', fromFile.url])).code).toBe(0)
    } finally {
      await fromFile.stop()
    }
    const envWins = await startServe(['--config', path], {ZOOMCTL_TOLERANCE: '9', MY_ZOOM_TOKEN: SECRET})
    await envWins.stop()
    expect(JSON.parse(envWins.lines[0]!)).toMatchObject({toleranceSeconds: 9})
    const flagWins = await startServe(['--config', path, '--tolerance', '11'], {ZOOMCTL_TOLERANCE: '9', MY_ZOOM_TOKEN: SECRET})
    await flagWins.stop()
    expect(JSON.parse(flagWins.lines[0]!)).toMatchObject({toleranceSeconds: 11})
  })

  it('names the key, the line and what is allowed; warns when others can read secrets', async () => {
    const path = join(tempDir(), 'zoomctl.yaml')
    writeFileSync(path, 'port: 8181\nauth: weird\n')
    const bad = await runCli(['serve', '--config', path, '--json'])
    expect(bad.code).toBe(2)
    expect(JSON.parse(bad.stdout).error.message).toBe(`auth in ${path} line 2: "weird" is not one of signature, header, basic, bearer`)
    writeFileSync(path, 'port: 8181\nportt: 1\n')
    expect(JSON.parse((await runCli(['serve', '--config', path, '--json'])).stdout).error.message).toContain('line 2: unknown setting "portt"')
    // A value only the flag's own parser can judge (an integer) is refused by config set, and, written by
    // hand, named with the file and line it came from.
    writeFileSync(path, 'port: 8181\n')
    const notInteger = await runCli(['config', 'set', 'port', 'eighty', '--config', path, '--json'])
    expect(notInteger.code).toBe(2)
    expect(JSON.parse(notInteger.stdout).error.message).toBe('port: expected an integer but received: eighty')
    expect((await runCli(['config', 'set', 'port', '70000', '--config', path])).code).toBe(2)
    writeFileSync(path, '# by hand\nport: eighty\n')
    const fromFile = JSON.parse((await runCli(['serve', '--config', path, '--json'])).stdout).error
    expect(fromFile.message).toBe(`--port: expected an integer but received: eighty (port, from ${path} line 2)`)
    expect(fromFile.hint).toContain('or give --port')
    // The same refusal typed on the command line: a sentence about the flag, and where to look.
    const typed = await runCli(['serve', '--port', '99999', '--json'])
    expect(typed.code).toBe(2)
    expect(JSON.parse(typed.stdout).error).toEqual({code: 'input', message: '--port: expected an integer less than or equal to 65535 but received: 99999', hint: 'see --help for the flags and their values'})
    writeFileSync(path, 'secret-token: env:NOT_SET_ANYWHERE\n')
    const unset = await runCli(['serve', '--config', path, '--json', '--port', '0'], {ZOOM_WEBHOOK_SECRET_TOKEN: ''})
    expect(JSON.parse(unset.stdout).error.message).toContain('NOT_SET_ANYWHERE, which is not set')
    writeFileSync(path, 'bearer-token: in-clear\n')
    chmodSync(path, 0o644)
    const exposed = await runCli(['simulate', 'meeting.started', '--config', path, '--url', 'http://127.0.0.1:1/zoom-webhook'])
    expect(exposed.stderr).toContain('holds secrets and others can read it')
  })
})

describe('a config file that holds a mistake', () => {
  it('is shown with what uses each setting, and config unset takes the mistake out', async () => {
    const path = join(tempDir(), 'zoomctl.yaml')
    writeFileSync(path, '# mine\nport: 8181\nportt: 1\n')
    // Every other command refuses the file; the config commands still work on it.
    expect((await runCli(['serve', '--config', path, '--json'])).code).toBe(2)
    const shown = await runCli(['config', 'show', '--config', path])
    expect(shown.code).toBe(0)
    expect(shown.stdout).toMatch(/port +8181 +2 +serve\n/)
    expect(shown.stdout).toMatch(/portt +1 +3 +no command: unknown setting/)
    expect(shown.stdout).toContain('zoomctl config unset portt')
    expect(JSON.parse((await runCli(['config', 'show', '--config', path, '--json'])).stdout)).toMatchObject({settings: {port: 8181, portt: 1}, unknown: ['portt']})
    expect((await runCli(['config', 'set', 'tolerance', '30', '--config', path])).code).toBe(0)
    const typo = await runCli(['config', 'unset', 'porrt', '--config', path, '--json'])
    expect(JSON.parse(typo.stdout)).toEqual({path, key: 'porrt', removed: false})
    expect((await runCli(['config', 'unset', 'portt', '--config', path])).stdout).toContain('portt removed')
    expect(readFileSync(path, 'utf8')).toBe('# mine\nport: 8181\ntolerance: 30\n')
    const serve = await startServe(['--config', path])
    await serve.stop()
  })
})

describe('which config file', () => {
  it('one named by --config or ZOOMCTL_CONFIG that does not exist is an error, exit 2, --json too', async () => {
    const typo = join(tempDir(), 'typo.yaml')
    const byFlag = await runCli(['serve', '--config', typo, '--port', '0', '--json'])
    expect(byFlag.code).toBe(2)
    expect(JSON.parse(byFlag.stdout).error).toMatchObject({code: 'no-config-file', message: `the config file ${typo} (--config) does not exist`})
    const byEnv = await runCli(['deliveries', tempDir()], {ZOOMCTL_CONFIG: typo})
    expect(byEnv.code).toBe(2)
    expect(byEnv.stderr).toContain(`the config file ${typo} (ZOOMCTL_CONFIG) does not exist`)
    expect(byEnv.stderr).toContain('unset ZOOMCTL_CONFIG')
  })

  it('every command that reads one says which at start, or that there is none; serve in its banner and --json listening line', async () => {
    const path = join(tempDir(), 'zoomctl.yaml')
    writeFileSync(path, 'tolerance: 7\n', {mode: 0o600})
    const read = await runCli(['deliveries', tempDir(), '--config', path])
    expect(read.stderr.split('\n')[0]).toBe(`config: ${path}`)
    const none = await runCli(['events'])
    expect(none.stderr.split('\n')[0]).toMatch(/^config: none \(no \.\/zoomctl\.yaml, no .*zoomctl\/config\.yaml\)$/)
    // --json keeps stdout one JSON document and stderr quiet.
    expect((await runCli(['events', '--json'])).stderr).toBe('')
    const serve = await startServe(['--config', path])
    await serve.stop()
    expect(JSON.parse(serve.lines[0]!)).toMatchObject({type: 'listening', config: path})
    const bare = await startServe()
    await bare.stop()
    expect(JSON.parse(bare.lines[0]!)).toMatchObject({type: 'listening', config: null})
  })
})

describe('command-line refusals', () => {
  it('say what is wrong with the flag or argument, and name the flag a typo meant', async () => {
    const error = async (args: string[]) => {
      const result = await runCli([...args, '--json'])
      expect(result.code).toBe(2)
      return JSON.parse(result.stdout).error as {code: string; message: string; hint: string}
    }
    expect(await error(['simulate', 'meeting.started', '--concurency', '3'])).toEqual({code: 'input', message: 'unknown flag --concurency', hint: 'did you mean --concurrency? (--help lists the flags)'})
    // Nothing near enough: no guess.
    expect((await error(['serve', '--nope'])).hint).toBe('see --help for the flags and their values')
    // VALUE may be left out (a secret is then asked for, or read from standard input): KEY alone is missing.
    expect(await error(['config', 'set'])).toEqual({code: 'input', message: 'missing KEY: a flag name, e.g. port, es-url, secret-token', hint: 'see --help for the arguments'})
    expect(await error(['config', 'set', 'port'])).toEqual({code: 'input', message: 'missing VALUE: the value of port', hint: 'zoomctl config set port <value>'})
    expect((await error(['deliveries', 'show'])).message).toBe('missing ID: the delivery id, or its first characters (zoomctl deliveries lists them)')
    expect((await error(['setup', '--destination', 'nowhere'])).message).toBe('--destination: "nowhere" is not one of store, agent, elasticsearch')
    expect((await error(['simulate', 'meeting.started', '--count'])).message).toBe('--count expects a value')
  })
})

