import {execFileSync} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {allEvents} from '../../src/catalog/catalog.js'
import {runCli, tempDir} from '../helpers/cli.js'

function hasZsh(): boolean {
  try {
    execFileSync('zsh', ['-c', 'true'])
    return true
  } catch {
    return false
  }
}

describe('shell completion of event types', () => {
  it('completes event types and categories in bash, and hands every other word to the autocomplete plugin', async () => {
    const result = await runCli(['events', '--completion', 'bash'])
    expect(result.code).toBe(0)
    const file = join(tempDir(), 'zoomctl.bash')
    writeFileSync(file, result.stdout)
    // A stand-in for the plugin's function, loaded first as the README says.
    const complete = (...words: string[]) =>
      execFileSync('bash', ['-c', `_zoomctl_autocomplete() { COMPREPLY=(from-the-plugin); }; source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _zoomctl_complete; echo "\${COMPREPLY[@]}"`, 'bash', file, ...words]).toString().trim()
    const starting = (prefix: string) => allEvents().map((spec) => spec.event).filter((event) => event.startsWith(prefix)).join(' ')
    expect(complete('zoomctl', 'simulate', 'meeting.participant_j')).toBe(starting('meeting.participant_j'))
    expect(starting('meeting.participant_j')).toContain('meeting.participant_joined')
    expect(complete('zoomctl', 'simulate', 'meeting.started', 'user.sign')).toBe(starting('user.sign'))
    expect(complete('zoomctl', 'events', 'show', 'webinar.sta')).toBe(starting('webinar.sta'))
    expect(complete('zoomctl', 'replay', '--event', 'recording.comp')).toBe(starting('recording.comp'))
    expect(complete('zoomctl', 'simulate', '--category', 'pho')).toBe('phone')
    expect(complete('zoomctl', 'simulate', '--url', '')).toBe('from-the-plugin')
    expect(complete('zoomctl', 'se')).toBe('from-the-plugin')
    expect(complete('zoomctl', 'simulate', '--al')).toBe('from-the-plugin')
  })

  // .ci/run installs zsh; a machine without it skips this one.
  it.skipIf(!hasZsh())('offers event types and categories in zsh, and hands every other word to the plugin', async () => {
    const result = await runCli(['events', '--completion', 'zsh'])
    const file = join(tempDir(), 'zoomctl.zsh')
    writeFileSync(file, result.stdout)
    // compadd only works inside a completion widget: stand-ins print what would be offered.
    const offered = (...words: string[]) =>
      execFileSync('zsh', ['-c', `compadd() { print -r -- "$@" }; compdef() {}; _zoomctl() { print from-the-plugin }; source "$1"; shift; words=("$@"); CURRENT=$#; _zoomctl_complete`, 'zsh', file, ...words]).toString().trim()
    const everyType = `-- ${allEvents().map((spec) => spec.event).join(' ')}`
    expect(offered('zoomctl', 'simulate', 'meeting.st')).toBe(everyType)
    expect(offered('zoomctl', 'events', 'show', 'us')).toBe(everyType)
    expect(offered('zoomctl', 'replay', '--event', 'x')).toBe(everyType)
    expect(offered('zoomctl', 'simulate', '--category', 'ph')).toContain('-- account chat_channel')
    expect(offered('zoomctl', 'se')).toBe('from-the-plugin')
    expect(offered('zoomctl', 'simulate', '--url', 'x')).toBe('from-the-plugin')
  })

  it('refuses a shell it has no script for, with exit 2', async () => {
    expect((await runCli(['events', '--completion', 'fish'])).code).toBe(2)
  })
})
