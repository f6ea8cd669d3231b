/**
 * One model for every check validate and doctor run: what was checked, the verdict, what was measured,
 * and on warn/fail what to do. Judgements are pure functions from measurements to checks, so thresholds
 * live in one place and are tested without a network.
 */
export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip'

export interface Check {
  /** Stable machine id: "elastic.reachable", "fields.meeting.participant_joined" … */
  id: string
  title: string
  status: CheckStatus
  /** What was measured, in a few words: "8.15.0", "37/40 documents", "212 ms". */
  value?: string
  /** On warn and fail: what to do about it. */
  hint?: string
  /** More lines for the curious: one per field, per message … */
  details?: string[]
  /** The measurements behind the verdict, for --json. */
  data?: Record<string, unknown>
}

export interface CheckSummary {
  total: number
  pass: number
  warn: number
  fail: number
  skip: number
  ok: boolean
}

export function summarize(checks: readonly Check[]): CheckSummary {
  const count = (status: CheckStatus) => checks.filter((check) => check.status === status).length
  const summary = {total: checks.length, pass: count('pass'), warn: count('warn'), fail: count('fail'), skip: count('skip')}
  return {...summary, ok: summary.fail === 0}
}

export const pass = (id: string, title: string, value?: string, extra: Partial<Check> = {}): Check => ({id, title, status: 'pass', value, ...extra})
export const warn = (id: string, title: string, value: string | undefined, hint: string, extra: Partial<Check> = {}): Check => ({id, title, status: 'warn', value, hint, ...extra})
export const fail = (id: string, title: string, value: string | undefined, hint: string, extra: Partial<Check> = {}): Check => ({id, title, status: 'fail', value, hint, ...extra})
export const skip = (id: string, title: string, why: string, extra: Partial<Check> = {}): Check => ({id, title, status: 'skip', value: why, ...extra})
