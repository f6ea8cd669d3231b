import {OptionError} from './parse.js'

/**
 * A secret's value when none was given as an argument (an argument stays in the shell's history and in
 * `ps`): asked at a terminal without echo (@inquirer/prompts' password, masked), else read from standard
 * input, one line (`pbpaste | zoomctl config set secret-token`, `< token.txt`).
 */
export async function readSecretValue(key: string, input: NodeJS.ReadStream = process.stdin): Promise<string> {
  let value: string
  if (input.isTTY) {
    const {password} = await import('@inquirer/prompts')
    value = await password({message: `${key}:`, mask: '•'}, {output: process.stderr})
  } else {
    const chunks: Buffer[] = []
    for await (const chunk of input) chunks.push(chunk as Buffer)
    value = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '')
  }
  if (!value.trim()) throw new OptionError(`no value for ${key}: ${input.isTTY ? 'nothing was typed' : 'standard input was empty'}`, {hint: `type it at the prompt, or pipe it: printf %s "$TOKEN" | zoomctl config set ${key}`})
  return value
}
