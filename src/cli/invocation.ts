import {accessSync, constants} from 'node:fs'
import {delimiter, join, relative, sep} from 'node:path'

/**
 * How to run zoomctl again from this shell, for a command line to copy: its name when a `zoomctl` is on
 * PATH (installed, or npm link), else the script this process was started as (./bin/run.js in a clone).
 */
export function invocation(bin: string, env: NodeJS.ProcessEnv = process.env, script: string | undefined = process.argv[1], cwd = process.cwd()): {command: string; onPath: boolean} {
  if (onPath(bin, env)) return {command: bin, onPath: true}
  if (!script) return {command: bin, onPath: false}
  const path = relative(cwd, script)
  return {command: path.startsWith('..') || path === '' ? script : `.${sep}${path}`, onPath: false}
}

function onPath(bin: string, env: NodeJS.ProcessEnv): boolean {
  return (env.PATH ?? '').split(delimiter).some((dir) => {
    if (!dir) return false
    try {
      accessSync(join(dir, bin), constants.X_OK)
      return true
    } catch {
      return false
    }
  })
}
