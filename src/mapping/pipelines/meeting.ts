import {appendFrom, dateFromIsoInstant, getField, ProcessorFailure, present, removeField, removeFields, rename, setField, setTemplate} from '../document.js'
import {participantEmail, participantRelatedIds, participantSourceIp} from './meeting-like.js'
import {appendByRules, type CategoryPipeline, type PipelineContext, type ValueRules} from './shared.js'

const EVENT_TYPES: ValueRules = [
  ['info', {allBut: ['meeting.alert']}],
  ['error', ['meeting.alert']],
  ['allowed', ['meeting.registration_approved']],
  ['creation', ['meeting.registration_created', 'meeting.created']],
  ['deletion', ['meeting.deleted']],
  ['change', ['meeting.updated']],
  ['start', ['meeting.started', 'meeting.sharing_started']],
  ['end', ['meeting.ended', 'meeting.sharing_ended']],
]

const WAITING_ROOM = ['meeting.participant_put_in_waiting_room', 'meeting.participant_joined_waiting_room', 'meeting.participant_left_waiting_room']

/** Date fields the pipeline means to turn into @timestamp/event.start, and removes afterwards for these actions. */
const CONSUMED_DATES: ReadonlyArray<readonly [field: string, actions: readonly string[]]> = [
  ['zoom.meeting.start_time', ['meeting.started']],
  ['zoom.participant.sharing_details.date_time', ['meeting.sharing_started']],
  ['zoom.participant.date_time', WAITING_ROOM],
  ['zoom.participant.join_time', ['meeting.participant_joined']],
  ['zoom.participant.leave_time', ['meeting.participant_left']],
  ['zoom.time_stamp', ['meeting.updated']],
]

function run(context: PipelineContext): void {
  const {doc, action} = context
  appendByRules(context, 'event.type', EVENT_TYPES)
  rename(doc, 'zoom.object', 'zoom.meeting', {ignoreMissing: true})
  rename(doc, 'zoom.meeting.join_url', 'url.full', {ignoreMissing: true})
  if (!present(doc, 'url.full')) rename(doc, 'zoom.registrant.join_url', 'url.full', {ignoreMissing: true})

  // A participant, when there is one, is the user of the event, not the operator.
  if (present(doc, 'zoom.participant')) removeField(doc, 'user')
  setTemplate(doc, 'user.id', '{{{zoom.participant.id}}}', {ignoreEmpty: true})
  setTemplate(doc, 'user.full_name', '{{{zoom.participant.user_name}}}', {ignoreEmpty: true})
  participantEmail(context)
  setTemplate(doc, 'user.id', '{{{zoom.meeting.host_id}}}', {ignoreEmpty: true, override: false})

  appendFrom(doc, 'related.user', 'zoom.participant.id', {allowDuplicates: false})
  participantRelatedIds(context)
  appendFrom(doc, 'related.user', 'zoom.meeting.host_id', {allowDuplicates: false})
  participantSourceIp(context)

  for (const [field, actions] of CONSUMED_DATES) if (actions.includes(action)) dateFromIsoInstant(doc, field)

  const duration = getField(doc, 'zoom.meeting.duration')
  if (duration !== undefined && duration !== null) {
    if (typeof duration !== 'number') throw new ProcessorFailure('script', `cannot multiply ${typeof duration} duration by a long`)
    setField(doc, 'event.duration', duration * 60 * 1_000_000_000)
  }
  for (const [field, actions] of CONSUMED_DATES) if (actions.includes(action)) removeFields(doc, field)
  if (present(doc, 'event.duration')) removeField(doc, 'zoom.meeting.duration')
}

export const meetingPipeline: CategoryPipeline = {prefix: 'meeting', run}
