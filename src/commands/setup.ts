import {Flags} from '@oclif/core'

import {ZoomctlCommand} from '../cli/base-command.js'
import {zoomFlags, zoomSubscriptionFlags} from '../cli/zoom-flags.js'
import {configPath} from '../config/file.js'
import {formatSetup} from '../output/setup.js'
import {startProgress} from '../output/spinner.js'
import {QUESTIONS, type SetupAnswers} from '../setup/questions.js'
import {parseAuditStreams, runSetup} from '../setup/setup.js'

/** Answers that also come from the env names Elastic's tools use. */
const ENV: Record<string, string> = {
  'kibana-url': 'KIBANA_HOST',
  'kibana-api-key': 'KIBANA_API_KEY',
  'kibana-username': 'KIBANA_USERNAME',
  'kibana-password': 'KIBANA_PASSWORD',
  'es-url': 'ELASTICSEARCH_HOSTS',
  'api-key': 'ELASTICSEARCH_API_KEY',
  username: 'ELASTICSEARCH_USERNAME',
  password: 'ELASTICSEARCH_PASSWORD',
}

const questionFlags = Object.fromEntries(
  QUESTIONS.map((question) => [
    question.key,
    question.kind === 'select'
      ? Flags.string({description: question.message, options: question.choices!.map((choice) => choice.value), helpGroup: 'ANSWERS'})
      : Flags.string({description: question.message, helpGroup: 'ANSWERS', ...(ENV[question.key] ? {env: ENV[question.key]} : {})}),
  ]),
)

export default class Setup extends ZoomctlCommand {
  static override summary = 'From nothing to a configured Zoom → Elastic path, in one guided flow'
  static override description = `Asks where events go (zoomctl's store, an Elastic Agent, Elasticsearch), where to listen, TLS, the auth mode and the secret token, checks each answer as typed (a free port, a certificate and key that match, URLs, the Elasticsearch connection), writes the config file every command reads (0600), and with --kibana-url adds the Zoom integration's webhook input to an agent policy through Fleet (installing the integration if asked; re-running updates it). With --zoom (asked on a terminal when ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET are set) it then creates the Zoom event subscription through Zoom's API for --public-url, with the events Elastic maps (--zoom-categories, --zoom-events), once that URL answers Zoom's challenge (--start-serve starts a serve that does); otherwise it ends with the Zoom Marketplace steps. Then the commands to run next. Run again, it offers the config file's settings as its defaults (Enter or --yes keeps them: a Secret Token Zoom knows is never replaced by a generated one, an env:/file: reference stays one), removes the settings of a destination no longer chosen, and leaves the others alone. Every question is a flag; --yes takes the defaults; without a terminal it never waits for input.`
  static override examples = [
    '<%= config.bin %> setup',
    '<%= config.bin %> setup --yes',
    'ZOOM_ACCOUNT_ID=… ZOOM_CLIENT_ID=… ZOOM_CLIENT_SECRET=… <%= config.bin %> setup --yes --zoom --public-url https://hooks.example.com/zoom-webhook --zoom-categories meeting,webinar,recording',
    '<%= config.bin %> setup --yes --destination agent --forward-to http://127.0.0.1:8182/zoom-webhook --kibana-url https://kibana.example.com:5601 --agent-policy "Zoom agents"',
  ]

  static override readsConfigFile = false
  static override flags = {
    ...questionFlags,
    'agent-policy': Flags.string({description: 'the Fleet agent policy (id or name) to add the Zoom integration to', helpGroup: 'ANSWERS'}),
    namespace: Flags.string({description: 'data stream namespace', default: 'default'}),
    yes: Flags.boolean({char: 'y', description: 'take the default of every question not given as a flag, and confirm every step', default: false}),
    zoom: Flags.boolean({description: "create the Zoom event subscription through Zoom's API (--no-zoom: do not ask)", allowNo: true, helpGroup: 'ZOOM'}),
    'start-serve': Flags.boolean({description: 'with --zoom: when nothing answers Zoom\'s challenge yet, start zoomctl serve in the background', default: false, helpGroup: 'ZOOM'}),
    'dry-run': Flags.boolean({description: 'change nothing (no file, no Fleet, no Zoom); with --zoom, print the subscription plan', default: false}),
    ...zoomFlags,
    ...zoomSubscriptionFlags,
    'audit-streams': Flags.string({description: 'with --kibana-url: also enable these audit streams, comma-separated (activity,operation,meeting_activity), or none; they poll Zoom with the Zoom credentials', helpGroup: 'ZOOM'}),
    'audit-url': Flags.string({description: "where the audit streams poll (the integration's URL): https://api.zoom.us, or a zoomctl simulate-api to test without Zoom", helpGroup: 'ZOOM'}),
    'audit-token-url': Flags.string({description: "the integration's Token URL (default: --audit-url when given, else https://zoom.us)", helpGroup: 'ZOOM'}),
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(Setup)
    const given = Object.fromEntries(Object.entries(flags).filter(([key, value]) => QUESTIONS.some((question) => question.key === key) && typeof value === 'string')) as Partial<Record<keyof SetupAnswers, string>>
    if (flags['agent-policy']) given['agent-policy'] = flags['agent-policy']
    const interactive = this.human && process.stdin.isTTY === true && process.stdout.isTTY === true
    const progress = startProgress('setting up', this.human && !interactive)
    try {
      const result = await runSetup({
        given,
        // The prompts' library only for a person at a terminal: a scripted setup starts without it.
        prompter: interactive ? (await import('../setup/prompter.js')).terminalPrompter : undefined,
        yes: flags.yes,
        configPath: configPath(flags.config),
        namespace: flags.namespace,
        onStep: (text) => progress.update(text),
        zoom: {wanted: flags.zoom, flags, startServe: flags['start-serve']},
        dryRun: flags['dry-run'],
        audit: {
          streams: parseAuditStreams(flags['audit-streams']),
          url: flags['audit-url'],
          tokenUrl: flags['audit-token-url'],
          accountId: flags['zoom-account-id'],
          clientId: flags['zoom-client-id'],
          clientSecret: flags['zoom-client-secret'],
        },
      })
      progress.stop()
      if (this.human) this.log(formatSetup(result))
      return result
    } catch (error) {
      progress.stop()
      if ((error as Error).name === 'ExitPromptError') {
        process.exitCode = 130
        const savedTo = (error as Error & {savedTo?: string}).savedTo
        if (this.human) process.stderr.write(savedTo ? `setup interrupted at the Kibana step: your answers are saved in ${savedTo}, Kibana was not configured\n` : 'setup interrupted: nothing was written\n')
        return
      }
      throw error
    }
  }
}
