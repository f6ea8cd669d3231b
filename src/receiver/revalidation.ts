import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {writeFileAtomic} from '../store/atomic.js'

/** Zoom re-validates every endpoint URL every 72 hours and disables the subscription after 6 failures in a row. */
export const REVALIDATION_PERIOD_MS = 72 * 3_600_000

/** The key under which the main Secret Token's subscription is recorded (an app's is its name). */
const MAIN = ''

/** What serve keeps in the data dir: when each subscription's last challenge was answered. */
interface Answered {
  /** ISO 8601 of the last challenge answered, per app ('' for the main Secret Token). */
  last: Record<string, string>
  /** Challenges answered in all, per app. */
  count: Record<string, number>
}

export interface RevalidationStatus {
  state: 'ok' | 'overdue' | 'never'
  /** The most recent challenge answered, of any app. */
  lastAnsweredAt?: string
  /** The subscriptions whose last challenge is older than 72 h: '' names the main Secret Token's. */
  overdue: Array<{app?: string; lastAnsweredAt: string; hoursAgo: number}>
  hint?: string
}

/**
 * Watches Zoom's re-validation of the endpoint: each challenge serve answers is recorded durably (the file
 * url-validation.json in the data dir, written atomically), and an endpoint that had one but none for
 * more than 72 h is overdue: Zoom may have failed to reach it, and disables the subscription after 6
 * failures in a row. The clock is injected: tests move it instead of waiting three days.
 */
export class RevalidationWatch {
  private answered: Answered = {last: {}, count: {}}
  private readonly path: string
  private writing: Promise<void> = Promise.resolve()

  constructor(
    dataDir: string,
    private readonly now: () => number = Date.now,
  ) {
    this.path = join(dataDir, 'url-validation.json')
  }

  /** Reads what earlier runs recorded; a missing or unreadable file is an endpoint that had none yet. */
  async load(): Promise<this> {
    try {
      const parsed = JSON.parse(await readFile(this.path, 'utf8')) as Partial<Answered>
      if (parsed && typeof parsed.last === 'object' && parsed.last) this.answered = {last: {...parsed.last}, count: {...(parsed.count ?? {})}}
    } catch {
      // None recorded yet (or a file from elsewhere): nothing to be overdue on.
    }
    return this
  }

  /** Records a challenge answered at `at` (ISO 8601) for an app (none: the main Secret Token); resolves once on disk. */
  record(at: string, app?: string): Promise<void> {
    const key = app ?? MAIN
    this.answered.last[key] = at
    this.answered.count[key] = (this.answered.count[key] ?? 0) + 1
    const content = JSON.stringify(this.answered)
    // One write at a time, each with the state as it is then: the file never goes back in time.
    this.writing = this.writing.then(() => writeFileAtomic(this.path, content))
    return this.writing
  }

  /** The most recent challenge answered, as epoch seconds; undefined before the first. */
  get lastAnsweredSeconds(): number | undefined {
    const times = Object.values(this.answered.last).map((at) => Date.parse(at))
    return times.length ? Math.max(...times) / 1000 : undefined
  }

  status(): RevalidationStatus {
    const entries = Object.entries(this.answered.last)
    if (!entries.length) return {state: 'never', overdue: []}
    const now = this.now()
    const overdue = entries
      .filter(([, at]) => now - Date.parse(at) > REVALIDATION_PERIOD_MS)
      .map(([key, at]) => ({...(key === MAIN ? {} : {app: key}), lastAnsweredAt: at, hoursAgo: Math.floor((now - Date.parse(at)) / 3_600_000)}))
    const lastAnsweredAt = new Date(this.lastAnsweredSeconds! * 1000).toISOString()
    if (!overdue.length) return {state: 'ok', lastAnsweredAt, overdue}
    const which = overdue.map((entry) => `${entry.app ? `app ${entry.app}` : 'the Secret Token'}'s ${entry.hoursAgo} h ago`).join(', ')
    return {
      state: 'overdue',
      lastAnsweredAt,
      overdue,
      hint:
        `Zoom re-validates every 72 h and none came (last: ${which}): it may be failing to reach this endpoint, and disables the event subscription after 6 failures in a row. ` +
        "Check in the Zoom App Marketplace that the subscription is still enabled (re-enable it and click Validate), that the endpoint URL still points here, that the certificate is valid and publicly trusted (zoomctl doctor URL), and the account owner's mail from Zoom",
    }
  }
}
