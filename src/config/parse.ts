/** Parsers for option values given as text (flags, env vars), each with an error that says what is expected. */

import {distance} from 'fastest-levenshtein'

import {UserError} from '../errors.js'

/** A flag or env value that cannot be used: exit 2. */
export class OptionError extends UserError {}

/** The start of a value's error: the flag it was given to, when the caller says. */
function named(flag: string | undefined): string {
  return flag ? `${flag}: ` : ''
}

/** "30s", "2m", "1h", "2d", "500ms" or plain seconds → milliseconds; `flag` names the option in the error. */
export function parseDuration(text: string, flag?: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim())
  if (!match) throw new OptionError(`${named(flag)}"${text}" is not a duration: use e.g. 30s, 2m, 1h, 2d or 500ms`)
  const value = Number(match[1])
  const unit = match[2] ?? 's'
  return value * {ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000}[unit as 'ms' | 's' | 'm' | 'h' | 'd']
}

/** "1mb", "512kb", "1048576" → bytes. */
export function parseSize(text: string, flag?: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib)?$/i.exec(text.trim())
  if (!match) throw new OptionError(`${named(flag)}"${text}" is not a size: use e.g. 1mb, 512kb or a number of bytes`)
  const unit = (match[2] ?? 'b').toLowerCase()
  const factor = unit.startsWith('k') ? 1024 : unit.startsWith('m') ? 1024 * 1024 : 1
  return Math.floor(Number(match[1]) * factor)
}

/** "name: value" or "name=value" → [lower-case name, value]. */
export function parseHeader(text: string): [string, string] {
  const match = /^([^:=\s]+)\s*[:=]\s*(.*)$/.exec(text)
  if (!match) throw new OptionError(`"${text}" is not a header: use "Name: value"`)
  return [match[1]!.toLowerCase(), match[2]!]
}

/**
 * "payload.object.topic=Board meeting" → a path and a value; the value is read as JSON when it is JSON
 * (numbers, true, null, objects), else as text.
 */
export function parseAssignment(text: string): {path: string[]; value: unknown} {
  const index = text.indexOf('=')
  if (index <= 0) throw new OptionError(`"${text}" is not an override: use path=value, e.g. payload.object.topic=Review`)
  const path = text.slice(0, index).trim().split('.')
  if (path.some((segment) => segment === '')) throw new OptionError(`"${text.slice(0, index)}" is not a dotted path`)
  const raw = text.slice(index + 1)
  let value: unknown = raw
  try {
    value = JSON.parse(raw)
  } catch {
    // Plain text.
  }
  return {path, value}
}

/** Sets a dotted path in a JSON object, creating objects on the way. */
export function applyAssignment(target: Record<string, unknown>, assignment: {path: string[]; value: unknown}): void {
  let node: Record<string, unknown> = target
  const keys = assignment.path
  for (const key of keys.slice(0, -1)) {
    const next = node[key]
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {}
    node = node[key] as Record<string, unknown>
  }
  node[keys[keys.length - 1]!] = assignment.value
}

/** "15m" (that long ago), "now", or an ISO date → a Date; `flag` names the option in the error. */
export function parseTimePoint(text: string, now: number = Date.now(), flag?: string): Date {
  const trimmed = text.trim()
  if (trimmed === 'now') return new Date(now)
  if (/^\d+(?:\.\d+)?(ms|s|m|h)$/.test(trimmed) || /^\d+(?:\.\d+)?d$/.test(trimmed)) {
    const days = /^(\d+(?:\.\d+)?)d$/.exec(trimmed)
    return new Date(now - (days ? Number(days[1]) * 86_400_000 : parseDuration(trimmed)))
  }
  const date = new Date(trimmed)
  if (Number.isNaN(date.getTime())) throw new OptionError(`${named(flag)}"${text}" is not a time: use a duration ago (15m, 2h, 1d) or an ISO date (2026-11-25T10:00:00Z)`)
  return date
}

/** The known name nearest to a mistyped one, if it is near enough to be what was meant. */
export function closestName(given: string, names: string[]): string | undefined {
  return closestNames(given, names)[0]
}

/**
 * The known names a mistyped one may have meant, best first: the nearest by edits ("--jsn" → json), else
 * one with two neighbouring letters swapped ("prot" → port, two edits apart), else those it begins like
 * ("retry" → retries, retry-spacing): at most three.
 */
export function closestNames(given: string, names: string[]): string[] {
  const unique = [...new Set(names)]
  const nearest = unique.map((name) => ({name, apart: distance(given, name)})).sort((a, b) => a.apart - b.apart)[0]
  if (nearest && nearest.apart <= Math.max(1, Math.floor(given.length / 3))) return [nearest.name]
  const swapped = unique.find((name) => isTransposition(given, name))
  if (swapped) return [swapped]
  if (given.length < 4) return []
  const stem = given.slice(0, Math.max(4, given.length - 1))
  return unique.filter((name) => name.startsWith(stem)).slice(0, 3)
}

/** Whether b is a with two neighbouring characters swapped. */
function isTransposition(a: string, b: string): boolean {
  if (a.length !== b.length || a === b) return false
  const at = [...a].findIndex((char, i) => char !== b[i])
  return a[at] === b[at + 1] && a[at + 1] === b[at] && a.slice(at + 2) === b.slice(at + 2)
}
