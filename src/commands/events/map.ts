import {randomInt} from 'node:crypto'
import {existsSync} from 'node:fs'

import {Args, Flags} from '@oclif/core'

import {findEvent} from '../../catalog/catalog.js'
import {ZoomctlCommand} from '../../cli/base-command.js'
import {integrationVersion, integrationVersionFlag} from '../../cli/flags.js'
import {OptionError} from '../../config/index.js'
import {redactSecrets} from '../../deliveries/redact.js'
import {readDeliveries} from '../../deliveries/source.js'
import {indexedDocument, runIngestPipeline} from '../../mapping/index.js'
import {mapReportInput} from '../../reports/map-input.js'
import {isReportStream, REPORT_STREAMS} from '../../zoom/reports.js'
import {BodyFactory, selectEvents} from '../../sender/index.js'

export default class EventsMap extends ZoomctlCommand {
  static override summary = "Show the document Elastic's Zoom integration indexes for a Zoom event"
  static override description = `Reads a Zoom webhook body (or the Elastic Agent's form, with the body under "zoom", one line of serve's store, or of a run file written by simulate --record) from a file or standard input, or builds one with --event, and prints what the integration's ingest pipeline makes of it: event.*, user.*, related.*, source.ip, zoom.* … With --pipeline-only it leaves out what the Elastic Agent adds (@timestamp of receipt, data_stream, tags). With --data-stream activity, operation or meeting_activity it reads report records instead (one per line, as the items of Zoom's report API arrays, or a whole saved response) and runs that audit stream's pipeline.`
  static override examples = [
    '<%= config.bin %> events map payload.json',
    'cat payload.json | <%= config.bin %> events map',
    '<%= config.bin %> events map --event meeting.participant_joined',
    '<%= config.bin %> events map payload.json --integration-version 1.20.0 --pipeline-only',
    '<%= config.bin %> events map --data-stream activity activities.ndjson',
  ]

  static override args = {
    // Standard input is read by the command itself, as a body, not by oclif as the file name.
    file: Args.string({description: 'JSON or NDJSON file of bodies, store lines or run-file lines; - or nothing: standard input', ignoreStdin: true}),
  }

  static override flags = {
    event: Flags.string({description: 'build the body for this event type from the catalog instead of reading one (with an audit --data-stream: a synthetic record with this event.action, e.g. sign-in)'}),
    'show-secrets': Flags.boolean({description: "keep meeting passwords, download tokens and other secrets of the body in the output (redacted by default)", default: false}),
    'pipeline-only': Flags.boolean({description: "only the ingest pipeline's output, as in the integration's pipeline tests", default: false}),
    seed: Flags.integer({description: 'seed for --event (default: random)'}),
    'integration-version': integrationVersionFlag,
    'data-stream': Flags.string({
      description: 'the data stream whose pipeline maps the input: webhook (Zoom bodies), or an audit stream (report records, one per line, as the API array items)',
      options: ['webhook', ...REPORT_STREAMS],
      default: 'webhook',
    }),
  }

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(EventsMap)
    const version = integrationVersion(flags['integration-version'])
    const stream = flags['data-stream']
    if (isReportStream(stream)) return this.output(await mapReportInput(stream, args.file, {version, pipelineOnly: flags['pipeline-only'], event: flags.event, seed: flags.seed}))
    const inputs: Array<{body: unknown; receivedAt?: Date}> = []
    if (flags.event) {
      const [spec] = selectEvents({names: [flags.event]})
      inputs.push({body: new BodyFactory(flags.seed ?? randomInt(2 ** 31)).build(spec!)})
    } else {
      if (!args.file && process.stdin.isTTY) throw new OptionError('give a file, pipe a body on standard input, or use --event NAME')
      if (args.file && findEvent(args.file) && !existsSync(args.file)) {
        throw new OptionError(`${args.file} is an event type, not a file`, {hint: `zoomctl events map --event ${args.file} builds its body from the catalog`})
      }
      for await (const delivery of readDeliveries(!args.file || args.file === '-' ? {kind: 'stdin'} : {kind: 'file', path: args.file})) {
        if (delivery.unreadable) throw new OptionError(`${delivery.origin.replace(/^stdin:1$/, 'standard input')} is not JSON`)
        inputs.push({body: zoomBodyOf(delivery.body), receivedAt: delivery.receivedAt ? new Date(delivery.receivedAt) : undefined})
      }
      if (!inputs.length) throw new OptionError(`${args.file ?? 'standard input'} holds no body`)
    }
    const documents = inputs.map(({body, receivedAt}) => {
      const document = flags['pipeline-only'] ? runIngestPipeline({zoom: body}, {integrationVersion: version}) : indexedDocument(body, {receivedAt: receivedAt ?? new Date(), integrationVersion: version})
      return flags['show-secrets'] ? document : (redactSecrets(document) as typeof document)
    })
    return this.output(documents)
  }

  /** One input: the document, pretty. Several (NDJSON in): NDJSON out, a document a line. */
  private output(documents: unknown[]): unknown {
    if (this.human) this.log(documents.length === 1 ? JSON.stringify(documents[0], null, 2) : documents.map((document) => JSON.stringify(document)).join('\n'))
    return documents.length === 1 ? documents[0] : documents
  }
}

/** The Zoom body in what was given: a body, or the agent's form {"zoom": body}. */
function zoomBodyOf(input: unknown): unknown {
  if (typeof input === 'object' && input !== null && !Array.isArray(input) && 'zoom' in input && !('event' in input)) return (input as {zoom: unknown}).zoom
  return input
}
