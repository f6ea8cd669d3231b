import type {CustomHeader, EventSubscription} from '../api/subscriptions.js'

/** The subscription zoomctl keeps: found again by its name among the app's. */
export interface DesiredSubscription {
  name: string
  url: string
  events: string[]
  customHeader?: CustomHeader
}

export type PlanStep =
  | {action: 'create'; desired: DesiredSubscription}
  /** Zoom changes neither URL nor events in place (api.md A1): a new subscription, then the old one deleted. */
  | {action: 'replace'; current: EventSubscription; desired: DesiredSubscription; reasons: string[]; urlFrom?: string; added: string[]; removed: string[]}
  | {action: 'unchanged'; current: EventSubscription}
  /** Another subscription of zoomctl's name (a replace that stopped half-way): Zoom would deliver twice. */
  | {action: 'delete'; current: EventSubscription; reason: string}

export interface SubscriptionPlan {
  steps: PlanStep[]
  /** Made in the build flow: the API cannot change them; reported, never touched. */
  buildFlow: EventSubscription[]
  /** Made through the API by something else (another name): reported, never touched. */
  others: EventSubscription[]
  warnings: string[]
  /** Creates and deletes the plan makes. */
  writes: number
}

/** True when the app's subscription was made in the Marketplace's build flow. */
export function isBuildFlow(subscription: EventSubscription): boolean {
  return subscription.createdSource === 'default'
}

/**
 * What it takes to make Zoom's subscriptions hold the desired one: pure, so that --dry-run shows exactly
 * what apply does. `forceReplace`: Zoom never shows a header's value, so a changed value is not seen.
 */
export function planSubscription(desired: DesiredSubscription, actual: EventSubscription[], options: {forceReplace?: boolean} = {}): SubscriptionPlan {
  const buildFlow = actual.filter(isBuildFlow)
  const ours = actual.filter((subscription) => !isBuildFlow(subscription) && subscription.name === desired.name)
  const others = actual.filter((subscription) => !isBuildFlow(subscription) && subscription.name !== desired.name)
  const warnings: string[] = []
  for (const subscription of [...buildFlow, ...others]) {
    if (sameUrl(subscription.url, desired.url)) {
      warnings.push(`${isBuildFlow(subscription) ? 'the build-flow' : 'another'} subscription ${subscription.id} (${subscription.name ?? 'no name'}) already sends to ${desired.url}: events in both arrive twice (${isBuildFlow(subscription) ? 'remove it in the Marketplace: the API cannot' : `zoomctl zoom delete ${subscription.id}`})`)
    }
  }
  if (desired.customHeader && !/^x-/i.test(desired.customHeader.key)) {
    warnings.push(`Zoom may add "x-" to the custom header key ${desired.customHeader.key} (its docs do not settle it): a header name that starts with x- works either way`)
  }
  const steps: PlanStep[] = []
  // The one to keep: one that already matches, else the first; any other of zoomctl's name is a leftover.
  const keep = ours.find((subscription) => differences(subscription, desired).reasons.length === 0) ?? ours[0]
  if (!keep) {
    steps.push({action: 'create', desired})
  } else {
    const diff = differences(keep, desired)
    if (options.forceReplace && diff.reasons.length === 0) diff.reasons.push('asked to replace (--replace)')
    steps.push(diff.reasons.length ? {action: 'replace', current: keep, desired, ...diff} : {action: 'unchanged', current: keep})
  }
  for (const leftover of ours.filter((subscription) => subscription !== keep)) steps.push({action: 'delete', current: leftover, reason: `another subscription named ${desired.name}: Zoom would deliver twice`})
  const writes = steps.reduce((sum, step) => sum + (step.action === 'replace' ? 2 : step.action === 'unchanged' ? 0 : 1), 0)
  return {steps, buildFlow, others, warnings, writes}
}

function differences(current: EventSubscription, desired: DesiredSubscription): {reasons: string[]; urlFrom?: string; added: string[]; removed: string[]} {
  const reasons: string[] = []
  const have = new Set(current.events)
  const want = new Set(desired.events)
  const added = [...want].filter((event) => !have.has(event)).sort()
  const removed = [...have].filter((event) => !want.has(event)).sort()
  const urlChanged = !sameUrl(current.url, desired.url)
  if (urlChanged) reasons.push('URL changed')
  if (added.length || removed.length) reasons.push('events changed')
  // Zoom's GET shows the header's type and key (not its value), and only since 2026-01: compared when shown.
  if (current.customHeader) {
    const haveKey = current.customHeader.type === 3 ? current.customHeader.key?.toLowerCase() : undefined
    const wantKey = desired.customHeader?.key.toLowerCase()
    if (haveKey !== wantKey && !(haveKey && wantKey && haveKey === `x-${wantKey}`)) reasons.push('custom header changed')
  }
  return {reasons, ...(urlChanged ? {urlFrom: current.url} : {}), added, removed}
}

/** URLs compared as Zoom would call them: case of the host and a trailing slash aside. */
function sameUrl(a: string, b: string): boolean {
  const normal = (text: string) => {
    try {
      const url = new URL(text)
      return `${url.protocol}//${url.host.toLowerCase()}${url.pathname.replace(/\/+$/, '')}${url.search}`
    } catch {
      return text
    }
  }
  return normal(a) === normal(b)
}
