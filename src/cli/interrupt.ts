/**
 * Ctrl-C (and the other signals named) abort the returned signal instead of killing the process, so that a
 * command ends cleanly with what it did (then exit 130). release() gives the signals back.
 */
export function interruptOn(signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM']): {signal: AbortSignal; release(): void} {
  const interrupt = new AbortController()
  const stop = () => interrupt.abort()
  for (const name of signals) process.once(name, stop)
  return {
    signal: interrupt.signal,
    release: () => {
      for (const name of signals) process.off(name, stop)
    },
  }
}
