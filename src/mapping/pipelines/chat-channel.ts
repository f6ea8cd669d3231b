import {append, dateFromIsoInstant, dateFromUnixMs, getField, isObject, present, removeField, rename, renderValue} from '../document.js'
import {appendByRules, type CategoryPipeline, type PipelineContext, type ValueRules} from './shared.js'

const EVENT_TYPES: ValueRules = [
  ['user', ['chat_channel.member_invited', 'chat_channel.member_joined', 'chat_channel.member_left']],
  ['creation', ['chat_channel.created']],
  ['deletion', ['chat_channel.deleted']],
  ['change', ['chat_channel.updated']],
]

const CHANNEL = 'zoom.chat_channel'

function run(context: PipelineContext): void {
  const {doc} = context
  appendByRules(context, 'event.type', EVENT_TYPES)
  rename(doc, 'zoom.object', CHANNEL, {ignoreMissing: true})
  const hasTimestamp = present(doc, `${CHANNEL}.timestamp`)
  if (hasTimestamp) {
    dateFromUnixMs(doc, `${CHANNEL}.timestamp`)
    removeField(doc, `${CHANNEL}.date_time`)
  } else if (present(doc, `${CHANNEL}.date_time`)) {
    dateFromIsoInstant(doc, `${CHANNEL}.date_time`)
  }
  if (hasTimestamp) removeField(doc, `${CHANNEL}.timestamp`)
  // Each member's display name and id go to related.user; the members list itself is dropped.
  const members = getField(doc, `${CHANNEL}.members`)
  if (Array.isArray(members)) {
    for (const member of members) {
      const fields = isObject(member) ? member : {}
      append(doc, 'related.user', [renderValue(fields.display_name), renderValue(fields.id)], {allowDuplicates: false})
    }
  }
  removeField(doc, `${CHANNEL}.members`)
}

export const chatChannelPipeline: CategoryPipeline = {prefix: 'chat_channel', run}
