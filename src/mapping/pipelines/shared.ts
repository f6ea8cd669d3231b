import {append, type Doc, getField} from '../document.js'
import {type Feature, hasFeature} from '../version.js'

export interface PipelineContext {
  doc: Doc
  /** event.action, the Zoom event type. */
  action: string
  version: string
}

export function since(context: PipelineContext, feature: Feature): boolean {
  return hasFeature(context.version, feature)
}

/** Which actions get a value: a list of actions, or every action but some. */
export type ActionMatch = readonly string[] | {allBut: readonly string[]}

/** Ordered (value, actions) rules for event.type or event.category, appended as the integration does. */
export type ValueRules = ReadonlyArray<readonly [value: string, when: ActionMatch | 'always']>

export function matches(action: string, when: ActionMatch | 'always'): boolean {
  if (when === 'always') return true
  if ('allBut' in when) return !when.allBut.includes(action)
  return when.includes(action)
}

export function appendByRules(context: PipelineContext, field: 'event.type' | 'event.category', rules: ValueRules): void {
  for (const [value, when] of rules) if (matches(context.action, when)) append(context.doc, field, value)
}

export function zoom(context: PipelineContext, path: string): unknown {
  return getField(context.doc, `zoom.${path}`)
}

/** A category pipeline: the named steps run in order; see index.ts for how failures are recorded. */
export interface CategoryPipeline {
  /** The event-type prefix that selects it (plain startsWith, as the integration tests it). */
  prefix: string
  run(context: PipelineContext): void
}
