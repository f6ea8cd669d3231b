import {isObject} from './document.js'

/**
 * A document's fields as Elasticsearch sees them: dotted paths to leaf values, arrays kept whole (a field
 * holds an array). Dotted keys in the source ("event.action": …) count as the same field as nested ones.
 */
export function fieldValues(doc: unknown, prefix = '', out: Map<string, unknown> = new Map(), depth = 0): Map<string, unknown> {
  if (!isObject(doc) || depth > 64) {
    if (prefix) out.set(prefix, doc)
    return out
  }
  for (const [key, value] of Object.entries(doc)) {
    const path = prefix ? `${prefix}.${key}` : key
    if (isObject(value)) fieldValues(value, path, out, depth + 1)
    else out.set(path, value)
  }
  return out
}

export interface FieldDifference {
  field: string
  expected: unknown
  actual: unknown
}

/** Fields whose values differ (or exist on one side only), ignoring the fields `ignored` names. */
export function documentDifferences(expected: unknown, actual: unknown, ignored: (field: string) => boolean): FieldDifference[] {
  const left = fieldValues(expected)
  const right = fieldValues(actual)
  const differences: FieldDifference[] = []
  for (const field of [...new Set([...left.keys(), ...right.keys()])].sort()) {
    if (ignored(field)) continue
    const a = left.get(field)
    const b = right.get(field)
    if (JSON.stringify(a) !== JSON.stringify(b)) differences.push({field, expected: a, actual: b})
  }
  return differences
}
