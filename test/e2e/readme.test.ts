import {execFileSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

const ROOT = join(import.meta.dirname, '../..')

describe('README', () => {
  it("has the command reference oclif generates from the commands as they are now (npm run readme)", () => {
    const generated = execFileSync(process.execPath, [join(ROOT, 'node_modules/oclif/bin/run.js'), 'readme', '--no-aliases', '--no-source-links', '--dry-run'], {
      cwd: ROOT,
      env: {...process.env, OCLIF_SKIP_NEW_VERSION_CHECK: 'true'},
      maxBuffer: 16 << 20,
    }).toString()
    const expected = generated.replace(/^replacing <!-- commands --> in .*\n/, '').trimEnd()
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8').trimEnd()).toBe(expected)
  })

  it('shows the two commands: run it, test it', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
    expect(readme).toContain('npm ci && ./bin/run.js serve')
    expect(readme).toContain('npm ci && npm test')
  })
})
