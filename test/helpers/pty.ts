import {spawn} from 'node:child_process'

/**
 * Runs a command under a pseudo-terminal (util-linux `script`), so prompts, colours and Ctrl-C behave as
 * for a person; waitFor() reads the screen text, send() types.
 */
export function runInTerminal(command: string[], env: NodeJS.ProcessEnv) {
  const quoted = command.map((part) => `'${part.replace(/'/g, `'\\''`)}'`).join(' ')
  const child = spawn('script', ['-qfec', `stty cols 120 rows 40; ${quoted}`, '/dev/null'], {env: {...env, TERM: 'xterm-256color'}, stdio: ['pipe', 'pipe', 'pipe']})
  let screen = ''
  child.stdout.on('data', (chunk: Buffer) => (screen += chunk.toString()))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  // eslint-disable-next-line no-control-regex
  const plain = () => screen.replace(/\u001b\[[0-9;?]*[a-zA-Z]/g, '')
  return {
    exited,
    text: plain,
    /** The screen as written, escape sequences included (colours are SGR sequences: ESC [ … m). */
    raw: () => screen,
    async waitFor(pattern: string | RegExp, timeoutMs = 15_000): Promise<void> {
      const deadline = Date.now() + timeoutMs
      const matches = () => (typeof pattern === 'string' ? plain().includes(pattern) : pattern.test(plain()))
      while (!matches()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern} in:\n${plain().slice(-2000)}`)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    },
    send(keys: string): void {
      child.stdin.write(keys)
    },
    /** How many times a text appears on the screen so far. */
    count(text: string): number {
      return plain().split(text).length - 1
    },
  }
}
