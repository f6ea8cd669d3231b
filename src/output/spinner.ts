import ora, {type Ora} from 'ora'

export interface Progress {
  update(text: string): void
  stop(): void
}

/** An ora spinner on a terminal; silent when piped or in --json mode, where it would only be noise. */
export function startProgress(text: string, enabled: boolean): Progress {
  if (!enabled || !process.stderr.isTTY) {
    return {update() {}, stop() {}}
  }
  const spinner: Ora = ora({text, stream: process.stderr}).start()
  return {
    update: (next) => {
      spinner.text = next
    },
    stop: () => spinner.stop(),
  }
}
