/**
 * The identities one simulated run shares: the participant who joins is in the meeting that started, the
 * recording belongs to that meeting, and so on. Fresh at each run, deterministic for a given seed.
 */
export interface Person {
  id: string
  /** Zoom's numeric per-meeting participant id (participant.user_id). */
  numericId: string
  participantUuid: string
  email: string
  firstName: string
  lastName: string
  phone: string
  extension: number
}

export interface Scenario {
  seed: number
  accountId: string
  subAccountId: string
  host: Person
  admin: Person
  participant: Person
  registrant: Person
  caller: Person
  callee: Person
  /** The user account that user.* events are about. */
  subject: Person
  meeting: {id: number; uuid: string; topic: string; password: string}
  webinar: {id: number; uuid: string; topic: string; password: string}
  channel: {id: string; name: string}
  room: {id: string; name: string}
  callId: string
  /** Epoch ms at which the run's meeting started; other times follow it. */
  startedAt: number
  random: () => number
}

const FIRST_NAMES = ['Ada', 'Grace', 'Alan', 'Maya', 'Kofi', 'Ines', 'Ravi', 'Yuki', 'Lena', 'Omar', 'Sofia', 'Tariq']
const LAST_NAMES = ['Lovelace', 'Hopper', 'Turing', 'Jung', 'Mensah', 'Garcia', 'Patel', 'Sato', 'Novak', 'Haddad']
const TOPICS = ['Weekly sync', 'Quarterly review', 'Incident retro', 'Design review', 'All hands', 'Customer onboarding']
const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/** mulberry32: small, fast and good enough for test data; not for anything secret. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export class IdSource {
  constructor(private readonly random: () => number) {}

  int(min: number, max: number): number {
    return min + Math.floor(this.random() * (max - min + 1))
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!
  }

  /** A Zoom-style opaque id such as "z8yCxTTTTSiw02QgCAp8uQ". */
  zoomId(length = 22): string {
    let id = ''
    for (let i = 0; i < length; i++) id += ID_ALPHABET[this.int(0, ID_ALPHABET.length - 1)]
    return id
  }

  /** A meeting UUID: base64 of 16 bytes, as Zoom writes them ("4444AAAiAAAAAiAiAiiAii=="). */
  meetingUuid(): string {
    const bytes = Buffer.alloc(16)
    for (let i = 0; i < 16; i++) bytes[i] = this.int(0, 255)
    return bytes.toString('base64')
  }

  digits(count: number): string {
    let text = String(this.int(1, 9))
    while (text.length < count) text += String(this.int(0, 9))
    return text
  }

  uuid(): string {
    const hex = () => this.int(0, 15).toString(16)
    const part = (n: number) => Array.from({length: n}, hex).join('')
    return `${part(8)}-${part(4)}-4${part(3)}-${(8 + this.int(0, 3)).toString(16)}${part(3)}-${part(12)}`.toUpperCase()
  }
}

export function createScenario(seed: number, now: number = Date.now()): Scenario {
  const random = seededRandom(seed)
  const ids = new IdSource(random)
  const usedNames = new Set<string>()
  const person = (domain: string): Person => {
    let firstName = ids.pick(FIRST_NAMES)
    let lastName = ids.pick(LAST_NAMES)
    while (usedNames.has(`${firstName} ${lastName}`)) {
      firstName = ids.pick(FIRST_NAMES)
      lastName = ids.pick(LAST_NAMES)
    }
    usedNames.add(`${firstName} ${lastName}`)
    return {
      id: ids.zoomId(),
      numericId: ids.digits(8),
      participantUuid: ids.uuid(),
      email: `${firstName}.${lastName}@${domain}`.toLowerCase(),
      firstName,
      lastName,
      phone: `+1415555${ids.digits(4)}`,
      extension: ids.int(1001, 1999),
    }
  }
  const topic = ids.pick(TOPICS)
  return {
    seed,
    accountId: ids.zoomId(22),
    subAccountId: ids.zoomId(22),
    host: person('example.com'),
    admin: person('example.com'),
    participant: person('example.org'),
    registrant: person('example.net'),
    caller: person('example.com'),
    callee: person('example.com'),
    subject: person('example.com'),
    meeting: {id: Number(ids.digits(11)), uuid: ids.meetingUuid(), topic, password: ids.zoomId(6)},
    webinar: {id: Number(ids.digits(11)), uuid: ids.meetingUuid(), topic: `${topic} (webinar)`, password: ids.zoomId(6)},
    channel: {id: ids.zoomId(32).toLowerCase(), name: `${ids.pick(['ops', 'sales', 'eng', 'support'])}-${ids.int(1, 99)}`},
    room: {id: ids.zoomId(22), name: `Room ${ids.pick(['Atlas', 'Borealis', 'Cedar', 'Delta'])}`},
    callId: ids.digits(19),
    startedAt: Math.floor(now / 1000) * 1000 - 10 * 60 * 1000,
    random,
  }
}
