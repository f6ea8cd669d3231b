import {rename} from '../document.js'
import {appendByRules, type CategoryPipeline, type PipelineContext, type ValueRules} from './shared.js'

// zoomroom.alert and zoomroom.delayed_alert get no event.type at all.
const EVENT_TYPES: ValueRules = [
  ['info', ['zoomroom.checked_in', 'zoomroom.checked_out']],
  ['start', ['zoomroom.checked_in']],
  ['end', ['zoomroom.checked_out']],
]

function run(context: PipelineContext): void {
  appendByRules(context, 'event.type', EVENT_TYPES)
  rename(context.doc, 'zoom.object', 'zoom.zoomroom', {ignoreMissing: true})
}

export const zoomroomPipeline: CategoryPipeline = {prefix: 'zoomroom', run}
