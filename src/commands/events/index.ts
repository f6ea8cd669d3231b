import {Flags} from '@oclif/core'

import {allEvents, categories} from '../../catalog/catalog.js'
import {ZoomctlCommand} from '../../cli/base-command.js'
import {pipelineFor} from '../../mapping/index.js'
import {type CompletionShell, completionScript} from '../../output/completion.js'
import {style} from '../../output/style.js'
import {renderTable} from '../../output/table.js'

export default class Events extends ZoomctlCommand {
  static override summary = 'List the Zoom webhook event types zoomctl can simulate'
  static override description = `Each type with its category, how Elastic's Zoom integration knows it (tested: in its pipeline tests; pipeline: named in a pipeline rule; category: only its family's generic rules; crc: answered by the listener; none: generic default treatment), and what it means.`
  static override examples = [
    '<%= config.bin %> events',
    '<%= config.bin %> events --category meeting',
    '<%= config.bin %> events --json',
    'eval "$(<%= config.bin %> events --completion bash)"   # after the autocomplete plugin\'s script',
  ]

  static override flags = {
    category: Flags.string({description: 'only this category', options: categories()}),
    elastic: Flags.string({description: 'only types Elastic knows this way', options: ['tested', 'pipeline', 'category', 'crc']}),
    completion: Flags.string({
      description: 'print a shell script that completes event types (simulate, events show, --event) and --category values; load it after `zoomctl autocomplete`\'s',
      options: ['bash', 'zsh'],
      exclusive: ['category', 'elastic'],
    }),
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(Events)
    if (flags.completion) {
      const script = completionScript(flags.completion as CompletionShell, {bin: this.config.bin, events: allEvents().map((spec) => spec.event), categories: categories()})
      if (this.human) process.stdout.write(script)
      return {shell: flags.completion, script}
    }
    const events = allEvents().filter(
      (spec) => (!flags.category || spec.category === flags.category) && (!flags.elastic || spec.elastic === flags.elastic),
    )
    const rows = events.map((spec) => ({
      event: spec.event,
      category: spec.category,
      elastic: spec.elastic,
      pipeline: pipelineFor(spec.event) ?? null,
      description: spec.description,
    }))
    if (this.human) {
      const width = process.stdout.columns ?? 0
      this.log(
        renderTable(
          ['EVENT', 'CATEGORY', 'ELASTIC', 'DESCRIPTION'],
          rows.map((row) => [row.event, row.category, row.elastic, truncate(row.description, width ? Math.max(20, width - 75) : Infinity)]),
        ),
      )
      this.log(style.dim(`${rows.length} event types`))
    }
    return rows
  }
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}
