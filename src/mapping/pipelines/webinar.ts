import {appendFrom, dateFromIsoInstant, dateFromUnixMs, present, rename, setTemplate} from '../document.js'
import {participantEmail, participantRelatedIds, participantSourceIp} from './meeting-like.js'
import {appendByRules, type CategoryPipeline, type PipelineContext, type ValueRules} from './shared.js'

const EVENT_TYPES: ValueRules = [
  ['info', {allBut: ['webinar.alert']}],
  ['error', ['webinar.alert']],
  ['creation', ['webinar.created', 'webinar.registration_created']],
  ['deletion', ['webinar.deleted']],
  ['allowed', ['webinar.registration_approved']],
  ['denied', ['webinar.registration_denied']],
  ['change', ['webinar.updated', 'webinar.registration_approved', 'webinar.registration_denied', 'webinar.registration_cancelled']],
  ['start', ['webinar.started', 'webinar.sharing_started']],
  ['end', ['webinar.ended', 'webinar.sharing_ended']],
]

function run(context: PipelineContext): void {
  const {doc, action} = context
  appendByRules(context, 'event.type', EVENT_TYPES)
  rename(doc, 'zoom.object', 'zoom.webinar', {ignoreMissing: true})
  if (action === 'webinar.updated') dateFromUnixMs(doc, 'zoom.time_stamp')
  // Unlike meeting, webinar keeps these source fields.
  if (action === 'webinar.started') dateFromIsoInstant(doc, 'zoom.webinar.start_time')
  if (action === 'webinar.participant_joined') dateFromIsoInstant(doc, 'zoom.participant.join_time')
  if (action === 'webinar.participant_left') dateFromIsoInstant(doc, 'zoom.participant.leave_time')

  // user.* from the participant, else the registrant, else the operator.
  const participant = present(doc, 'zoom.participant')
  const registrant = present(doc, 'zoom.registrant')
  if (participant) {
    setTemplate(doc, 'user.id', '{{{zoom.participant.id}}}', {ignoreEmpty: true})
    setTemplate(doc, 'user.full_name', '{{{zoom.participant.user_name}}}', {ignoreEmpty: true})
  }
  participantEmail(context)
  if (registrant) {
    setTemplate(doc, 'user.id', '{{{zoom.registrant.id}}}', {ignoreEmpty: true})
    setTemplate(doc, 'user.email', '{{{zoom.registrant.email}}}', {ignoreEmpty: true})
    setTemplate(doc, 'user.full_name', '{{{zoom.registrant.first_name}}} {{{zoom.registrant.last_name}}}', {ignoreEmpty: true})
  }
  if (!registrant && !participant) {
    setTemplate(doc, 'user.id', '{{{zoom.operator_id}}}', {ignoreEmpty: true})
    setTemplate(doc, 'user.email', '{{{zoom.operator}}}', {ignoreEmpty: true})
  }

  appendFrom(doc, 'related.user', 'zoom.webinar.host_id', {allowDuplicates: false})
  appendFrom(doc, 'related.user', 'zoom.registrant.id', {allowDuplicates: false})
  appendFrom(doc, 'related.user', 'zoom.participant.id', {allowDuplicates: false})
  participantRelatedIds(context)
  participantSourceIp(context)
}

export const webinarPipeline: CategoryPipeline = {prefix: 'webinar', run}
