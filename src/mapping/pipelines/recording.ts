import {append, dateFromIsoInstant, dateFromUnixMs, getField, nanosBetween, present, removeField, rename, setField, setTemplate, template} from '../document.js'
import {appendByRules, type CategoryPipeline, type PipelineContext, type ValueRules} from './shared.js'

const EVENT_TYPES: ValueRules = [
  ['info', 'always'],
  ['creation', ['recording.registration_created']],
  ['allowed', ['recording.registration_approved']],
  ['denied', ['recording.registration_denied']],
  ['deletion', ['recording.deleted', 'recording.trashed']],
  ['change', ['recording.paused', 'recording.resumed', 'recording.renamed', 'recording.recovered']],
  ['start', ['recording.started']],
  ['end', ['recording.stopped', 'recording.completed', 'recording.transcript_completed']],
]

const FILE = 'zoom.recording.recording_file'

function run(context: PipelineContext): void {
  const {doc, action} = context
  appendByRules(context, 'event.type', EVENT_TYPES)
  rename(doc, 'zoom.object', 'zoom.recording', {ignoreMissing: true})
  rename(doc, 'zoom.recording.share_url', 'url.full', {ignoreMissing: true})
  if (action === 'recording.renamed') dateFromUnixMs(doc, 'zoom.time_stamp')
  for (const edge of ['recording_start', 'recording_end']) {
    if (getField(doc, `${FILE}.${edge}`) === '') removeField(doc, `${FILE}.${edge}`)
  }
  // event.start/end keep the text as Zoom sent it; only the duration parses it.
  if (action === 'recording.started') setTemplate(doc, 'event.start', `{{{${FILE}.recording_start}}}`, {ignoreEmpty: true})
  if (action === 'recording.stopped') setTemplate(doc, 'event.end', `{{{${FILE}.recording_end}}}`, {ignoreEmpty: true})
  if (action === 'recording.stopped' && present(doc, 'event.end') && present(doc, 'event.start')) {
    setField(doc, 'event.duration', nanosBetween(getField(doc, 'event.start'), getField(doc, 'event.end')))
  }
  if (action === 'recording.started') dateFromIsoInstant(doc, `${FILE}.recording_start`)
  // Unlike the other pipelines, recording appends host and registrant even when already listed.
  if (present(doc, 'zoom.recording.host_id')) append(doc, 'related.user', template(doc, '{{{zoom.recording.host_id}}}'))
  if (present(doc, 'zoom.registrant.id')) append(doc, 'related.user', template(doc, '{{{zoom.registrant.id}}}'))
  if (action === 'recording.renamed') removeField(doc, 'zoom.time_stamp')
  const registrant = present(doc, 'zoom.registrant')
  if (!present(doc, 'user.id') && registrant) {
    setTemplate(doc, 'user.email', '{{{zoom.registrant.email}}}', {ignoreEmpty: true})
    setTemplate(doc, 'user.full_name', '{{{zoom.registrant.first_name}}} {{{zoom.registrant.last_name}}}', {ignoreEmpty: true})
    setTemplate(doc, 'user.id', '{{{zoom.registrant.id}}}', {ignoreEmpty: true})
  }
  if (!registrant) setTemplate(doc, 'user.id', '{{{zoom.recording.host_id}}}', {ignoreEmpty: true})
}

export const recordingPipeline: CategoryPipeline = {prefix: 'recording', run}
