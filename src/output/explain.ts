import {getField} from '../mapping/index.js'
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

/** A short text for an endpoint's answer: zoomctl's own status, an error message, or the start of the body. */
export function describeAnswer(answer: unknown): string {
  if (typeof answer === 'object' && answer !== null) {
    const record = answer as Record<string, unknown>
    if (typeof record.status === 'string') return record.status + (record.duplicateOf ? ' (duplicate)' : '')
    if (typeof record.error === 'string') return record.error
  }
  const text = typeof answer === 'string' ? answer : JSON.stringify(answer)
  return text.length > 80 ? `${text.slice(0, 80)}…` : text
}
