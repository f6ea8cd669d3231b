import {randomInt} from 'node:crypto'

import {Args, Flags} from '@oclif/core'

import {ZoomctlCommand} from '../../cli/base-command.js'
import {integrationVersion, integrationVersionFlag} from '../../cli/flags.js'
import {OptionError, readUserFile} from '../../config/index.js'
import {indexedDocument, runIngestPipeline} from '../../mapping/index.js'
import {BodyFactory, selectEvents} from '../../sender/index.js'

export default class EventsMap extends ZoomctlCommand {
  static override summary = "Show the document Elastic's Zoom integration indexes for a Zoom event"
  static override description = `Reads a Zoom webhook body (or the Elastic Agent's form, with the body under "zoom", or one line of serve's store) from a file or standard input, or builds one with --event, and prints what the integration's ingest pipeline makes of it: event.*, user.*, related.*, source.ip, zoom.* … With --pipeline-only it leaves out what the Elastic Agent adds (@timestamp of receipt, data_stream, tags).`
  static override examples = [
    '<%= config.bin %> events map payload.json',
    'cat payload.json | <%= config.bin %> events map',
    '<%= config.bin %> events map --event meeting.participant_joined',
    '<%= config.bin %> events map payload.json --integration-version 1.20.0 --pipeline-only',
  ]

  static override args = {
    // Standard input is read by the command itself, as a body, not by oclif as the file name.
    file: Args.string({description: 'JSON file with the body (default: standard input)', ignoreStdin: true}),
  }

  static override flags = {
    event: Flags.string({description: 'build the body for this event type from the catalog instead of reading one'}),
    'pipeline-only': Flags.boolean({description: "only the ingest pipeline's output, as in the integration's pipeline tests", default: false}),
    seed: Flags.integer({description: 'seed for --event (default: random)'}),
    'integration-version': integrationVersionFlag,
  }

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(EventsMap)
    let body: unknown
    if (flags.event) {
      const [spec] = selectEvents({names: [flags.event]})
      body = new BodyFactory(flags.seed ?? randomInt(2 ** 31)).build(spec!)
    } else {
      body = parseJson(await readInput(args.file), args.file ?? 'standard input')
    }
    const {zoomBody, receivedAt} = zoomBodyOf(body)
    const version = integrationVersion(flags['integration-version'])
    const document = flags['pipeline-only']
      ? runIngestPipeline({zoom: zoomBody}, {integrationVersion: version})
      : indexedDocument(zoomBody, {receivedAt: receivedAt ?? new Date(), integrationVersion: version})
    if (this.human) this.log(JSON.stringify(document, null, 2))
    return document
  }
}

/** The Zoom body in what was given: a body, the agent's form {"zoom": body}, or a record from serve's store. */
function zoomBodyOf(input: unknown): {zoomBody: unknown; receivedAt?: Date} {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return {zoomBody: input}
  const record = input as Record<string, unknown>
  if ('rawBody' in record && typeof record.receivedAt === 'string' && 'event' in record) {
    const receivedAt = new Date(record.receivedAt)
    return {zoomBody: record.event, ...(Number.isNaN(receivedAt.getTime()) ? {} : {receivedAt})}
  }
  if ('zoom' in record && !('event' in record)) return {zoomBody: record.zoom}
  return {zoomBody: input}
}

async function readInput(file: string | undefined): Promise<string> {
  if (file) return (await readUserFile(file)).toString('utf8')
  if (process.stdin.isTTY) throw new OptionError('give a file, pipe a body on standard input, or use --event NAME')
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new OptionError(`${source} is not JSON: ${(error as Error).message}`)
  }
}
