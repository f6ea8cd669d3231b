import {confirm, input, number, password, select} from '@inquirer/prompts'

import type {Prompter} from './setup.js'

/**
 * Questions on the terminal with @inquirer/prompts. Answers are checked by setup itself (and asked again
 * when wrong), so the prompts only read. Ctrl-C rejects with ExitPromptError: setup then writes nothing.
 */
export const terminalPrompter: Prompter = {
  async ask(question, fallback) {
    const message = question.message
    switch (question.kind) {
      case 'select':
        return select({message, choices: question.choices ?? [], default: fallback})
      case 'number': {
        const value = await number({message, default: fallback === undefined ? undefined : Number(fallback)})
        return value === undefined ? '' : String(value)
      }
      case 'secret':
        return password({message, mask: '•'})
      default:
        return input({message, default: fallback})
    }
  },
  choose: (message, choices) => select({message, choices}),
  confirm: (message, fallback) => confirm({message, default: fallback}),
}
