import {appendFrom, dateFromIsoInstant, dateFromUnixMs, present, removeField, rename} from '../document.js'
import {appendByRules, type CategoryPipeline, type PipelineContext, type ValueRules} from './shared.js'

const EVENT_TYPES: ValueRules = [
  ['info', 'always'],
  ['creation', ['chat_message.sent']],
  ['deletion', ['chat_message.deleted']],
  ['change', ['chat_message.updated']],
]

const MESSAGE = 'zoom.chat_message'

function run(context: PipelineContext): void {
  const {doc} = context
  appendByRules(context, 'event.type', EVENT_TYPES)
  rename(doc, 'zoom.object', MESSAGE, {ignoreMissing: true})
  // Not deduplicated: the operator may be the contact.
  if (present(doc, `${MESSAGE}.contact_id`)) appendFrom(doc, 'related.user', `${MESSAGE}.contact_id`)
  if (present(doc, `${MESSAGE}.timestamp`)) {
    dateFromUnixMs(doc, `${MESSAGE}.timestamp`)
    removeField(doc, `${MESSAGE}.date_time`)
  } else {
    dateFromIsoInstant(doc, `${MESSAGE}.date_time`)
  }
  removeField(doc, `${MESSAGE}.timestamp`)
  if (!present(doc, `${MESSAGE}.message`)) removeField(doc, `${MESSAGE}.message`)
}

export const chatMessagePipeline: CategoryPipeline = {prefix: 'chat_message', run}
