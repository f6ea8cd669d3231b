import {appendFrom, dateFromUnixMs, getField, present, removeField, rename, setTemplate} from '../document.js'
import {appendByRules, type CategoryPipeline, type PipelineContext, type ValueRules} from './shared.js'

const EVENT_CATEGORIES: ValueRules = [
  ['iam', 'always'],
  ['configuration', ['account.settings_updated']],
]

const EVENT_TYPES: ValueRules = [
  ['user', 'always'],
  ['creation', ['account.created']],
  ['change', ['account.updated', 'account.settings_updated', 'account.disassociated']],
]

/** old_values key → user.target/user.changes key: the account's owner fields. */
const ACCOUNT_FIELDS = [
  ['id', 'id'],
  ['account_email', 'email'],
  ['account_name', 'full_name'],
  ['account_alias', 'name'],
] as const

function run(context: PipelineContext): void {
  const {doc} = context
  appendByRules(context, 'event.category', EVENT_CATEGORIES)
  appendByRules(context, 'event.type', EVENT_TYPES)
  rename(doc, 'zoom.account_id', 'zoom.master_account_id', {ignoreMissing: true})
  rename(doc, 'zoom.object.id', 'zoom.sub_account_id', {ignoreMissing: true})
  if (present(doc, 'zoom.time_stamp')) dateFromUnixMs(doc, 'zoom.time_stamp')
  rename(doc, 'zoom.object', 'zoom.account', {ignoreMissing: true})

  setTemplate(doc, 'user.target.id', '{{{zoom.account.owner_id}}}', {ignoreEmpty: true})
  setTemplate(doc, 'user.target.email', '{{{zoom.account.owner_email}}}', {ignoreEmpty: true})
  for (const [key, target] of ACCOUNT_FIELDS) {
    if (present(doc, `zoom.old_values.${key}`)) setTemplate(doc, `user.target.${target}`, `{{{zoom.old_values.${key}}}}`)
  }
  for (const [key, target] of ACCOUNT_FIELDS) {
    const current = getField(doc, `zoom.account.${key}`)
    if (current !== undefined && current !== null && getField(doc, `zoom.old_values.${key}`) !== current) {
      setTemplate(doc, `user.changes.${target}`, `{{{zoom.account.${key}}}}`)
    }
  }

  appendFrom(doc, 'related.user', 'zoom.account.owner_id', {allowDuplicates: false})
  appendFrom(doc, 'related.user', 'user.target.id', {allowDuplicates: false})
  appendFrom(doc, 'related.user', 'user.changes.id', {allowDuplicates: false})
  removeField(doc, 'zoom.time_stamp')
}

export const accountPipeline: CategoryPipeline = {prefix: 'account', run}
