/**
 * The dedupe keys of the window, one map per UTC day: a receiver that runs for months holds the keys of
 * the window's days only, since whole days are dropped as the window moves past them. A claim looks in
 * each of the few days held.
 */
export class DedupeIndex {
  private readonly days = new Map<string, Map<string, string>>()
  /** Today's name and bounds, so that a claim does not format a date: a UTC day is 86,400,000 ms of epoch time exactly. */
  private today = ''
  private todayStarts = Number.POSITIVE_INFINITY
  private todayEnds = Number.NEGATIVE_INFINITY

  constructor(
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: string): string | undefined {
    for (const keys of this.days.values()) {
      const id = keys.get(key)
      if (id !== undefined) return id
    }
    return undefined
  }

  /** Adds a key under a day (default today, UTC), dropping the days the window has left behind. */
  set(key: string, id: string, day = this.currentDay()): void {
    let keys = this.days.get(day)
    if (!keys) {
      keys = new Map()
      this.days.set(day, keys)
      this.evict()
    }
    keys.set(key, id)
  }

  delete(key: string): void {
    for (const keys of this.days.values()) keys.delete(key)
  }

  get size(): number {
    let size = 0
    for (const keys of this.days.values()) size += keys.size
    return size
  }

  private currentDay(): string {
    const now = this.now()
    if (now < this.todayStarts || now >= this.todayEnds) {
      this.today = dayOf(now)
      this.todayStarts = now - (((now % DAY_MS) + DAY_MS) % DAY_MS)
      this.todayEnds = this.todayStarts + DAY_MS
    }
    return this.today
  }

  private evict(): void {
    const first = dayOf(this.now() - this.windowMs)
    for (const day of this.days.keys()) if (day < first) this.days.delete(day)
  }
}

const DAY_MS = 86_400_000

/** The UTC day of a time, as the store names its files (2026-11-30). */
export function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10)
}
