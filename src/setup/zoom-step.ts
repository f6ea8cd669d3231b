import {spawn} from 'node:child_process'
import {mkdirSync, openSync} from 'node:fs'
import {join} from 'node:path'
import {setTimeout as delay} from 'node:timers/promises'

import {type ZoomFlagValues, type ZoomSubscriptionFlagValues, zoomApiClientFrom} from '../cli/zoom-flags.js'
import {OptionError} from '../config/parse.js'
import {DEFAULT_DATA_DIR} from '../store/index.js'
import type {CustomHeader} from '../zoom/api/subscriptions.js'
import {applySubscription, type ApplyOutcome} from '../zoom/subscription/apply.js'
import {desiredSubscription, listOf} from '../zoom/subscription/desired.js'
import {challengeAnswered, notAnswering} from '../zoom/subscription/preflight.js'
import type {Prompter} from './setup.js'

export interface ZoomStepOptions {
  flags: ZoomFlagValues & ZoomSubscriptionFlagValues
  /** The URL setup decided (public-url), else the one the config file holds from an earlier run. */
  url?: string
  secretToken: string
  /** serve's static header, when it checks one: Zoom must send it too. */
  customHeader?: CustomHeader
  dryRun: boolean
  /** May start `zoomctl serve --config FILE` in the background when nothing answers the challenge. */
  startServe: boolean
  configPath: string
  prompter?: Prompter
  yes: boolean
  onStep: (text: string) => void
}

export interface ZoomStepResult extends ApplyOutcome {
  url: string
  /** A serve setup started because nothing answered: stop it with kill PID. */
  startedServe?: {pid: number; log: string}
  /** The settings zoom apply and doctor read later. */
  settings: Record<string, string>
}

/**
 * Zoom's side, once the Elastic side and the receiver are settled: the subscription for the URL setup
 * decided, with the events Elastic maps (narrowed by --zoom-categories or --zoom-events) and serve's
 * static header, created only once the URL answers Zoom's challenge. Idempotent: planned first.
 */
export async function runZoomStep(options: ZoomStepOptions): Promise<ZoomStepResult> {
  const url = options.url
  if (!url) throw new OptionError("the Zoom step needs the https URL Zoom will call", {hint: 'give --public-url (the URL of this receiver as Zoom reaches it)'})
  const desired = desiredSubscription({
    name: options.flags['zoom-subscription-name'],
    url,
    categories: listOf(options.flags['zoom-categories']),
    events: listOf(options.flags['zoom-events']),
    customHeader: options.customHeader,
  })
  const settings: Record<string, string> = {'zoom-webhook-url': url}
  for (const key of ['zoom-categories', 'zoom-events'] as const) if (options.flags[key]) settings[key] = options.flags[key]!
  const api = zoomApiClientFrom(options.flags)
  const accountId = options.flags['zoom-account-id']
  try {
    options.onStep("reading the Zoom app's event subscriptions")
    const planned = await applySubscription(api, accountId, desired, {dryRun: true})
    const writes = planned.plan.steps.some((step) => step.action === 'create' || step.action === 'replace')
    if (options.dryRun || planned.plan.writes === 0) return {...planned, url, settings}
    let startedServe: ZoomStepResult['startedServe']
    if (writes) {
      options.onStep(`checking that ${url} answers Zoom's challenge`)
      let answer = await challengeAnswered(url, options.secretToken, desired.customHeader)
      if (!answer.ok) {
        const start = options.startServe || (options.prompter && !options.yes ? await options.prompter.confirm(`Nothing answers Zoom's challenge at ${url}. Start zoomctl serve in the background (it reads ${options.configPath})?`, true) : false)
        if (!start) throw notAnswering(url, answer.reason)
        startedServe = startServe(options.configPath)
        options.onStep(`waiting for the serve started in the background (pid ${startedServe.pid})`)
        for (let i = 0; i < 40 && !answer.ok; i++) {
          await delay(250)
          answer = await challengeAnswered(url, options.secretToken, desired.customHeader)
        }
        if (!answer.ok) throw notAnswering(url, `${answer.reason ?? 'no answer'} (the serve started in the background logs to ${startedServe.log})`)
      }
    }
    const outcome = await applySubscription(api, accountId, desired, {onStep: options.onStep})
    return {...outcome, url, settings, ...(startedServe ? {startedServe} : {})}
  } finally {
    await api.close()
  }
}

/** `zoomctl serve --config FILE`, detached, its output in a log file: it outlives setup, as a receiver must. */
function startServe(configPath: string): {pid: number; log: string} {
  mkdirSync(DEFAULT_DATA_DIR, {recursive: true, mode: 0o700})
  const log = join(DEFAULT_DATA_DIR, 'serve.log')
  const out = openSync(log, 'a', 0o600)
  const child = spawn(process.execPath, [process.argv[1]!, 'serve', '--config', configPath], {detached: true, stdio: ['ignore', out, out]})
  child.unref()
  return {pid: child.pid!, log}
}

/** The Zoom step as setup runs it: wanted (--zoom), declined (--no-zoom), or asked on a terminal. */
export interface SetupZoomOptions {
  wanted?: boolean
  flags: ZoomFlagValues & ZoomSubscriptionFlagValues
  startServe: boolean
}

export async function zoomStepForSetup(context: {
  zoom?: SetupZoomOptions
  answers: {'public-url'?: string; 'secret-token': string; auth: string; 'auth-value'?: string}
  current: {values: Record<string, unknown>}
  configPath: string
  prompter?: Prompter
  yes: boolean
  dryRun: boolean
  onStep: (text: string) => void
}): Promise<ZoomStepResult | undefined> {
  const {zoom, prompter} = context
  if (!zoom || zoom.wanted === false) return undefined
  const wanted = zoom.wanted ?? (prompter && !context.yes ? await prompter.confirm("Create the Zoom event subscription through Zoom's API now (a Server-to-Server OAuth app's credentials)?", false) : false)
  if (!wanted) return undefined
  const flags = {...zoom.flags}
  if (prompter && !context.yes) {
    const asked: Array<[keyof ZoomFlagValues, string, 'text' | 'secret']> = [
      ['zoom-account-id', "The Server-to-Server OAuth app's Account ID", 'text'],
      ['zoom-client-id', 'Its Client ID', 'text'],
      ['zoom-client-secret', 'Its Client Secret', 'secret'],
    ]
    for (const [key, message, kind] of asked) if (!flags[key]) flags[key] = await prompter.ask({key: key as never, message, kind}, undefined)
  }
  const written = context.current.values
  const url = context.answers['public-url'] || flags['zoom-webhook-url'] || (typeof written['zoom-webhook-url'] === 'string' ? written['zoom-webhook-url'] : undefined)
  for (const key of ['zoom-categories', 'zoom-events'] as const) if (!flags[key] && typeof written[key] === 'string') flags[key] = written[key] as string
  const headerName = typeof written['auth-header'] === 'string' ? written['auth-header'] : 'Authorization'
  return runZoomStep({
    flags,
    url,
    secretToken: context.answers['secret-token'],
    ...(context.answers.auth === 'header' && context.answers['auth-value'] ? {customHeader: {key: headerName, value: context.answers['auth-value']}} : {}),
    dryRun: context.dryRun,
    startServe: zoom.startServe,
    configPath: context.configPath,
    prompter,
    yes: context.yes,
    onStep: context.onStep,
  })
}
