import {Chalk, type ChalkInstance} from 'chalk'

/** Colours only on a terminal, and never with NO_COLOR set (https://no-color.org); FORCE_COLOR wins. */
export function colorLevel(stream: {isTTY?: boolean} = process.stdout, env: NodeJS.ProcessEnv = process.env): 0 | 1 | 2 | 3 {
  // FORCE_COLOR=0 (or false) turns colours off, as chalk and Node read it; any other value turns them on.
  if (env.FORCE_COLOR === '0' || env.FORCE_COLOR === 'false') return 0
  if (env.FORCE_COLOR !== undefined) return 1
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 0
  if (env.TERM === 'dumb') return 0
  return stream.isTTY ? 1 : 0
}

export function createStyle(stream: {isTTY?: boolean} = process.stdout): ChalkInstance {
  return new Chalk({level: colorLevel(stream)})
}

export const style = createStyle()

export function statusColor(status: number | undefined): (text: string) => string {
  if (status === undefined) return style.red
  if (status >= 200 && status < 300) return style.green
  if (status >= 500) return style.red
  return style.yellow
}
