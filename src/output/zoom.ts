import type {EventSubscription} from '../zoom/api/subscriptions.js'
import {byCategory} from '../zoom/subscription/desired.js'
import {isBuildFlow, type PlanStep, type SubscriptionPlan} from '../zoom/subscription/plan.js'
import {printable} from './format.js'
import {style} from './style.js'
import {renderTable} from './table.js'

/** zoom token's answer: what the credentials got, never the token. */
export function formatZoomToken(result: {grant: string; expiresAt: string; scopes: string[]}): string {
  return [
    `${style.green('✓')} Zoom accepted the credentials (${result.grant})`,
    `token valid until ${result.expiresAt} (kept in memory only; never printed)`,
    result.scopes.length ? `scopes:\n${result.scopes.map((scope) => `  ${scope}`).join('\n')}` : 'scopes: Zoom named none',
  ].join('\n')
}

/** "meeting 57, webinar 26, user 15" */
export function categoryCounts(events: string[]): string {
  return [...byCategory(events)].map(([category, list]) => `${category} ${list.length}`).join(', ') || 'none'
}

function source(subscription: EventSubscription): string {
  return isBuildFlow(subscription) ? 'build flow' : subscription.createdSource === 'openapi' ? 'API' : (subscription.createdSource ?? '?')
}

export function formatSubscriptions(subscriptions: EventSubscription[], ownName: string): string {
  if (!subscriptions.length) return 'The app has no event subscription. zoomctl zoom apply (or setup --zoom) creates one.'
  const rows = subscriptions.map((subscription) => [
    subscription.id,
    printable(subscription.name ?? '') + (subscription.name === ownName && !isBuildFlow(subscription) ? style.dim(' (zoomctl)') : ''),
    printable(subscription.url),
    String(subscription.events.length),
    source(subscription),
  ])
  return renderTable(['ID', 'NAME', 'URL', 'EVENTS', 'MADE IN'], rows)
}

export function formatSubscription(subscription: EventSubscription): string {
  const lines = [
    `${style.bold(subscription.id)}  ${printable(subscription.name ?? '(no name)')}`,
    `url:     ${printable(subscription.url)}`,
    `made in: ${source(subscription)}${isBuildFlow(subscription) ? style.dim(' (the API cannot change it: edit it in the Marketplace)') : ''}`,
    `scope:   ${subscription.scope ?? '?'}`,
    `header:  ${subscription.customHeader ? (subscription.customHeader.type === 3 ? `custom ${subscription.customHeader.key ?? ''}` : `type ${subscription.customHeader.type}`) : 'not shown by Zoom'}`,
    `events (${subscription.events.length}):`,
  ]
  for (const [category, events] of byCategory(subscription.events)) lines.push(`  ${category}: ${events.map(printable).join(', ')}`)
  return lines.join('\n')
}

/** The plan as Terraform prints one: + create, -/+ replace, - delete, unchanged; then the totals. */
export function formatPlan(plan: SubscriptionPlan, options: {applied: boolean; done?: string[]}): string {
  const lines: string[] = []
  for (const step of plan.steps) lines.push(...stepLines(step))
  for (const subscription of plan.buildFlow) lines.push(style.dim(`  ~ ${subscription.id} "${printable(subscription.name ?? '')}" (${subscription.events.length} events, ${printable(subscription.url)}): made in the build flow; reported, never changed`))
  for (const subscription of plan.others) lines.push(style.dim(`  ~ ${subscription.id} "${printable(subscription.name ?? '')}" (${subscription.events.length} events): another subscription; left alone`))
  for (const warning of plan.warnings) lines.push(`${style.yellow('warning:')} ${warning}`)
  const count = (action: PlanStep['action']) => plan.steps.filter((step) => step.action === action).length
  if (plan.writes === 0) {
    lines.push('', style.green('No changes.') + ' The subscription matches.')
  } else if (options.applied) {
    lines.push('', `${style.green('Applied:')} ${(options.done ?? []).join(', ')}.`)
  } else {
    lines.push('', `Plan: ${count('create')} to create, ${count('replace')} to replace, ${count('delete')} to delete. ${style.dim('(--dry-run: nothing was changed)')}`)
  }
  return lines.join('\n')
}

function stepLines(step: PlanStep): string[] {
  switch (step.action) {
    case 'create':
      return [
        style.green(`  + create "${printable(step.desired.name)}" → ${printable(step.desired.url)}`),
        `      events: ${step.desired.events.length} (${categoryCounts(step.desired.events)})${step.desired.customHeader ? `; custom header ${step.desired.customHeader.key}` : ''}`,
      ]
    case 'replace':
      return [
        style.yellow(`-/+ replace ${step.current.id} "${printable(step.desired.name)}" (${step.reasons.join(', ')}: Zoom cannot change a subscription in place)`),
        ...(step.urlFrom ? [`      url: ${printable(step.urlFrom)} → ${printable(step.desired.url)}`] : []),
        ...eventChanges('+', step.added, style.green),
        ...eventChanges('-', step.removed, style.red),
      ]
    case 'unchanged':
      return [`    unchanged ${step.current.id} "${printable(step.current.name ?? '')}" → ${printable(step.current.url)} (${step.current.events.length} events)`]
    case 'delete':
      return [style.red(`  - delete ${step.current.id} (${step.reason})`)]
  }
}

/** Added or removed events by category; a long category in one line. */
function eventChanges(sign: string, events: string[], color: (text: string) => string): string[] {
  return [...byCategory(events)].map(([category, list]) => color(`      ${sign} ${category}: ${list.length > 6 ? `${list.length} events (${list.slice(0, 3).join(', ')} …)` : list.join(', ')}`))
}
