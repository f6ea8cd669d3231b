import {shortId} from '../deliveries/ids.js'
import {getField} from '../mapping/index.js'
import {printable} from './format.js'
import {style} from './style.js'

/** The fields a reader checks first in Kibana Discover for a Zoom event. */
const EXPLAINED_FIELDS = [
  '@timestamp',
  'event.action',
  'event.type',
  'event.category',
  'event.kind',
  'user.id',
  'user.email',
  'user.full_name',
  'user.target.id',
  'related.user',
  'related.ip',
  'source.ip',
  'url.full',
  'error.message',
]

/** A short account of an indexed document: its key ECS fields, then which zoom.* objects it has. */
export function explainDocument(document: unknown, prefix = '  '): string {
  if (typeof document !== 'object' || document === null) return style.dim(`${prefix}(no document: the body is not JSON)`)
  const lines: string[] = []
  for (const field of EXPLAINED_FIELDS) {
    const value = getField(document as Record<string, unknown>, field)
    if (value !== undefined) lines.push(`${prefix}${style.cyan(field.padEnd(16))} ${JSON.stringify(value)}`)
  }
  const zoom = (document as Record<string, unknown>).zoom
  const zoomKeys = typeof zoom === 'object' && zoom !== null ? Object.keys(zoom) : []
  lines.push(`${prefix}${style.cyan('zoom.*'.padEnd(16))} ${zoomKeys.join(', ')}`)
  return lines.join('\n')
}

/**
 * A short text for an endpoint's answer: zoomctl's own status, an error message, or the start of the body;
 * control characters escaped (an endpoint's answer must not move the terminal's cursor).
 */
export function describeAnswer(answer: unknown): string {
  if (typeof answer === 'object' && answer !== null) {
    const record = answer as Record<string, unknown>
    if (typeof record.status === 'string') {
      if (typeof record.duplicateOf !== 'string') return printable(record.status)
      // serve's answer to a copy: which delivery it is a copy of (the id's first part, as git shows a commit).
      const first = printable(shortId(record.duplicateOf))
      return record.status === 'duplicate' ? `duplicate of ${first}` : `${printable(record.status)} (copy of ${first})`
    }
    if (typeof record.error === 'string') return printable(record.error)
  }
  const text = typeof answer === 'string' ? answer : JSON.stringify(answer)
  return printable(text.length > 80 ? `${text.slice(0, 80)}…` : text)
}
