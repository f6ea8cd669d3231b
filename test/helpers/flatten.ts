/** Flattens a JSON document to dotted paths (array items by index), so two documents compare field by field. */
export function flatten(value: unknown, prefix = '', out: Map<string, unknown> = new Map()): Map<string, unknown> {
  if (Array.isArray(value)) {
    if (value.length === 0) out.set(prefix, [])
    value.forEach((item, index) => flatten(item, `${prefix}[${index}]`, out))
  } else if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
    if (entries.length === 0 && prefix) out.set(prefix, {})
    for (const [key, child] of entries) flatten(child, prefix ? `${prefix}.${key}` : key, out)
  } else {
    out.set(prefix, value)
  }
  return out
}

export interface FieldDifference {
  field: string
  expected: unknown
  actual: unknown
}

/** Field-by-field differences; `excluded(field)` names the fields left out of the comparison. */
export function diffDocuments(expected: unknown, actual: unknown, excluded: (field: string) => boolean = () => false): FieldDifference[] {
  const left = flatten(expected)
  const right = flatten(actual)
  const fields = new Set([...left.keys(), ...right.keys()])
  const differences: FieldDifference[] = []
  for (const field of [...fields].sort()) {
    if (excluded(field)) continue
    const a = left.get(field)
    const b = right.get(field)
    if (JSON.stringify(a) !== JSON.stringify(b)) differences.push({field, expected: a, actual: b})
  }
  return differences
}
