import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {redactSecrets} from '../../src/cli/base-command.js'
import {appSecret, parseAppTokens} from '../../src/config/index.js'
import {maskedValues} from '../../src/config/settings.js'
import {describeAuth} from '../../src/zoom/auth.js'
import {verifyingTokens} from '../../src/zoom/apps.js'
import {tempDir} from '../helpers/cli.js'

describe('app tokens', () => {
  it('reads NAME=SECRET, NAME=env:VAR and NAME=file:PATH, and refuses a bad name, a name twice or an empty token', () => {
    const file = join(tempDir(), 'token')
    writeFileSync(file, 'from-a-file\n')
    process.env.APP_TOKEN_TEST = 'from-env'
    expect(parseAppTokens(['a=plain', 'b=env:APP_TOKEN_TEST', `c=file:${file}`])).toEqual([
      {name: 'a', secret: 'plain'},
      {name: 'b', secret: 'from-env'},
      {name: 'c', secret: 'from-a-file'},
    ])
    expect(() => parseAppTokens(['no-equals'])).toThrow(/NAME=SECRET/)
    expect(() => parseAppTokens(['bad name=x'])).toThrow(/"bad name" is not/)
    expect(() => parseAppTokens(['a=x', 'a=y'])).toThrow(/named twice/)
    expect(() => parseAppTokens(['a='])).toThrow(/empty/)
    expect(() => parseAppTokens(['a=env:APP_TOKEN_UNSET_ANYWHERE'])).toThrow(/not set/)
    expect(() => appSecret([{name: 'a', secret: 'x'}], 'b')).toThrow(/no such app/)
  })

  it('tries the main token, the previous one, then each app; names the apps, never their tokens', () => {
    const auth = {mode: 'signature' as const, secretToken: 'main', previousSecretToken: 'old', apps: [{name: 'sales', secret: 's'}, {name: 'support', secret: 't'}]}
    expect(verifyingTokens(auth)).toEqual([{secret: 'main'}, {secret: 'old', previous: true}, {secret: 's', app: 'sales'}, {secret: 't', app: 'support'}])
    expect(describeAuth(auth)).toBe('signed (x-zm-signature, the previous Secret Token accepted too, apps sales, support)')
  })

  it('masks the tokens of an app-token map written in clear, and redacts them from errors', () => {
    const file = {path: 'zoomctl.yaml', exists: true, values: {'app-token': {sales: 'in-clear-token', support: 'env:SUPPORT'}}, lines: {}, exposed: false}
    expect(maskedValues(file)).toEqual({'app-token': {sales: '********', support: 'env:SUPPORT'}})
    expect(redactSecrets('token in-clear-token refused', ['--app-token=sales=in-clear-token'], [])).toBe('token [redacted] refused')
  })
})
