import type {ZoomApiClient} from '../api/client.js'
import {createSubscription, deleteSubscription, type EventSubscription, listSubscriptions} from '../api/subscriptions.js'
import {type DesiredSubscription, planSubscription, type SubscriptionPlan} from './plan.js'
import {challengeAnswered, notAnswering} from './preflight.js'

export interface ApplyOutcome {
  plan: SubscriptionPlan
  applied: boolean
  /** The subscription that now holds the desired one. */
  subscriptionId?: string
  /** What was done, in order: "created X", "deleted Y". */
  done: string[]
}

/**
 * Reads the app's subscriptions, plans, and (unless dryRun) applies, once the endpoint answers the
 * challenge with `secretToken` (Zoom validates the URL on create): a replace creates the new one first
 * and deletes the old one after, so a refused create (1701: the endpoint does not answer yet) leaves the
 * old one working.
 */
export async function applySubscription(api: ZoomApiClient, accountId: string | undefined, desired: DesiredSubscription, options: {dryRun?: boolean; forceReplace?: boolean; secretToken?: string; onStep?: (text: string) => void} = {}): Promise<ApplyOutcome> {
  const step = options.onStep ?? (() => {})
  step("reading the app's event subscriptions")
  const actual = await listSubscriptions(api, accountId)
  const plan = planSubscription(desired, actual, options)
  if (options.dryRun) return {plan, applied: false, subscriptionId: keptId(plan), done: []}
  if (options.secretToken && plan.steps.some((planned) => planned.action === 'create' || planned.action === 'replace')) {
    step(`checking that ${desired.url} answers Zoom's challenge`)
    const answer = await challengeAnswered(desired.url, options.secretToken, desired.customHeader)
    if (!answer.ok) throw notAnswering(desired.url, answer.reason)
  }
  const done: string[] = []
  let subscriptionId = keptId(plan)
  for (const planned of plan.steps) {
    if (planned.action === 'create' || planned.action === 'replace') {
      step(`creating the subscription (Zoom validates ${desired.url} first)`)
      subscriptionId = await createSubscription(api, accountId, desired)
      done.push(`created ${subscriptionId}`)
      if (planned.action === 'replace') {
        step(`deleting the subscription it replaces (${planned.current.id})`)
        await deleteSubscription(api, planned.current.id)
        done.push(`deleted ${planned.current.id}`)
      }
    } else if (planned.action === 'delete') {
      step(`deleting ${planned.current.id}`)
      await deleteSubscription(api, planned.current.id)
      done.push(`deleted ${planned.current.id}`)
    }
  }
  return {plan, applied: true, subscriptionId, done}
}

function keptId(plan: SubscriptionPlan): string | undefined {
  const unchanged = plan.steps.find((step): step is {action: 'unchanged'; current: EventSubscription} => step.action === 'unchanged')
  return unchanged?.current.id
}
