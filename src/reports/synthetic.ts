import {IdSource, seededRandom} from '../catalog/scenario.js'
import type {ReportStream} from '../zoom/reports.js'

/**
 * Synthetic report records, as Zoom's report APIs return them, spread over a window of days. Each UTC day's
 * records come from the seed and the day alone, so a window that overlaps another gives the same records
 * for the days they share, and a seed gives the same records on every run.
 */
export interface SyntheticOptions {
  seed: number
  /** How many days back from `until` (the day of `until` included). */
  days: number
  until: Date
  /** Records per stream per day (default 8). */
  perDay?: number
  /** At most this many records in all (the newest are kept). */
  count?: number
}

export interface TimedRecord {
  /** Epoch ms of the record's time, for filtering by window. */
  at: number
  record: Record<string, unknown>
}

const PEOPLE = ['ada.lovelace', 'grace.hopper', 'alan.turing', 'maya.jung', 'kofi.mensah', 'ines.garcia', 'ravi.patel', 'yuki.sato', 'lena.novak', 'omar.haddad']
const ADMINS = ['admin', 'it.ops', 'security']
const CLIENTS: ReadonlyArray<readonly [string, string]> = [
  ['Browser', '6.2.5.58320'],
  ['Windows', '6.2.6.59543'],
  ['Mac', '6.2.6.59540'],
  ['iOS', '6.2.5.20415'],
  ['Android', '6.2.5.21011'],
]
/** Operation categories, actions and what Zoom's log says about them. */
const OPERATIONS: ReadonlyArray<readonly [category: string, action: string, detail: (who: string, ids: IdSource) => string]> = [
  ['User', 'Add', (who) => `Add User ${who}`],
  ['User', 'Update', (who) => `Update User ${who}: Change user type from Basic to Licensed`],
  ['User', 'Delete', (who) => `Delete User ${who}`],
  ['Role', 'Update', (who) => `Assign role Admin to ${who}`],
  ['Account', 'Update', () => 'Change account setting Cloud Recording from ON to OFF'],
  ['Recording', 'Delete', (_, ids) => `Delete cloud recording for meeting ${ids.digits(11)}`],
  ['Meeting', 'Update', (_, ids) => `Update meeting ${ids.digits(11)} setting Waiting Room from OFF to ON`],
  ['Sign In/Out', 'Create', (who) => `Create SSO configuration for ${who.split('@')[1]}`],
]
/** A meeting's audit trail in order; the categories are the integration's activity_type choices. */
const MEETING_TRAIL: ReadonlyArray<readonly [category: string, byHost: boolean, detail: (name: string) => string]> = [
  ['Meeting Created', true, () => 'Meeting created'],
  ['Meeting Started', true, () => 'Meeting started'],
  ['User Join', false, (name) => `${name} joined the meeting`],
  ['In-Meeting Chat', false, (name) => `${name} sent a chat message to Everyone`],
  ['Remote Control', false, (name) => `${name} requested remote control`],
  ['User Left', false, (name) => `${name} left the meeting`],
  ['Meeting Ended', true, () => 'Meeting ended'],
]

const DAY_MS = 86_400_000

export function syntheticTimedRecords(stream: ReportStream, options: SyntheticOptions): TimedRecord[] {
  const lastDay = Math.floor(options.until.getTime() / DAY_MS)
  const records: TimedRecord[] = []
  for (let day = lastDay - options.days + 1; day <= lastDay; day++) records.push(...recordsOfDay(stream, options.seed, day, options.perDay ?? 8))
  const inWindow = records.filter((timed) => timed.at <= options.until.getTime()).sort((a, b) => a.at - b.at)
  return options.count === undefined ? inWindow : inWindow.slice(-options.count)
}

export function syntheticRecords(stream: ReportStream, options: SyntheticOptions): Array<Record<string, unknown>> {
  return syntheticTimedRecords(stream, options).map((timed) => timed.record)
}

function recordsOfDay(stream: ReportStream, seed: number, day: number, perDay: number): TimedRecord[] {
  const ids = new IdSource(seededRandom((seed * 2_654_435_761 + day * 40_503 + stream.length * 97) >>> 0))
  const domain = 'example.com'
  const person = () => ids.pick(PEOPLE)
  const ip = () => (ids.int(0, 3) === 0 ? `198.51.100.${ids.int(1, 254)}` : `203.0.113.${ids.int(1, 254)}`)
  const at = () => day * DAY_MS + ids.int(7 * 3600, 19 * 3600) * 1000 + ids.int(0, 999)
  const out: TimedRecord[] = []
  if (stream === 'activity') {
    for (let i = 0; i < perDay; i++) {
      const time = at()
      const [clientType, version] = ids.pick(CLIENTS)
      out.push({
        at: Math.floor(time / 1000) * 1000,
        record: {
          email: `${person()}@${domain}`,
          time: isoSeconds(time),
          type: ids.int(0, 2) === 0 ? 'Sign out' : 'Sign in',
          ip_address: ip(),
          client_type: clientType,
          version,
        },
      })
    }
  } else if (stream === 'operation') {
    for (let i = 0; i < perDay; i++) {
      const time = at()
      const [category, action, detail] = ids.pick(OPERATIONS)
      out.push({
        at: Math.floor(time / 1000) * 1000,
        record: {time: isoSeconds(time), operator: `${ids.pick(ADMINS)}@${domain}`, category_type: category, action, operation_detail: detail(`${person()}@${domain}`, ids)},
      })
    }
  } else {
    // Whole meetings: each one's trail, from creation to its end, fills perDay records between them.
    while (out.length < perDay) {
      const number = ids.digits(10)
      const meetingNumber = `${number.slice(0, 3)} ${number.slice(3, 6)} ${number.slice(6)}`
      const host = person()
      let time = at()
      for (const [category, byHost, detail] of MEETING_TRAIL) {
        if (out.length >= perDay) break
        const who = byHost ? host : person()
        const name = displayName(who)
        time += ids.int(5, 900) * 1000 + ids.int(0, 999)
        out.push({
          at: time,
          record: {
            meeting_number: meetingNumber,
            activity_time: zoomActivityTime(time),
            operator: name,
            operator_email: `${who}@${domain}`,
            activity_category: category,
            activity_detail: detail(name),
          },
        })
      }
    }
  }
  return out
}

function displayName(login: string): string {
  return login
    .split('.')
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join(' ')
}

/** "2026-12-07T10:00:00Z", as the activity and operation reports write times. */
function isoSeconds(millis: number): string {
  return new Date(Math.floor(millis / 1000) * 1000).toISOString().replace('.000Z', 'Z')
}

/** "2026-12-07 10:00:00:123", as the meeting activity report writes them (UTC). */
function zoomActivityTime(millis: number): string {
  const iso = new Date(millis).toISOString()
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}:${iso.slice(20, 23)}`
}
