import {append, appendFrom, copyField, dateFromIsoInstant, dateFromUnixMs, getField, present, removeFields, rename, setTemplate, template} from '../document.js'
import {appendByRules, type CategoryPipeline, type PipelineContext, since, type ValueRules} from './shared.js'

const SIGN_IN_OUT = ['user.signed_in', 'user.signed_out']

const EVENT_CATEGORIES: ValueRules = [
  ['configuration', ['user.settings_updated']],
  ['iam', {allBut: SIGN_IN_OUT}],
  ['authentication', SIGN_IN_OUT],
]

const EVENT_TYPES: ValueRules = [
  ['creation', ['user.created']],
  ['deletion', ['user.deleted']],
  [
    'change',
    ['user.updated', 'user.settings_updated', 'user.deactivated', 'user.activated', 'user.disassociated', 'user.presence_status_updated', 'user.personal_notes_updated'],
  ],
  ['start', ['user.signed_in']],
  ['end', ['user.signed_out']],
]

const FULL_NAME = '{{{zoom.user.first_name}}} {{{zoom.user.last_name}}}'

function run(context: PipelineContext): void {
  const {doc, action} = context
  appendByRules(context, 'event.category', EVENT_CATEGORIES)
  appendByRules(context, 'event.type', EVENT_TYPES)
  rename(doc, 'zoom.object', 'zoom.user', {ignoreMissing: true})
  if (['user.updated', 'user.settings_updated'].includes(action)) dateFromUnixMs(doc, 'zoom.time_stamp')
  if ([...SIGN_IN_OUT, 'user.personal_notes_updated', 'user.presence_status_updated'].includes(action)) dateFromIsoInstant(doc, 'zoom.user.date_time')
  // This first append allows duplicates (the operator may be the user); the later ones do not.
  if (present(doc, 'zoom.user.id')) append(doc, 'related.user', template(doc, '{{{zoom.user.id}}}'))
  removeFields(doc, 'zoom.time_stamp', 'zoom.user.date_time')

  // user.* from the operator.
  setTemplate(doc, 'user.id', '{{{zoom.operator_id}}}', {ignoreEmpty: true})
  if (since(context, 'userEmailNeedsAt')) {
    const operator = getField(doc, 'zoom.operator')
    if (typeof operator === 'string' && operator.includes('@')) setTemplate(doc, 'user.email', '{{{zoom.operator}}}', {ignoreEmpty: true})
    copyField(doc, 'user.email', 'zoom.user.email', {ignoreEmpty: true, override: false})
  } else {
    setTemplate(doc, 'user.email', '{{{zoom.operator}}}', {ignoreEmpty: true})
  }

  // user.* from the user object when there is no operator.
  const noOperator = !present(doc, 'zoom.operator') && !present(doc, 'zoom.operator_id')
  if (noOperator) {
    setTemplate(doc, 'user.id', '{{{zoom.user.id}}}', {ignoreEmpty: true})
    setTemplate(doc, 'user.email', '{{{zoom.user.email}}}', {ignoreEmpty: true})
    if (present(doc, 'zoom.user.first_name')) setTemplate(doc, 'user.full_name', FULL_NAME, {ignoreEmpty: true})
  }

  // user.target.* from old_values, then from the user object without overriding.
  setTemplate(doc, 'user.target.id', '{{{zoom.old_values.id}}}', {ignoreEmpty: true})
  setTemplate(doc, 'user.target.email', '{{{zoom.old_values.email}}}', {ignoreEmpty: true})
  if (present(doc, 'zoom.old_values.first_name')) {
    setTemplate(doc, 'user.target.full_name', '{{{zoom.old_values.first_name}}} {{{zoom.old_values.last_name}}}')
  }
  const hasOldValues = present(doc, 'zoom.old_values')
  if (hasOldValues || !noOperator) {
    setTemplate(doc, 'user.target.id', '{{{zoom.user.id}}}', {ignoreEmpty: true, override: false})
    setTemplate(doc, 'user.target.email', '{{{zoom.user.email}}}', {ignoreEmpty: true, override: false})
    if (present(doc, 'zoom.user.first_name')) setTemplate(doc, 'user.target.full_name', FULL_NAME, {override: false})
  }

  // user.changes.* where the user object differs from old_values.
  const old = (key: string) => getField(doc, `zoom.old_values.${key}`)
  const now = (key: string) => getField(doc, `zoom.user.${key}`)
  if (present(doc, 'zoom.old_values.id') && old('id') !== now('id')) setTemplate(doc, 'user.changes.id', '{{{zoom.user.id}}}', {ignoreEmpty: true})
  if (present(doc, 'zoom.old_values.email') && old('email') !== now('email')) {
    setTemplate(doc, 'user.changes.email', '{{{zoom.user.email}}}', {ignoreEmpty: true})
  }
  if (
    present(doc, 'zoom.old_values.first_name') &&
    present(doc, 'zoom.old_values.last_name') &&
    (old('last_name') !== now('last_name') || old('first_name') !== now('first_name'))
  ) {
    setTemplate(doc, 'user.changes.full_name', FULL_NAME, {ignoreEmpty: true})
  }

  appendFrom(doc, 'related.user', 'zoom.user.id', {allowDuplicates: false})
  appendFrom(doc, 'related.user', 'zoom.old_values.id', {allowDuplicates: false})
}

export const userPipeline: CategoryPipeline = {prefix: 'user', run}
