import {SingleBar} from 'cli-progress'

export interface ProgressBar {
  update(done: number, succeeded: number): void
  stop(): void
}

/**
 * A progress bar (sent / total, rate, ETA) on a terminal's stderr; nothing when piped or under --json.
 * cli-progress draws it; it never reads stdin, so Ctrl-C stays with the process.
 */
export function startProgressBar(total: number | undefined, enabled: boolean): ProgressBar {
  if (!enabled || !process.stderr.isTTY || (process.stderr.columns ?? 0) < 20) return {update() {}, stop() {}}
  const known = total !== undefined && total > 0
  const bar = new SingleBar({
    stream: process.stderr,
    format: known ? ' {bar} {value}/{total} sent, {ok} ok, {rate}/s, eta {eta_formatted}' : ' {value} sent, {ok} ok, {rate}/s',
    hideCursor: false,
    noTTYOutput: false,
    etaBuffer: 200,
    fps: 10,
  })
  const started = performance.now()
  bar.start(known ? total : 0, 0, {ok: 0, rate: '0'})
  return {
    update(done, succeeded) {
      const rate = (done / Math.max(0.001, (performance.now() - started) / 1000)).toFixed(0)
      bar.update(done, {ok: succeeded, rate})
    },
    stop() {
      bar.stop()
    },
  }
}
