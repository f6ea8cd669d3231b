/**
 * Asks a yes/no question when a person is at the terminal (stdin and stderr both one), else answers
 * undefined: a script or a pipe is never held up by a question it cannot see. Ctrl-C rejects (ExitPromptError).
 */
export async function confirmAtTerminal(message: string, fallback = true): Promise<boolean | undefined> {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return undefined
  // Loaded only for the question: a command run by a script does not pay for the prompt library.
  const {confirm} = await import('@inquirer/prompts')
  return confirm({message, default: fallback}, {output: process.stderr})
}
