import {isLoopbackHost} from '../config/local-token.js'
import {type ConfigFile, loadConfig, resolveReference, SECRET_KEYS, writeConfig} from '../config/file.js'
import {OptionError} from '../config/parse.js'
import {UserError} from '../errors.js'
import {FleetClient} from './fleet.js'
import {type AuditStreamsInput, packagePolicyBody, redactedBody, type WebhookInput} from './policy.js'
import {isReportStream, REPORT_APIS, REPORT_STREAMS, type ReportStream} from '../zoom/reports.js'
import {QUESTIONS, type Question, type SetupAnswers} from './questions.js'
import {type SetupZoomOptions, type ZoomStepResult, zoomStepForSetup} from './zoom-step.js'

/** Asks on a terminal; absent when setup runs without one. */
export interface Prompter {
  ask(question: Question, fallback: string | undefined): Promise<string>
  choose(message: string, choices: Array<{value: string; name: string}>): Promise<string>
  confirm(message: string, fallback: boolean): Promise<boolean>
}

export interface SetupOptions {
  /** Answers given as flags. */
  given: Partial<Record<keyof SetupAnswers, string>>
  prompter?: Prompter
  /** Take the default of every question not answered by a flag, and confirm every step. */
  yes: boolean
  configPath: string
  namespace: string
  onStep?: (text: string) => void
  /** The config file as it is: its settings are the defaults, so that setup run again keeps what works. */
  current?: ConfigFile
  /** The Zoom step: the subscription through Zoom's API (see zoom-step.ts). */
  zoom?: SetupZoomOptions
  /** Change nothing (no file, no Fleet, no Zoom): the Zoom step prints its plan. */
  dryRun?: boolean
  /** The audit streams to enable beside the webhook input (see auditStreamsFor). */
  audit?: AuditOptions
}

/** --audit-streams and where the streams poll, with the Zoom credentials setup already has. */
export interface AuditOptions {
  /** Given as a flag (none: no stream); undefined: asked on a terminal, else none. */
  streams?: ReportStream[]
  /** The integration's URL: https://api.zoom.us, or a simulate-api (test mode). */
  url?: string
  tokenUrl?: string
  accountId?: string
  clientId?: string
  clientSecret?: string
}

export interface SetupResult {
  configPath: string
  settings: Record<string, unknown>
  /** The Elasticsearch serve will index into, as setup reached it: its version, and as whom. */
  elasticsearch?: {version: string; credential: string}
  kibana?: {version: string; installed: string; installedNow: boolean; agentPolicy: string; packagePolicy: {action: 'created' | 'updated'; id: string}; sent: Record<string, unknown>; auditStreams: ReportStream[]}
  zoomSteps: string[]
  next: string[]
  /** Shown once: a token or header value setup generated. */
  generated: string[]
  /** Settings of the file the new answers leave out (those of a destination no longer chosen): removed. */
  removed: string[]
  /** The Zoom step's plan and what it did. */
  zoom?: ZoomStepResult
  /** --dry-run: nothing was written, nothing sent to Fleet or Zoom. */
  dryRun?: true
  /** Answers written although their check failed, or left out after it (the wizard's choice): said at the end. */
  unverified: string[]
}

/** What the answers collected hold besides the answers: the Elasticsearch reached, and what could not be checked. */
export interface CollectedAnswers {
  answers: SetupAnswers
  generated: string[]
  /** The Elasticsearch the wizard reached as its URL and credentials were given. */
  elasticsearch?: SetupResult['elasticsearch']
  /** Answers kept although their check failed, or left out: said at the end. */
  unverified: string[]
}

/** The questions of the Elasticsearch connection: checked together once the last of them is answered. */
const ELASTIC_KEYS: Array<keyof SetupAnswers> = ['es-url', 'api-key', 'username', 'password']

/** Every question answered: from its flag, the prompt, or (with --yes) its default; checked as typed. */
export async function collectAnswers(options: SetupOptions): Promise<CollectedAnswers> {
  const answers: Partial<SetupAnswers> = {}
  const missing: string[] = []
  const generated: string[] = []
  const unverified: string[] = []
  let elasticsearch: CollectedAnswers['elasticsearch']
  const current = options.current ? currentAnswers(options.current) : {}
  /** Asked again at the prompt after a failed check: their flags no longer answer them. */
  const reasked = new Set<keyof SetupAnswers>()
  for (let index = 0; index < QUESTIONS.length; index++) {
    const question = QUESTIONS[index]!
    if (question.when && !question.when(answers)) continue
    // What the file holds comes before a default: a Secret Token Zoom knows is never replaced by a new one.
    const kept = current[question.key]
    const fallback = kept ?? question.fallback?.(answers)
    let value = reasked.has(question.key) ? undefined : options.given[question.key]
    for (;;) {
      if (value === undefined && options.prompter && !options.yes) value = await options.prompter.ask(kept === undefined ? question : keepingCurrent(question), fallback === undefined ? undefined : String(fallback))
      if (value === undefined || value === '') {
        if (fallback !== undefined && (options.yes || options.prompter)) {
          value = String(fallback)
          if (question.kind === 'secret' && kept === undefined) generated.push(question.key)
        } else if (question.optional) {
          value = ''
        } else {
          missing.push(`--${question.key}${fallback !== undefined ? ' (or --yes for its default)' : ''}`)
          break
        }
      }
      // The port in the file is the one its serve listens on, most likely right now: busy is expected there.
      const verdict = question.validate && !(question.key === 'port' && value === kept) ? await question.validate(value, answers) : true
      if (verdict === true) break
      // Typed at the prompt: say why and ask again. Given as a flag: bad input.
      if (!options.prompter || options.given[question.key] !== undefined) throw new OptionError(`--${question.key}: ${verdict}`)
      process.stderr.write(`  ${verdict}\n`)
      value = undefined
    }
    if (value !== undefined) (answers as Record<string, unknown>)[question.key] = question.kind === 'number' ? Number(value) : value
    // At a terminal, the connection is checked as soon as its URL and credentials are given, not after every other question.
    if (options.prompter && !options.yes && ELASTIC_KEYS.includes(question.key) && !QUESTIONS.slice(index + 1).some((next) => ELASTIC_KEYS.includes(next.key) && (!next.when || next.when(answers)))) {
      const checked = await checkElasticAnswers(answers, options)
      if (checked.kind === 'reached') elasticsearch = checked.elasticsearch
      else if (checked.kind === 'kept') unverified.push(checked.note)
      else {
        for (const key of ELASTIC_KEYS) {
          delete answers[key]
          reasked.add(key)
        }
        if (checked.kind === 'skipped') {
          answers.destination = 'store'
          unverified.push(checked.note)
        } else {
          // Asked again from the URL on.
          index = QUESTIONS.findIndex((candidate) => candidate.key === 'es-url') - 1
        }
      }
    }
  }
  if (missing.length) {
    throw new OptionError(`setup has no terminal to ask on and these are not given: ${missing.join(', ')}`, {hint: 'give them as flags (zoomctl setup --help), or run setup in a terminal'})
  }
  const host = answers.host ?? '127.0.0.1'
  if (!isLoopbackHost(host) && !options.yes) {
    const exposed = options.prompter ? await options.prompter.confirm(`${host} exposes the receiver beyond this machine. Continue?`, false) : false
    if (!exposed) throw new OptionError(`listening on ${host} exposes the receiver: confirm with --yes, or use 127.0.0.1 behind a proxy`)
  }
  return {answers: answers as SetupAnswers, generated, ...(elasticsearch ? {elasticsearch} : {}), unverified}
}

/** How the wizard's connection check ended: reached, kept unchecked, skipped, or to be entered again. */
type ElasticCheck = {kind: 'reached'; elasticsearch: NonNullable<SetupResult['elasticsearch']>} | {kind: 'kept' | 'skipped'; note: string} | {kind: 'again'}

/**
 * Connects with the URL and credentials just given; on failure says why and offers to enter them again,
 * keep them anyway (a cluster not up yet) or skip Elasticsearch (events stay in serve's store).
 */
async function checkElasticAnswers(answers: Partial<SetupAnswers>, options: SetupOptions): Promise<ElasticCheck> {
  const url = answers['es-url']!
  process.stderr.write(`  checking the connection to ${url} …\n`)
  let problem: UserError
  try {
    return {kind: 'reached', elasticsearch: await reachElastic(answers as SetupAnswers, options.namespace)}
  } catch (error) {
    problem = error instanceof UserError ? error : new UserError((error as Error).message)
  }
  process.stderr.write(`  ${problem.message}${problem.hint ? `\n  ${problem.hint}` : ''}\n`)
  const choice = await options.prompter!.choose('Elasticsearch could not be reached with these answers. What now?', [
    {value: 'again', name: 'enter the URL and credentials again'},
    {value: 'keep', name: 'keep them anyway (a cluster not up yet: serve keeps deliveries in its store until it is reachable)'},
    {value: 'skip', name: "skip Elasticsearch for now (events stay in serve's store; run setup again to add it)"},
  ])
  if (choice === 'keep') return {kind: 'kept', note: `Elasticsearch at ${url} is written as given, but setup could not reach it: ${problem.message} (zoomctl doctor --es-url checks it again)`}
  if (choice === 'skip') return {kind: 'skipped', note: `Elasticsearch skipped (${problem.message}): events stay in serve's store; run zoomctl setup again to add it`}
  return {kind: 'again'}
}

/** Connects to the Elasticsearch of the answers, and says which version and as whom. */
async function reachElastic(answers: SetupAnswers, namespace: string): Promise<NonNullable<SetupResult['elasticsearch']>> {
  // Loaded here: a setup that does not index into Elasticsearch starts without its client.
  const {connectElastic} = await import('../elastic/connection.js')
  const connection = await connectElastic({nodes: [answers['es-url']!], ...elasticCredentials(answers), namespace, requestTimeoutMs: 15_000})
  await connection.client.close()
  return {version: connection.info.version, credential: connection.credential}
}

/**
 * The answers a config file already gives, as setup's questions take them: its settings, and what they
 * imply (forward-to: the agent is the destination; tls-cert: zoomctl serves HTTPS). A secret written as
 * env:NAME or file:PATH is offered as its value, and written back as the reference (see changesFor).
 */
export function currentAnswers(file: ConfigFile): Partial<Record<keyof SetupAnswers, string>> {
  if (!file.exists) return {}
  const current: Partial<Record<keyof SetupAnswers, string>> = {}
  const resolved = resolvedValues(file)
  // A reference to an env var that is not set here is no answer: that question is asked afresh.
  for (const question of QUESTIONS) if (resolved.has(question.key)) current[question.key] = String(resolved.get(question.key))
  const values = file.values
  current.destination = values['forward-to'] !== undefined ? 'agent' : values['es-url'] !== undefined ? 'elasticsearch' : 'store'
  if (values['tls-cert'] !== undefined) current.tls = 'certificate'
  // setup writes the agent's secret as serve's forward header: the one the agent's policy checks.
  const forwardHeader = resolved.get('forward-header')
  const header = typeof forwardHeader === 'string' ? /^Authorization:\s*(.+)$/i.exec(forwardHeader)?.[1] : undefined
  if (header) current['agent-secret'] = header
  return current
}

/**
 * The file's settings with env:/file: references read, once per file (a file: reference is a read): the
 * defaults setup offers, and what tells an unchanged secret from a new one when writing. A reference that
 * cannot be read here has no entry.
 */
function resolvedValues(file: ConfigFile): Map<string, unknown> {
  let resolved = RESOLVED.get(file)
  if (!resolved) {
    resolved = new Map()
    for (const [key, value] of Object.entries(file.values)) {
      try {
        resolved.set(key, resolveReference(value, key, file))
      } catch {
        // Left out: see above.
      }
    }
    RESOLVED.set(file, resolved)
  }
  return resolved
}

const RESOLVED = new WeakMap<ConfigFile, Map<string, unknown>>()

/** A question whose answer the file already holds: Enter keeps it (a secret's prompt shows no default, so it says so). */
function keepingCurrent(question: Question): Question {
  if (question.kind !== 'secret') return question
  const message = question.message.replace(/\s*\(Enter: [^)]*\)$/, '')
  return {...question, message: `${message} (Enter: keep the current one)`}
}

/** The settings setup writes; the others (tolerance, data-dir …) are the user's and stay as they are. */
const SETUP_KEYS = ['host', 'port', 'path', 'auth', 'secret-token', 'auth-value', 'tls-cert', 'tls-key', 'forward-to', 'forward-header', 'es-url', 'api-key', 'username', 'password']

/**
 * What to write: the new settings, each unchanged secret as the env:/file: reference it was written as,
 * and the removal of what the new answers leave out (es-url after a switch to the agent, say), so that
 * serve does not go on forwarding where the user no longer sends.
 */
export function changesFor(settings: Record<string, unknown>, current: ConfigFile | undefined): Record<string, unknown> {
  const changes: Record<string, unknown> = {...settings}
  if (!current?.exists) return changes
  for (const key of SETUP_KEYS) {
    if (!(key in settings)) {
      if (key in current.values) changes[key] = undefined
      continue
    }
    const written = current.values[key]
    // An unresolvable reference (its env var not set here) is replaced by the new value.
    if (typeof written === 'string' && /^(env|file):/.test(written) && resolvedValues(current).get(key) === settings[key]) changes[key] = written
  }
  return changes
}

/** The settings file for serve, simulate, doctor and validate. */
export function settingsFrom(answers: SetupAnswers, namespace: string): Record<string, unknown> {
  return {
    host: answers.host,
    port: answers.port,
    path: answers.path,
    auth: answers.auth,
    'secret-token': answers['secret-token'],
    ...(answers.auth === 'header' ? {'auth-value': answers['auth-value']} : {}),
    ...(answers.tls === 'certificate' ? {'tls-cert': answers['tls-cert'], 'tls-key': answers['tls-key']} : {}),
    ...(answers.destination === 'agent' ? {'forward-to': answers['forward-to'], 'forward-header': `Authorization: ${answers['agent-secret']}`} : {}),
    // Under the flags' names: api-key, or username and password.
    ...(answers.destination === 'elasticsearch' ? {'es-url': answers['es-url'], ...(answers['api-key'] ? {'api-key': answers['api-key']} : elasticCredentials(answers))} : {}),
    ...(namespace !== 'default' ? {namespace} : {}),
  }
}

/** How zoomctl signs in to Elasticsearch: the API key, else the user and password, else nothing (security off). */
function elasticCredentials(answers: SetupAnswers): {apiKey?: string; username?: string; password?: string} {
  if (answers['api-key']) return {apiKey: answers['api-key']}
  return answers.username ? {username: answers.username, password: answers.password} : {}
}

/** Where the Elastic Agent listens: behind zoomctl (the forward URL) or facing Zoom itself. */
export function webhookInput(answers: SetupAnswers): WebhookInput {
  if (answers.destination === 'agent' && answers['forward-to']) {
    const url = new URL(answers['forward-to'])
    return {
      listenAddress: isLoopbackHost(url.hostname) ? 'localhost' : '0.0.0.0',
      listenPort: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
      path: url.pathname,
      crcSecret: answers['secret-token'],
      secretHeader: 'Authorization',
      secretValue: answers['agent-secret'],
    }
  }
  return {
    listenAddress: isLoopbackHost(answers.host) ? 'localhost' : '0.0.0.0',
    listenPort: answers.port,
    path: answers.path,
    crcSecret: answers['secret-token'],
    ...(answers.auth === 'header' ? {secretHeader: 'Authorization', secretValue: answers['auth-value']} : {}),
  }
}

export async function runSetup(options: SetupOptions): Promise<SetupResult> {
  const step = options.onStep ?? (() => {})
  const current = options.current ?? loadConfig(options.configPath)
  const {answers, generated, unverified, ...checked} = await collectAnswers({...options, current})
  let elasticsearch = checked.elasticsearch
  // Given as flags (or with --yes): checked here, before anything is written (the command line keeps the answers).
  if (answers.destination === 'elasticsearch' && answers['es-url'] && (!options.prompter || options.yes)) {
    step('checking the Elasticsearch connection')
    elasticsearch = await reachElastic(answers, options.namespace)
  }
  const settings = settingsFrom(answers, options.namespace)
  // Written atomically once every question is answered (Ctrl-C at one leaves no half-written file), and
  // before Kibana: what was answered is kept whatever Kibana then says.
  const changes = changesFor(settings, current)
  if (!options.dryRun) await writeConfig(options.configPath, changes)
  let kibana: SetupResult['kibana']
  if (answers['kibana-url'] && !options.dryRun) {
    try {
      kibana = await configureFleet(answers, options, step)
    } catch (error) {
      throw keptAnswers(error, options.configPath)
    }
  }
  // Zoom's side once the receiver's settings are written (a serve it starts reads them); its own settings after it succeeded.
  const zoom = await zoomStepForSetup({zoom: options.zoom, answers, current, configPath: options.configPath, prompter: options.prompter, yes: options.yes, dryRun: Boolean(options.dryRun), onStep: step})
  if (zoom && !options.dryRun) await writeConfig(options.configPath, zoom.settings)
  const endpoint = answers['public-url'] || `https://<your public host>${answers.path}`
  return {
    configPath: options.configPath,
    // What was written, secrets masked: the values stay in the file.
    settings: Object.fromEntries(Object.entries(settings).map(([key, value]) => [key, SECRET_KEYS.has(key) ? '********' : value])),
    ...(kibana ? {kibana} : {}),
    ...(elasticsearch ? {elasticsearch} : {}),
    zoomSteps: [
      'Sign in to https://marketplace.zoom.us/ with an admin account.',
      'Develop → Build App → Webhook Only → Create; give it a name (e.g. Elastic-Zoom) and your company details.',
      'Feature → turn on Event Subscriptions → Add new event subscription.',
      `Event notification endpoint URL: ${endpoint}`,
      // Never the token on the command line (shell history, ps): config set asks for it, or reads it from a pipe.
      "Copy the app's Secret Token and run zoomctl config set secret-token: it asks for the token without echo (or reads it from a pipe), keeping it out of your shell history (and, with an Elastic Agent, set the integration's CRC secret to it): a token setup generated is for local tests only.",
      'Add Events: the meeting, webinar, recording, user and account events you need → Done.',
      'Click Validate (zoomctl answers the challenge), then Save and Continue to activate the app.',
      "Or, instead of steps 2–7: with a Server-to-Server OAuth app's credentials in ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET, zoomctl setup --zoom makes the subscription through Zoom's API (README: the Zoom step).",
    ],
    next: [
      'zoomctl serve',
      `zoomctl doctor ${answers['public-url'] || `http://127.0.0.1:${answers.port}${answers.path} --allow-http`}`,
      `zoomctl simulate --all --url ${answers['public-url'] || `http://127.0.0.1:${answers.port}${answers.path}`} --record run.ndjson`,
      validateStep(answers.destination),
      ...(kibana?.auditStreams.length
        ? ['zoomctl doctor (with ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET and --kibana-url: the audit streams)', `zoomctl validate --data-stream ${kibana.auditStreams[0]} --since 30d (after the agent's first poll)`]
        : []),
    ],
    generated,
    removed: Object.keys(changes).filter((key) => changes[key] === undefined),
    ...(zoom ? {zoom} : {}),
    ...(options.dryRun ? {dryRun: true as const} : {}),
    unverified,
  }
}

/** --audit-streams: a comma-separated list of the integration's audit streams, or none. */
export function parseAuditStreams(value: string | undefined): ReportStream[] | undefined {
  if (value === undefined) return undefined
  const names = value.split(',').map((name) => name.trim()).filter((name) => name && name !== 'none')
  const unknown = names.filter((name) => !isReportStream(name))
  if (unknown.length) throw new OptionError(`--audit-streams: ${unknown.join(', ')} is not an audit stream`, {hint: `choose among ${REPORT_STREAMS.join(', ')}, or none`})
  return names as ReportStream[]
}

/** Zoom's API and token endpoint as the integration names them (its url and token_url settings). */
export const ZOOM_REPORT_URL = 'https://api.zoom.us'
export const ZOOM_TOKEN_BASE_URL = 'https://zoom.us'

/**
 * The audit streams to enable: the flag's, else asked stream by stream on a terminal (activity and
 * operation offered, meeting_activity only where Zoom Support enabled the audit trail), else none, as
 * the integration's own default. They take the Zoom credentials setup already has.
 */
export async function auditStreamsFor(options: SetupOptions): Promise<AuditStreamsInput | undefined> {
  const audit = options.audit ?? {}
  let streams = audit.streams
  const credentials = {accountId: audit.accountId, clientId: audit.clientId, clientSecret: audit.clientSecret}
  if (streams === undefined && options.prompter && !options.yes && credentials.clientId) {
    streams = []
    for (const stream of REPORT_STREAMS) {
      const {title, needs} = REPORT_APIS[stream]
      if (await options.prompter.confirm(`Also collect Zoom's ${title} (the ${stream} stream: polled every 24 h; needs ${needs})?`, stream !== 'meeting_activity')) streams.push(stream)
    }
  }
  if (!streams?.length) return undefined
  const missing = [!credentials.accountId && 'ZOOM_ACCOUNT_ID', !credentials.clientId && 'ZOOM_CLIENT_ID', !credentials.clientSecret && 'ZOOM_CLIENT_SECRET'].filter(Boolean)
  if (missing.length) {
    throw new OptionError(`the audit streams poll Zoom's API with a Server-to-Server OAuth app: ${missing.join(', ')} not given`, {hint: 'give the app\'s credentials (ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET or --zoom-account-id …); for a test without Zoom, start zoomctl simulate-api and give --audit-url with its credentials'})
  }
  const url = audit.url ?? ZOOM_REPORT_URL
  return {streams, url, tokenUrl: audit.tokenUrl ?? (audit.url ? audit.url : ZOOM_TOKEN_BASE_URL), accountId: credentials.accountId!, clientId: credentials.clientId!, clientSecret: credentials.clientSecret!}
}

/**
 * A failure of the Kibana step, which comes after the file is written: said with where the answers are,
 * so that a re-run (which offers them as defaults) only has Kibana left to do. Ctrl-C there is marked so.
 */
function keptAnswers(error: unknown, configPath: string): unknown {
  const saved = `your other answers are saved in ${configPath}: run zoomctl setup again for Kibana (it offers them as defaults)`
  if (error instanceof UserError) return new UserError(`${error.message} (Kibana was not configured)`, {...error.options, hint: error.hint ? `${error.hint}; ${saved}` : saved})
  if ((error as Error).name === 'ExitPromptError') (error as Error & {savedTo?: string}).savedTo = configPath
  return error
}

/**
 * How to check the run just sent. The agent's Elasticsearch is not in the config file: serve takes es-url
 * from there as a place to index into, beside the agent.
 */
function validateStep(destination: SetupAnswers['destination']): string {
  if (destination === 'store') return 'zoomctl validate --local --run run.ndjson'
  if (destination === 'agent') return 'zoomctl validate --run run.ndjson --wait 60s --es-url https://<the agent\'s Elasticsearch>:9200'
  return 'zoomctl validate --run run.ndjson --wait 60s'
}

async function configureFleet(answers: SetupAnswers, options: SetupOptions, step: (text: string) => void): Promise<NonNullable<SetupResult['kibana']>> {
  const fleet = new FleetClient({
    url: answers['kibana-url']!,
    ...(answers['kibana-api-key'] ? {apiKey: answers['kibana-api-key']} : answers['kibana-username'] ? {username: answers['kibana-username'], password: answers['kibana-password']} : {}),
  })
  try {
    step('connecting to Kibana')
    const version = await fleet.connect()
    const zoom = await fleet.zoomPackage()
    let installed = zoom.installed
    let installedNow = false
    if (!installed) {
      const install = options.yes || (options.prompter ? await options.prompter.confirm(`The Zoom integration is not installed in Kibana ${version}. Install ${zoom.latest}?`, true) : false)
      if (!install) throw new UserError('the Zoom integration is not installed in Kibana', {hint: 'install it (zoomctl setup --yes, or Kibana → Integrations → Zoom) and run setup again'})
      step(`installing the Zoom integration ${zoom.latest}`)
      await fleet.installZoom(zoom.latest)
      installed = zoom.latest
      installedNow = true
    }
    const policies = await fleet.agentPolicies()
    const wanted = options.given['agent-policy']
    let policy = wanted ? policies.find((candidate) => candidate.id === wanted || candidate.name === wanted) : undefined
    if (wanted && !policy) throw new OptionError(`no agent policy "${wanted}" in Kibana: there are ${policies.map((candidate) => `${candidate.name} (${candidate.id})`).join(', ') || 'none'}`)
    if (!policy && policies.length === 1) policy = policies[0]
    if (!policy && options.prompter && policies.length) {
      const id = await options.prompter.choose('Agent policy to add the Zoom integration to', policies.map((candidate) => ({value: candidate.id, name: `${candidate.name} (${candidate.id})`})))
      policy = policies.find((candidate) => candidate.id === id)
    }
    if (!policy) throw new OptionError(policies.length ? `choose the agent policy with --agent-policy (${policies.map((candidate) => candidate.name).join(', ')})` : 'Kibana has no agent policy: create one in Fleet first')
    const target = {name: 'zoom-webhook-zoomctl', namespace: options.namespace, agentPolicyId: policy.id, packageVersion: installed, kibanaVersion: version}
    const input = webhookInput(answers)
    const audit = await auditStreamsFor(options)
    const sent = redactedBody(packagePolicyBody(target, input, audit))
    if (!options.yes) {
      const go = options.prompter ? await options.prompter.confirm(`Send this to Kibana?\n${JSON.stringify(sent, null, 2)}\n`, true) : false
      if (!go) throw new OptionError('not sent to Kibana: confirm with --yes')
    }
    step(`adding the Zoom webhook input to ${policy.name}`)
    const packagePolicy = await fleet.applyZoomPolicy(target, input, audit)
    return {version, installed, installedNow, agentPolicy: policy.id, packagePolicy, sent, auditStreams: audit?.streams ?? []}
  } finally {
    await fleet.close()
  }
}
