import {fieldValues, type FieldDifference} from '../mapping/fields.js'
import {type Check, fail, pass, skip, warn} from './model.js'
import {percentile} from '../timing.js'

/** What validate --run found for one delivery of the run. */
export interface RunResult {
  event: string
  sentAt: string
  status?: number
  /** Not expected to arrive: the endpoint did not accept it. */
  accepted: boolean
  found: boolean
  /** Where it was found: a document _id or a store record id. */
  foundId?: string
  differences: FieldDifference[]
  /** From sending to indexing (event.ingested, else the receive time). */
  delayMs?: number
}

/**
 * Values that find a delivery's document again: the ids the pipeline keeps under zoom.* (meeting,
 * participant, registrant, account …), strings and numbers only, at most six.
 */
export function identityTerms(predicted: unknown): Record<string, string | number> {
  const terms: Record<string, string | number> = {}
  for (const [field, value] of fieldValues(predicted)) {
    if (!field.startsWith('zoom.')) continue
    if (!/(^|[._])(id|uuid|account_id|meeting_id|call_id|session_id)$/.test(field)) continue
    if (typeof value !== 'string' && typeof value !== 'number') continue
    terms[field] = value
    if (Object.keys(terms).length >= 6) break
  }
  return terms
}

/** What a run holds: deliveries simulate sent (the default), or report records simulate-api served. */
export interface RunWording {
  items: string
  /** The first row, whether the endpoint took them; none for records served (each was a 200). */
  sentRow: boolean
  lostHint: string
}

const DELIVERIES: RunWording = {items: 'deliveries', sentRow: true, lostHint: 'what was accepted but is missing was lost on the way: check the agent and its output (or wait longer with --wait 60s)'}

export function judgeRun(results: RunResult[], target: string, wording: RunWording = DELIVERIES): Check[] {
  const accepted = results.filter((result) => result.accepted)
  const refused = results.length - accepted.length
  const checks: Check[] = []
  if (wording.sentRow) {
    checks.push(
      refused
        ? warn('run.sent', 'deliveries of the run accepted by the endpoint', `${accepted.length}/${results.length}`, `${refused} were not accepted when sent, so they are not looked for: see simulate's output`)
        : pass('run.sent', 'deliveries of the run accepted by the endpoint', `${accepted.length}/${results.length}`),
    )
  }
  if (!accepted.length) return [...checks, skip('run.arrived', `run's ${wording.items} in ${target}`, 'nothing to look for')]

  const missing = accepted.filter((result) => !result.found)
  checks.push(
    missing.length
      ? fail('run.arrived', `run's ${wording.items} in ${target}`, `${accepted.length - missing.length}/${accepted.length} found`, wording.lostHint, {
          details: missing.slice(0, 50).map((result) => `missing: ${result.event} sent ${result.sentAt}`),
          data: {missing: missing.map(({event, sentAt}) => ({event, sentAt}))},
        })
      : pass('run.arrived', `run's ${wording.items} in ${target}`, `${accepted.length}/${accepted.length} found`),
  )

  const found = accepted.filter((result) => result.found)
  const changed = found.filter((result) => result.differences.length)
  if (found.length) {
    checks.push(
      changed.length
        ? fail('run.documents', 'documents as zoomctl predicts them', `${found.length - changed.length}/${found.length} identical`, 'a field differs from what the integration should make of the body: another integration version, a custom pipeline, or a mapping conflict', {
            details: changed.slice(0, 20).flatMap((result) =>
              result.differences.slice(0, 5).map((difference) => `${result.event} (${result.foundId}): ${difference.field} expected ${show(difference.expected)}, found ${show(difference.actual)}`),
            ),
            data: {changed: changed.map(({event, foundId, differences}) => ({event, id: foundId, differences}))},
          })
        : pass('run.documents', 'documents as zoomctl predicts them', `${found.length}/${found.length} identical`),
    )
  }

  const delays = found.map((result) => result.delayMs).filter((delay): delay is number => delay !== undefined).sort((a, b) => a - b)
  if (delays.length) {
    const p50 = percentile(delays, 0.5)!
    const max = delays[delays.length - 1]!
    const value = `p50 ${seconds(p50)}, max ${seconds(max)}`
    checks.push(
      max > 5 * 60_000
        ? warn('run.delay', 'from sent to indexed', value, 'minutes between sending and indexing: the agent is backed up or its output is slow')
        : pass('run.delay', 'from sent to indexed', value, {data: {p50Ms: p50, maxMs: max}}),
    )
  }
  return checks
}

function show(value: unknown): string {
  return value === undefined ? '(absent)' : JSON.stringify(value)
}

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.max(0, Math.round(ms))} ms` : `${(ms / 1000).toFixed(1)} s`
}
