import ora, {type Ora} from 'ora'

import {colorLevel} from './style.js'

export interface Progress {
  update(text: string): void
  stop(): void
}

/**
 * An ora spinner on a terminal; silent when piped, in --json mode, or on a terminal too narrow to draw in
 * (a 0-column pty made ora redraw endlessly). ora must not take stdin: its discardStdin swallows Ctrl-C.
 */
export function startProgress(text: string, enabled: boolean): Progress {
  if (!enabled || !process.stderr.isTTY || (process.stderr.columns ?? 0) < 20) {
    return {update() {}, stop() {}}
  }
  // ora colours its spinner whatever NO_COLOR says: zoomctl's own rule decides (style.ts).
  const spinner: Ora = ora({text, stream: process.stderr, discardStdin: false, color: colorLevel(process.stderr) ? 'cyan' : false}).start()
  return {
    update: (next) => {
      spinner.text = next
    },
    stop: () => spinner.stop(),
  }
}
