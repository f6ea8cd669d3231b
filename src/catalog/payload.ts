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
  return buildBody(valueContext(spec, scenario, new IdSource(scenario.random), now))
}

/**
 * The same bodies as buildEventBody, as compact JSON text, made fast enough for a burst: the entry is
 * compiled once into JSON text with holes where a value reads the clock or the run's random stream, and
 * each body fills only those. Holes are filled in the order buildEventBody makes their values (the order
 * it draws from the stream in), so a seed gives byte for byte the text of JSON.stringify(buildEventBody(…))
 * (tested on every entry of the catalog).
 */
export function eventBodyWriter(spec: EventSpec, scenario: Scenario): (now: number) => string {
  const probe: Probe = {touched: false, holes: []}
  // The compiling pass's values of holes are thrown away: its stream is not the run's, and never advances it.
  const compiling = valueContext(spec, scenario, new IdSource(() => ((probe.touched = true), 0)), scenario.startedAt)
  const readsClock = {get: () => ((probe.touched = true), scenario.startedAt)}
  Object.defineProperty(compiling, 'now', readsClock)
  // Leaves read the clock through their own context (see leafValue): it gets the same getter.
  compiling.leaf = Object.defineProperty({...compiling, key: '', parents: [], who: compiling.main, inPerson: false}, 'now', readsClock)
  compiling.probe = probe
  const marked = JSON.stringify(buildBody(compiling), (_key, value: unknown) => (value instanceof Hole ? `\u0000${value.index}\u0000` : value))
  // Scenario and catalog strings hold no NUL, so a marker cannot be met anywhere else in the text.
  const parts = marked.split(/"\\u0000(\d+)\\u0000"/)
  const pieces = parts.filter((_, i) => i % 2 === 0)
  const holeAt = parts.filter((_, i) => i % 2 === 1).map(Number)
  const holes = probe.holes
  const live = valueContext(spec, scenario, new IdSource(scenario.random), 0)
  const values: string[] = []
  return (now) => {
    live.now = now
    if (live.leaf) live.leaf.now = now
    // Filled in the order they were made (the stream's order), written in the document's.
    for (let i = 0; i < holes.length; i++) values[i] = JSON.stringify(holes[i]!(live))
    let text = pieces[0]!
    for (let i = 0; i < holeAt.length; i++) text += values[holeAt[i]!]! + pieces[i + 1]!
    return text
  }
}

function valueContext(spec: EventSpec, scenario: Scenario, ids: IdSource, now: number): ValueContext {
  const base = {spec, scenario, ids, now}
  return {...base, main: personFor([], base), meetingLike: spec.category === 'webinar' ? scenario.webinar : scenario.meeting}
}

function buildBody(context: ValueContext): ZoomEventBody {
  const {spec} = context
  const payload: JsonObject = {}
  for (const field of fieldsOf(spec).payload) {
    const optional = field.endsWith('?')
    const key = optional ? field.slice(0, -1) : field
    if (optional && !MEANINGFUL_PAYLOAD_KEYS.has(key)) continue
    // The object is filled key by key (each of its leaves a value of its own); any other key is one value.
    payload[key] = key === 'object' ? buildObject(fieldsOf(spec).object, context) : bodyValue(context, (c) => payloadValue(key, c))
  }
  const body: ZoomEventBody = {event: spec.event, event_ts: bodyValue(context, (c) => c.now) as number, payload}
  for (const key of spec.top_level_extra ?? []) {
    // user.settings_updated repeats operator fields at the top level in Zoom's schema only; keep them in payload.
    if (key === 'download_token') body.download_token = bodyValue(context, (c) => c.ids.zoomId(120))
  }
  return body
}

/** While a body writer is compiled: whether the value being made read the clock or the random stream, and the holes so far. */
interface Probe {
  touched: boolean
  holes: Array<(context: ValueContext) => Json>
}

/** Where a body's JSON text has a hole: the index of the value that fills it. */
class Hole {
  constructor(readonly index: number) {}
}

/**
 * One value of a body. Building a body, it is made at once; compiling a writer, a value that reads the
 * clock or the random stream becomes a hole to fill for each body, and any other value is part of the text.
 */
function bodyValue(context: ValueContext, produce: (context: ValueContext) => Json): Json {
  const probe = context.probe
  if (!probe) return produce(context)
  // A value is one hole as a whole (old_object, say): nothing inside it is probed on its own.
  context.probe = undefined
  probe.touched = false
  const value = produce(context)
  context.probe = probe
  if (!probe.touched) return value
  probe.holes.push(produce)
  return new Hole(probe.holes.length - 1) as unknown as Json
}

interface ValueContext {
  spec: EventSpec
  scenario: Scenario
  ids: IdSource
  now: number
  /** The event's main person, and its meeting or webinar: the same for every leaf of a body. */
  main: Person
  meetingLike: Scenario['meeting']
  /** Reused for every leaf of this body (see leafValue). */
  leaf?: LeafContext
  /** Set while a body writer is compiled. */
  probe?: Probe
}

function payloadValue(key: string, context: ValueContext): Json {
  // `now` is read where it is used, never ahead: a body writer tells the values that read the clock.
  const {spec, scenario, ids} = context
  const operatorPerson = actorOf(spec, scenario)
  switch (key) {
    case 'account_id':
      return scenario.accountId
    case 'operator':
      return operatorPerson.email
    case 'operator_id':
      return operatorPerson.id
    case 'object':
      return buildObject(fieldsOf(spec).object, context)
    case 'old_object':
      return buildOldObject(context)
    case 'time_stamp':
      return context.now
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

/** Zoom's documented keys and those real deliveries were seen to carry (observed), once per entry. */
const combined = new WeakMap<EventSpec, {payload: string[]; object: string[]}>()
function fieldsOf(spec: EventSpec): {payload: string[]; object: string[]} {
  let fields = combined.get(spec)
  if (!fields) {
    const union = (a: string[], b: string[] = []) => [...a, ...b.filter((key) => !a.includes(key) && !a.includes(`${key}?`))]
    fields = {payload: union(spec.payload_fields, spec.observed?.payload_fields), object: union(spec.object_fields, spec.observed?.object_fields)}
    combined.set(spec, fields)
  }
  return fields
}

/**
 * A catalog entry's key lists never change: each is compiled once into the keys of every object, whether
 * each is an array, and the parent path of its children, so that filling a body only fills it.
 */
interface CompiledKey {
  key: string
  isArray: boolean
  /** The keys of the object under this key; absent for a leaf. */
  children?: CompiledObject
}

interface CompiledObject {
  /** The keys above this object (payload.object.participant → ["participant"]). */
  parents: string[]
  keys: CompiledKey[]
}

function compile(tree: FieldTree, parents: string[]): CompiledObject {
  return {
    parents,
    keys: Object.entries(tree).map(([segment, children]) => {
      const isArray = segment.endsWith('[]')
      const key = isArray ? segment.slice(0, -2) : segment
      return Object.keys(children).length > 0 ? {key, isArray, children: compile(children, [...parents, key])} : {key, isArray}
    }),
  }
}

const compiled = new WeakMap<readonly string[], CompiledObject>()

function buildObject(paths: readonly string[], context: ValueContext): JsonObject {
  let object = compiled.get(paths)
  if (!object) compiled.set(paths, (object = compile(fieldTree(paths), [])))
  return fillObject(object, context)
}

function fillObject(compiledObject: CompiledObject, context: ValueContext): JsonObject {
  const object: JsonObject = {}
  const {parents} = compiledObject
  // Whose object this is depends on the parents only: decided once per object, not per key.
  const who = personFor(parents, context)
  for (const {key, isArray, children} of compiledObject.keys) {
    const value = children ? fillObject(children, context) : bodyValue(context, (c) => leafValue(key, parents, c, who))
    object[key] = isArray ? [value] : value
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
  const observed = spec.observed?.old_object_fields
  if (observed?.length) {
    // What real deliveries carry wins over a generic "previous value" placeholder.
    for (const [key, value] of Object.entries(buildObject(observed, context))) {
      if (typeof old[key] === 'object' && old[key] !== null) continue
      old[key] = typeof value === 'string' && key in PREVIOUS_VALUES ? PREVIOUS_VALUES[key]! : value
    }
  }
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
  account_alias: '',
}

/** The person a nested object speaks of: its parent key decides (participant, registrant, callee …). */
function personFor(parents: readonly string[], context: Pick<ValueContext, 'scenario' | 'spec'>): Person {
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

/** A run's times fall in a few seconds (now, the meeting's start …): those formatted are kept. */
const isoTexts = new Map<number, string>()
function isoSeconds(epochMs: number): string {
  const second = Math.floor(epochMs / 1000)
  let text = isoTexts.get(second)
  if (text === undefined) {
    if (isoTexts.size >= 16) isoTexts.clear()
    text = new Date(second * 1000).toISOString().replace('.000Z', 'Z')
    isoTexts.set(second, text)
  }
  return text
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
  account_name: 'Example Corp',
  account_support_name: 'Example Corp IT',
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
  // Keys of phone, live-streaming, summary and room events that no rule of form fits.
  service: 'Facebook',
  resolution: '1080p',
  old_role: 'attendee',
  new_role: 'panelist',
  post_platform: 'LinkedIn',
  social_link: 'https://www.linkedin.com/company/example',
  post_user: 'Example Corp',
  label: 'Q3 planning',
  field: 'company',
  summary: 'The team agreed on the plan.',
  summary_content: 'The team agreed on the plan and the owners of each step.',
  summary_details: 'Budget approved; launch moved to the 14th.',
  languages: 'en-US',
  interpreter_languages: 'US,FR',
  sign_language: 'American',
  alternative_hosts: 'deputy@example.com',
  authentication_option: 'signIn_D8cJuqWVQ623CI4Q8yQK0Q',
  authentication_name: 'Sign in to Zoom',
  authentication_domains: 'example.com',
  event: 'phone.callee_ended',
  number_source: 'internal',
  location: 'San Jose, CA',
  path: 'pstn',
  cost_center: 'CC-1001',
  redirect_forwarded_by: 'call_queue',
  handup_result: 'Call connected',
  router: 'SBC-San-Jose-1',
  deliver_to: 'all',
  outbound_proxy: 'proxy.example.com:5060',
  secondary_outbound_proxy: 'proxy2.example.com:5060',
  line_subscription: 'all_calls',
  cnam: 'EXAMPLE CORP',
  policy_name: 'Default call policy',
  opt_status: 'opt_in',
  file_path: '/recordings/2026/11/recording.mp4',
  tsp_bridge: 'US_TSP_TB',
  country_label: 'US',
  creation_source: 'open_api',
  app_name: 'Digital Signage',
  sensor_value: '22.5',
}
const SMALL_NUMBERS: Record<string, number> = {
  type: 2,
  weekly_days: 2,
  monthly_day: 1,
  monthly_week: 1,
  monthly_week_day: 2,
  end_times: 7,
  number_of_messages: 3,
  storage_used_percentage: 42,
  who_will_receive_summary: 1,
  who_can_ask_questions: 1,
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

interface LeafContext extends ValueContext {
  key: string
  parents: readonly string[]
  /** The person the enclosing object speaks of (participant, registrant, callee …). */
  who: Person
  /** True inside a person's own object (participant, registrant …), not the event's main subject. */
  inPerson: boolean
}

type Resolver = (c: LeafContext) => Json

const nameOf = (person: Person) => `${person.firstName} ${person.lastName}`
const inFile = (c: LeafContext) => c.parents.some((parent) => parent.includes('file'))

/** Keys whose value comes from the run's scenario, whatever object they sit in. */
const RESOLVERS: Record<string, Resolver> = {}
function resolve(keys: string[], resolver: Resolver): void {
  for (const key of keys) RESOLVERS[key] = resolver
}
resolve(['id'], (c) => (c.inPerson ? c.who.id : inFile(c) ? c.ids.uuid().toLowerCase() : c.parents.length > 0 ? c.ids.zoomId() : rootObjectId(c)))
resolve(['uuid'], (c) => c.meetingLike.uuid)
resolve(['host_id', 'meeting_host_id', 'owner_id', 'file_owner_id'], (c) => c.scenario.host.id)
resolve(['host_email', 'meeting_host_email', 'owner_email'], (c) => c.scenario.host.email)
resolve(['account_id', 'host_account_id'], (c) => c.scenario.accountId)
// Zoom's participant user_id is a numeric per-meeting id; elsewhere user_id is the account's user id.
resolve(['user_id', 'bind_user_id'], (c) => (c.spec.category === 'meeting' || c.spec.category === 'webinar' ? c.who.numericId : c.who.id))
resolve(['participant_user_id', 'contact_id'], (c) => c.scenario.participant.id)
resolve(['participant_uuid', 'bind_participant_uuid'], (c) => c.scenario.participant.participantUuid)
resolve(['registrant_id'], (c) => c.scenario.registrant.id)
resolve(['caller_user_id', 'caller_id'], (c) => c.scenario.caller.id)
resolve(['callee_user_id', 'callee_id'], (c) => c.scenario.callee.id)
resolve(['first_name'], (c) => c.who.firstName)
resolve(['last_name'], (c) => c.who.lastName)
resolve(['user_name', 'display_name', 'invitee_name', 'sender_name', 'recipient_name', 'operator_name'], (c) => nameOf(c.who))
resolve(['name'], (c) => {
  if (!c.inPerson && c.spec.category === 'chat_channel') return c.scenario.channel.name
  if (!c.inPerson && c.spec.category === 'zoomroom') return c.scenario.room.name
  return nameOf(c.who)
})
resolve(['caller_name'], (c) => nameOf(c.scenario.caller))
resolve(['callee_name'], (c) => nameOf(c.scenario.callee))
resolve(['inviter_name'], (c) => nameOf(c.scenario.host))
resolve(['topic', 'meeting_topic'], (c) => c.meetingLike.topic)
resolve(['room_name', 'calendar_name'], (c) => c.scenario.room.name)
resolve(['room_id'], (c) => c.scenario.room.id)
resolve(['channel_id'], (c) => c.scenario.channel.id)
resolve(['channel_name'], (c) => c.scenario.channel.name)
resolve(['contact_email'], (c) => c.scenario.participant.email)
resolve(['meeting_id'], (c) => (inFile(c) ? c.scenario.meeting.uuid : String(c.scenario.meeting.id)))
resolve(['meeting_uuid'], (c) => c.scenario.meeting.uuid)
resolve(['webinar_id'], (c) => String(c.scenario.webinar.id))
resolve(['webinar_uuid'], (c) => c.scenario.webinar.uuid)
resolve(['call_id'], (c) => c.scenario.callId)
resolve(['timestamp', 'time_stamp'], (c) => c.now)
resolve(['password', 'passcode', 'recording_play_passcode'], (c) => c.meetingLike.password)
resolve(['leader_pin', 'participant_pin_code', 'host_key'], (c) => c.ids.digits(6))
resolve(['pmi'], (c) => Number(c.ids.digits(10)))
resolve(['file_name'], (c) => `GMT${isoSeconds(c.scenario.startedAt).replace(/[-:]/g, '').replace('T', '-').replace('Z', '')}_Recording.mp4`)
resolve(['download_url', 'play_url', 'share_url', 'file_link', 'transcript_download_url'], (c) =>
  `https://example.zoom.us/rec/${c.key.startsWith('download') ? 'download' : 'share'}/${c.ids.zoomId(32)}`,
)
resolve(['join_url'], (c) => `https://example.zoom.us/j/${c.meetingLike.id}?pwd=${c.ids.zoomId(32)}`)
resolve(['occurrence_id'], (c) => String(c.scenario.startedAt))
resolve(['extension_number', 'caller_ext_number', 'callee_ext_number', 'operator_ext_number'], (c) => c.who.extension)
resolve(['phone_number', 'phone', 'number'], (c) => c.who.phone)
resolve(['caller_number', 'caller_did_number'], (c) => c.scenario.caller.phone)
resolve(['callee_number', 'callee_did_number', 'consumer_phone_number', 'transfer_phone_number', 'zoom_phone_user_number'], (c) => c.scenario.callee.phone)

/** A value for one key: from the scenario when the key names one of its identities, else by the key's form. */
function leafValue(key: string, parents: readonly string[], context: ValueContext, who: Person = personFor(parents, context)): Json {
  // One leaf context per body, updated for each leaf rather than copied: resolvers read it and return,
  // none keeps it or asks for another leaf meanwhile. (A copy per leaf was a quarter of simulate's time.)
  const leaf = (context.leaf ??= {...context, key, parents, who, inPerson: false})
  leaf.key = key
  leaf.parents = parents
  leaf.who = who
  leaf.inPerson = parents.length > 0 && who !== context.main
  const resolver = RESOLVERS[key]
  return resolver ? resolver(leaf) : valueByForm(leaf)
}

/** Values for keys that name no identity: emails, times, sizes, flags, URLs … by the key's form. */
function valueByForm(c: LeafContext): Json {
  const {key, scenario, ids} = c
  if (key === 'email' || key.endsWith('_email')) {
    if (key.startsWith('caller')) return scenario.caller.email
    if (key.startsWith('callee')) return scenario.callee.email
    return c.who.email
  }
  if (key in SMALL_NUMBERS) return SMALL_NUMBERS[key]!
  if (key in STRING_VALUES) return STRING_VALUES[key]!
  if (/(^|_)(ip|public_ip|private_ip|device_ip)$/.test(key)) return `203.0.113.${ids.int(1, 254)}`
  if (/_(time|date_time|date)$/.test(key) || key === 'date_time') {
    if (/^(talk|hold|wait|waiting)_time$/.test(key)) return ids.int(5, 300)
    return isoSeconds(/start/.test(key) ? scenario.startedAt : c.now)
  }
  if (/(^|_)(size|count|duration|duration_in_second|storage_used|free_storage|plan_storage)$/.test(key)) return ids.int(1_000, 500_000)
  if (BOOLEAN_PREFIX.test(key) || BOOLEAN_KEYS.has(key)) return !key.startsWith('is_')
  if (key.endsWith('_url') || key === 'url' || key === 'page_url') return `https://example.zoom.us/${key.replace(/_url$/, '').replace(/_/g, '-')}/${ids.zoomId(12)}`
  if (key.endsWith('_id') || key.endsWith('_ids')) return key.endsWith('_ids') ? [ids.zoomId()] : ids.zoomId()
  if (key.endsWith('_type') || key.endsWith('_kind')) return 1
  // The caller's or the callee's country, department, location …: the same forms as the bare key.
  const party = /^(caller|callee)_(.+)$/.exec(key)
  if (party && party[2]! in STRING_VALUES) return STRING_VALUES[party[2]!]!
  if (key.endsWith('_uuid')) return ids.uuid()
  if (key.endsWith('_key') || key === 'key' || key.endsWith('_fingerprint')) return ids.zoomId(16)
  if (key.endsWith('_code') || key === 'code') return ids.digits(4)
  if (key.endsWith('_reason')) return 'Not available'
  if (key.endsWith('_start') || key.endsWith('_end')) return isoSeconds(key.endsWith('_start') ? scenario.startedAt : c.now)
  if (key.endsWith('_address')) return `sip:room-${ids.digits(3)}@example.com`
  if (key.endsWith('_name')) return `Example ${key.slice(0, -'_name'.length).replace(/_/g, ' ')}`
  if (key.endsWith('_source')) return 'api'
  // Account, group and user settings are on/off switches (or objects of them) in Zoom's schema.
  if (c.parents.includes('settings') || c.parents.includes('in_meeting')) return true
  return key.replace(/_/g, ' ')
}

/** payload.object.id: what the object is (meeting, user, channel …), typed as the catalog says. */
function rootObjectId(context: LeafContext): Json {
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
