import type {EventSpec} from './catalog.js'
import {IdSource, type Person, type Scenario} from './scenario.js'

export interface ZoomEventBody {
  event: string
  event_ts: number
  payload: Record<string, unknown>
  [topLevel: string]: unknown
}

type Json = null | boolean | number | string | Json[] | {[key: string]: Json}
type JsonObject = {[key: string]: Json}

/** Payload keys always filled when the catalog lists them, optional or not: they carry the event's meaning. */
const MEANINGFUL_PAYLOAD_KEYS = new Set(['account_id', 'operator', 'operator_id', 'object', 'old_object', 'time_stamp', 'creation_type'])
/** Keys whose value is the newer one in `object` and the older one in `old_object` of *.updated events. */
const CHANGEABLE_KEYS = ['topic', 'first_name', 'account_name', 'personal_notes', 'conference_code', 'name', 'settings']

/**
 * Builds a realistic body for one event type: every key the catalog lists for it, with values that fit the
 * key's name and identities shared across the run's scenario. Pure: the time is passed in.
 */
export function buildEventBody(spec: EventSpec, scenario: Scenario, now: number): ZoomEventBody {
  const ids = new IdSource(scenario.random)
  const context: ValueContext = {spec, scenario, ids, now}
  const payload: JsonObject = {}
  for (const field of spec.payload_fields) {
    const optional = field.endsWith('?')
    const key = optional ? field.slice(0, -1) : field
    if (optional && !MEANINGFUL_PAYLOAD_KEYS.has(key)) continue
    payload[key] = payloadValue(key, context)
  }
  const body: ZoomEventBody = {event: spec.event, event_ts: now, payload}
  for (const key of spec.top_level_extra ?? []) {
    // user.settings_updated repeats operator fields at the top level in Zoom's schema only; keep them in payload.
    if (key === 'download_token') body.download_token = ids.zoomId(120)
  }
  return body
}

interface ValueContext {
  spec: EventSpec
  scenario: Scenario
  ids: IdSource
  now: number
}

function payloadValue(key: string, context: ValueContext): Json {
  const {spec, scenario, ids, now} = context
  const operatorPerson = actorOf(spec, scenario)
  switch (key) {
    case 'account_id':
      return scenario.accountId
    case 'operator':
      return operatorPerson.email
    case 'operator_id':
      return operatorPerson.id
    case 'object':
      return buildObject(spec.object_fields, context)
    case 'old_object':
      return buildOldObject(context)
    case 'time_stamp':
      return now
    case 'creation_type':
      return 'create'
    case 'plainToken':
      return ids.zoomId(22)
    case 'meeting_uuid':
      return scenario.meeting.uuid
    case 'webinar_uuid':
      return scenario.webinar.uuid
    case 'rtms_stream_id':
      return ids.zoomId(32).toLowerCase()
    case 'server_urls':
      return `wss://rtms.zoom.us/${ids.zoomId(16).toLowerCase()}`
    case 'stop_reason':
      return 1
    default:
      return leafValue(key, [], context)
  }
}

/** Who causes an event: an admin acts on users and accounts, the host on meetings and the rest. */
function actorOf(spec: EventSpec, scenario: Scenario): Person {
  return spec.category === 'user' || spec.category === 'account' ? scenario.admin : scenario.host
}

interface FieldTree {
  [key: string]: FieldTree
}

/** Turns ["a", "a.b", "c[]", "c[].d"] into a tree; an array key keeps its `[]`. */
function fieldTree(paths: readonly string[]): FieldTree {
  const root: FieldTree = {}
  for (const path of paths) {
    let node = root
    for (const segment of path.split('.')) node = node[segment] ??= {}
  }
  return root
}

function buildObject(paths: readonly string[], context: ValueContext): JsonObject {
  return fillTree(fieldTree(paths), [], context)
}

function fillTree(tree: FieldTree, parents: string[], context: ValueContext): JsonObject {
  const object: JsonObject = {}
  for (const [segment, children] of Object.entries(tree)) {
    const isArray = segment.endsWith('[]')
    const key = isArray ? segment.slice(0, -2) : segment
    const hasChildren = Object.keys(children).length > 0
    const path = [...parents, key]
    if (isArray) {
      object[key] = hasChildren ? [fillTree(children, path, context)] : [leafValue(key, parents, context)]
    } else {
      object[key] = hasChildren ? fillTree(children, path, context) : leafValue(key, parents, context)
    }
  }
  return object
}

function buildOldObject(context: ValueContext): JsonObject {
  const {spec, scenario} = context
  const listed = spec.old_object_fields ?? []
  const objectKeys = new Set(spec.object_fields.filter((path) => !path.includes('.')).map((path) => path.replace('[]', '')))
  const candidates = listed.includes('$changed_field_name') ? [...objectKeys] : listed
  const changed = CHANGEABLE_KEYS.find((key) => candidates.includes(key) && key !== 'settings') ?? candidates.find((key) => key !== 'id')
  const old: JsonObject = {}
  if (candidates.includes('id') || objectKeys.has('id')) old.id = leafValue('id', [], context)
  if (changed) {
    const current = leafValue(changed, [], context)
    old[changed] = typeof current === 'string' ? (PREVIOUS_VALUES[changed] ?? `previous ${changed.replace(/_/g, ' ')}`) : current
  }
  if (spec.category === 'user' && listed.includes('email')) old.email = `old.${scenario.subject.email}`
  return old
}

/** What an *.updated event's old_object says a changed key held before. */
const PREVIOUS_VALUES: Record<string, string> = {
  topic: 'Planning (draft)',
  first_name: 'Alex',
  account_name: 'Example Corp (old name)',
  personal_notes: 'Out of office',
  conference_code: '1234567',
  name: 'general',
}

/** The person a nested object speaks of: its parent key decides (participant, registrant, callee …). */
function personFor(parents: readonly string[], context: ValueContext): Person {
  const {scenario, spec} = context
  for (let i = parents.length - 1; i >= 0; i--) {
    const parent = parents[i]!
    if (/participant|members|member|invitee|sender|recipient|to_members/.test(parent)) return scenario.participant
    if (parent.includes('registrant')) return scenario.registrant
    if (parent.includes('callee') || parent === 'forwarded_to') return scenario.callee
    if (parent.includes('caller') || parent.includes('forwarded_by')) return scenario.caller
    if (parent === 'owner') return scenario.host
  }
  if (spec.category === 'user') return scenario.subject
  if (spec.category === 'phone') return scenario.callee
  return scenario.host
}

function isoSeconds(epochMs: number): string {
  return new Date(Math.floor(epochMs / 1000) * 1000).toISOString().replace('.000Z', 'Z')
}

const BOOLEAN_PREFIX = /^(is_|has_|use_|enable|allow_|block_|hide_|auto_start|auto_add|auto_delete)/
const BOOLEAN_KEYS = new Set([
  'in_meeting', 'in_session', 'on_prem', 'join_before_host', 'host_video', 'participant_video', 'panelists_video', 'mute_upon_entry',
  'waiting_room', 'deleted', 'edited', 'visible', 'practice_session', 'watermark', 'storage_exceed', 'enforce_login', 'e2e_encryption',
  'end_to_end', 'elevate_to_meeting', 'individual', 'satisfied', 'delete_all', 'move_to_trash', 'large_meeting', 'webinar',
  'continuous_meeting_chat', 'international_calling', 'outbound_calling', 'sms', 'call_park', 'ad_hoc_call_recording', 'shared_line',
  'provision', 'chat', 'enable',
])
const STRING_VALUES: Record<string, string> = {
  timezone: 'America/Los_Angeles',
  status: 'active',
  file_type: 'MP4',
  file_extension: 'MP4',
  recording_type: 'shared_screen_with_speaker_view',
  direction: 'inbound',
  connection_type: 'voip',
  extension_type: 'user',
  call_type: 'voip',
  number_type: 'internal',
  device_type: 'Windows',
  os: 'Windows 11',
  version: '6.3.0',
  country: 'US',
  country_iso_code: 'US',
  country_code: '1',
  city: 'San Jose',
  state: 'CA',
  state_code: 'CA',
  zip: '95113',
  address: '55 Almaden Blvd',
  address_line1: '55 Almaden Blvd',
  address_line2: 'Suite 600',
  issue: 'Unstable audio quality',
  issues: 'Unstable audio quality',
  presence_status: 'Available',
  language: 'en-US',
  role: 'Member',
  dept: 'Engineering',
  department: 'Engineering',
  company: 'Example Corp',
  org: 'Example Corp',
  industry: 'Software',
  job_title: 'Engineer',
  title: 'How did you hear about us?',
  value: 'A colleague',
  content: 'application',
  source: 'in_meeting',
  link_source: 'google_drive',
  message: 'Hello from zoomctl',
  message_content: 'Hello from zoomctl',
  comments: 'Looking forward to it',
  agenda: 'Status, risks, next steps',
  personal_notes: 'In meetings until noon',
  result: 'success',
  leave_reason: 'left the meeting',
  login_type: '100',
  client_type: 'mac',
  purchasing_time_frame: 'Within a month',
  role_in_purchase_process: 'Influencer',
  no_of_employees: '51-100',
  approval_type: 'automatic',
  auto_recording: 'cloud',
  summary_title: 'Meeting summary',
  summary_overview: 'The team agreed on the plan.',
  next_steps: 'Ship it',
  storage_location: 'US',
  device_name: 'Desktop-7F3K',
  customer_key: 'crm-000142',
  sip_domain: 'sip.example.com',
  plan_type: 'business',
  mac_address: '00:00:5e:00:53:01',
  calendar_type: 'google',
  alias: 'example',
  account_alias: 'example',
  vanity_name: 'example',
  phone_country: 'US',
  presence: 'Available',
  operation: 'change_password',
}
const SMALL_NUMBERS: Record<string, number> = {
  type: 2,
  duration: 60,
  alert_kind: 1,
  alert_type: 1,
  component: 1,
  recording_count: 2,
  registration_type: 1,
  repeat_interval: 1,
  stop_reason: 1,
  capacity: 100,
  meeting_capacity: 300,
  webinar_capacity: 500,
  large_meeting_capacity: 500,
  camera_status: 1,
  microphone_status: 1,
  speaker_status: 1,
}

/** A value for one key, chosen by its name and, for people, by the object it sits in. */
function leafValue(key: string, parents: readonly string[], context: ValueContext): Json {
  const {spec, scenario, ids, now} = context
  const who = personFor(parents, context)
  const inPerson = parents.length > 0 && personFor(parents, context) !== personFor([], context)
  const category = spec.category
  const meetingLike = category === 'webinar' ? scenario.webinar : scenario.meeting
  const fullName = `${who.firstName} ${who.lastName}`

  switch (key) {
    case 'id':
      if (inPerson) return who.id
      if (parents.some((parent) => parent.includes('file'))) return ids.uuid().toLowerCase()
      if (parents.length > 0) return ids.zoomId()
      return rootObjectId(context)
    case 'uuid':
      return meetingLike.uuid
    case 'host_id':
    case 'meeting_host_id':
    case 'owner_id':
    case 'file_owner_id':
      return scenario.host.id
    case 'host_email':
    case 'meeting_host_email':
    case 'owner_email':
      return scenario.host.email
    case 'account_id':
    case 'host_account_id':
      return scenario.accountId
    case 'user_id':
    case 'bind_user_id':
      return category === 'meeting' || category === 'webinar' ? who.numericId : who.id
    case 'participant_user_id':
      return scenario.participant.id
    case 'participant_uuid':
    case 'bind_participant_uuid':
      return scenario.participant.participantUuid
    case 'registrant_id':
      return scenario.registrant.id
    case 'caller_user_id':
      return scenario.caller.id
    case 'callee_user_id':
    case 'callee_id':
      return scenario.callee.id
    case 'caller_id':
      return scenario.caller.id
    case 'first_name':
      return who.firstName
    case 'last_name':
      return who.lastName
    case 'user_name':
    case 'display_name':
    case 'name':
    case 'invitee_name':
    case 'sender_name':
    case 'recipient_name':
    case 'operator_name':
      if (key === 'name' && !inPerson && category === 'chat_channel') return scenario.channel.name
      if (key === 'name' && !inPerson && category === 'zoomroom') return scenario.room.name
      return fullName
    case 'caller_name':
      return `${scenario.caller.firstName} ${scenario.caller.lastName}`
    case 'callee_name':
      return `${scenario.callee.firstName} ${scenario.callee.lastName}`
    case 'inviter_name':
      return `${scenario.host.firstName} ${scenario.host.lastName}`
    case 'topic':
    case 'meeting_topic':
      return meetingLike.topic
    case 'room_name':
    case 'calendar_name':
      return scenario.room.name
    case 'room_id':
      return scenario.room.id
    case 'channel_id':
      return scenario.channel.id
    case 'channel_name':
      return scenario.channel.name
    case 'contact_id':
      return scenario.participant.id
    case 'contact_email':
      return scenario.participant.email
    case 'meeting_id':
      return parents.some((parent) => parent.includes('file')) ? scenario.meeting.uuid : String(scenario.meeting.id)
    case 'meeting_uuid':
      return scenario.meeting.uuid
    case 'webinar_id':
      return String(scenario.webinar.id)
    case 'webinar_uuid':
      return scenario.webinar.uuid
    case 'call_id':
      return scenario.callId
    case 'timestamp':
    case 'time_stamp':
      return now
    case 'password':
    case 'passcode':
    case 'recording_play_passcode':
      return meetingLike.password
    case 'leader_pin':
    case 'participant_pin_code':
    case 'host_key':
      return ids.digits(6)
    case 'pmi':
      return Number(ids.digits(10))
    case 'file_name':
      return `GMT${isoSeconds(scenario.startedAt).replace(/[-:]/g, '').replace('T', '-').replace('Z', '')}_Recording.mp4`
    case 'download_url':
    case 'play_url':
    case 'share_url':
    case 'file_link':
    case 'transcript_download_url':
      return `https://example.zoom.us/rec/${key.startsWith('download') ? 'download' : 'share'}/${ids.zoomId(32)}`
    case 'join_url':
      return `https://example.zoom.us/j/${meetingLike.id}?pwd=${ids.zoomId(32)}`
    case 'occurrence_id':
      return String(scenario.startedAt)
    case 'extension_number':
    case 'caller_ext_number':
    case 'callee_ext_number':
    case 'operator_ext_number':
      return who.extension
    case 'phone_number':
    case 'phone':
    case 'number':
      return who.phone
    case 'caller_number':
    case 'caller_did_number':
      return scenario.caller.phone
    case 'callee_number':
    case 'callee_did_number':
    case 'consumer_phone_number':
    case 'transfer_phone_number':
    case 'zoom_phone_user_number':
      return scenario.callee.phone
  }

  if (key === 'email' || key.endsWith('_email')) {
    if (key.startsWith('caller')) return scenario.caller.email
    if (key.startsWith('callee')) return scenario.callee.email
    return who.email
  }
  if (key in SMALL_NUMBERS) return SMALL_NUMBERS[key]!
  if (key in STRING_VALUES) return STRING_VALUES[key]!
  if (/(^|_)(ip|public_ip|private_ip|device_ip)$/.test(key)) return `203.0.113.${ids.int(1, 254)}`
  if (/_(time|date_time|date)$/.test(key) || key === 'date_time') {
    if (/^(talk|hold|wait|waiting)_time$/.test(key)) return ids.int(5, 300)
    return isoSeconds(/end|leave|complete/.test(key) ? now : key.startsWith('start') || key.includes('meeting_start') ? scenario.startedAt : now)
  }
  if (/(^|_)(size|count|duration|duration_in_second|storage_used|free_storage|plan_storage)$/.test(key)) return ids.int(1_000, 500_000)
  if (BOOLEAN_PREFIX.test(key) || BOOLEAN_KEYS.has(key)) return !key.startsWith('is_')
  if (key.endsWith('_url') || key === 'url' || key === 'page_url') return `https://example.zoom.us/${key.replace(/_url$/, '').replace(/_/g, '-')}/${ids.zoomId(12)}`
  if (key.endsWith('_id') || key.endsWith('_ids')) return key.endsWith('_ids') ? [ids.zoomId()] : ids.zoomId()
  if (key.endsWith('_type') || key.endsWith('_kind')) return 1
  return key.replace(/_/g, ' ')
}

/** payload.object.id: what the object is (meeting, user, channel …), typed as the catalog says. */
function rootObjectId(context: ValueContext): Json {
  const {spec, scenario, ids} = context
  const typed = (id: number): Json => (spec.object_id_type === 'string' ? String(id) : id)
  switch (spec.category) {
    case 'meeting':
    case 'recording':
      return typed(scenario.meeting.id)
    case 'webinar':
      return typed(scenario.webinar.id)
    case 'user':
      return scenario.subject.id
    case 'account':
      return scenario.subAccountId
    case 'chat_channel':
      return scenario.channel.id
    case 'zoomroom':
      return scenario.room.id
    default:
      return ids.uuid().toLowerCase()
  }
}
