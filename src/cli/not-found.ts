import type {Hook} from '@oclif/core'

import {closestNames} from '../config/parse.js'
import {style} from '../output/style.js'

/**
 * A mistyped command ("simulte") is bad input like an unknown flag: exit 2, the nearest commands named
 * whether or not a terminal is attached (a script's log shows the fix too), and one JSON error under --json.
 * oclif's not-found plugin exited 127 with text only, and offered its suggestion at a terminal alone.
 */
const hook: Hook<'command_not_found'> = async function (options) {
  const spaced = (id: string) => id.replace(/:/g, ' ')
  const visible = options.config.commands.filter((command) => !command.hidden).flatMap((command) => [command.id, ...command.aliases])
  const given = spaced(options.id)
  const near = closestNames(given, visible.map(spaced))
  const message = `"${given}" is not a ${options.config.bin} command`
  const topic = options.config.findTopic(options.id.split(':')[0]!) ? ` ${given.split(' ')[0]}` : ''
  const hint = `${near.length ? `did you mean ${near.map((name) => `${options.config.bin} ${name}`).join(' or ')}? ` : ''}${options.config.bin} help${topic} lists the commands`
  process.exitCode = 2
  if ((options.argv ?? []).includes('--json')) {
    process.stdout.write(`${JSON.stringify({error: {code: 'unknown-command', message, hint}}, null, 2)}\n`)
    return
  }
  process.stderr.write(`${style.red('Error:')} ${message}\n${style.dim('Try:')} ${hint}\n`)
}

export default hook
