import {appendFrom, getField, nanosBetween, present, ProcessorFailure, removeField, rename, setField, setTemplate} from '../document.js'
import {appendByRules, type CategoryPipeline, type PipelineContext, type ValueRules} from './shared.js'

const EVENT_TYPES: ValueRules = [
  ['info', 'always'],
  ['creation', ['phone.caller_ringing', 'phone.callee_ringing']],
  ['start', ['phone.callee_answered', 'phone.caller_connected']],
  ['end', ['phone.callee_missed', 'phone.callee_ended', 'phone.caller_ended']],
]

const PHONE = 'zoom.phone'

/** Voicemail events carry flat caller/callee fields; the pipeline nests them like the other phone events. */
const FLAT_TO_NESTED: ReadonlyArray<readonly [string, string]> = [
  ['callee_user_id', 'callee.user_id'],
  ['callee_extension_type', 'callee.extension_type'],
  ['callee_id', 'callee.id'],
  ['callee_name', 'callee.name'],
  ['callee_number', 'callee.phone_number'],
  ['callee_number_type', 'callee.number_type'],
  ['caller_id', 'caller.id'],
  ['caller_name', 'caller.name'],
  ['caller_number', 'caller.phone_number'],
  ['caller_number_type', 'caller.number_type'],
]

function run(context: PipelineContext): void {
  const {doc, action} = context
  appendByRules(context, 'event.type', EVENT_TYPES)
  rename(doc, 'zoom.object', PHONE, {ignoreMissing: true})
  rename(doc, `${PHONE}.download_url`, 'url.full', {ignoreMissing: true})
  // The integration names these dates for @timestamp; its ISO_INSTANT format never parses (see document.ts).
  // (ringing_start_time, connected_start_time, answer_start_time, call_end_time, date_time): no @timestamp.

  convertToLong(doc, `${PHONE}.duration`)
  const ringing = getField(doc, `${PHONE}.ringing_start_time`)
  const answered = getField(doc, `${PHONE}.answer_start_time`)
  const ended = getField(doc, `${PHONE}.call_end_time`)
  const hasDuration = present(doc, `${PHONE}.duration`)
  const set = (value: unknown) => value !== undefined && value !== null
  if (set(ringing) && !set(answered) && set(ended) && !hasDuration) spanEvent(context, ringing, ended)
  if (!set(ringing) && set(answered) && set(ended) && !hasDuration) spanEvent(context, answered, ended)
  // The integration tests zoom.duration here (not zoom.phone.duration) and then multiplies the latter.
  if (present(doc, 'zoom.duration')) {
    const minutes = getField(doc, `${PHONE}.duration`)
    if (typeof minutes !== 'number') throw new ProcessorFailure('script', 'cannot multiply a missing zoom.phone.duration')
    setField(doc, 'event.duration', minutes * 60 * 1_000_000_000)
  }

  for (const [flat, nested] of FLAT_TO_NESTED) rename(doc, `${PHONE}.${flat}`, `${PHONE}.${nested}`, {ignoreMissing: true})
  appendFrom(doc, 'related.user', `${PHONE}.callee.user_id`, {allowDuplicates: false})
  appendFrom(doc, 'related.user', `${PHONE}.callee_user_id`, {allowDuplicates: false})
  appendFrom(doc, 'related.user', `${PHONE}.caller.user_id`, {allowDuplicates: false})
  if (action === 'phone.voicemail_received') removeField(doc, `${PHONE}.date_time`)
  setTemplate(doc, 'source.user.id', `{{{${PHONE}.caller.user_id}}}`, {ignoreEmpty: true})
  setTemplate(doc, 'destination.user.id', `{{{${PHONE}.callee.user_id}}}`, {ignoreEmpty: true})
}

function spanEvent(context: PipelineContext, start: unknown, end: unknown): void {
  setField(context.doc, 'event.start', start)
  setField(context.doc, 'event.end', end)
  setField(context.doc, 'event.duration', nanosBetween(start, end))
}

/** `convert` to long with ignore_failure: integral numbers and numeric text become numbers, the rest stays. */
function convertToLong(doc: PipelineContext['doc'], field: string): void {
  const value = getField(doc, field)
  if (typeof value === 'string' && /^[+-]?\d+$/.test(value.trim())) setField(doc, field, Number(value.trim()))
}

export const phonePipeline: CategoryPipeline = {prefix: 'phone', run}
