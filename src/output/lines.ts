/**
 * Lines for a stream, written once per event-loop turn rather than once each: stdout to a pipe or file
 * is synchronous on Linux, so a receiver printing a line per delivery would otherwise make a system call
 * per request. flush() writes what is pending at once (before exit).
 */
export function lineWriter(stream: NodeJS.WritableStream = process.stdout): {write(line: string): void; flush(): void} {
  let pending: string[] = []
  let scheduled = false
  const flush = () => {
    scheduled = false
    if (!pending.length) return
    const text = pending.join('\n') + '\n'
    pending = []
    stream.write(text)
  }
  return {
    write(line) {
      pending.push(line)
      if (!scheduled) {
        scheduled = true
        setImmediate(flush)
      }
    },
    flush,
  }
}
