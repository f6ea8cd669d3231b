/**
 * Prometheus' text exposition format (version 0.0.4), read as Prometheus reads it: # TYPE lines name the
 * families, each sample line is a name, optional {labels} (quoted values with \\, \" and \n escapes), a
 * value and an optional timestamp; a histogram's _bucket, _sum and _count samples belong to its family.
 * (parse-prometheus-text-format, tried first, merges the series of a labelled histogram into one.)
 */
export interface PromSample {
  name: string
  labels: Record<string, string>
  value: number
}

export interface PromFamily {
  name: string
  type: string
  help?: string
  samples: PromSample[]
}

export function parseExposition(text: string): Map<string, PromFamily> {
  const families = new Map<string, PromFamily>()
  const family = (name: string) => {
    let entry = families.get(name)
    if (!entry) families.set(name, (entry = {name, type: 'untyped', samples: []}))
    return entry
  }
  for (const [index, line] of text.split('\n').entries()) {
    if (!line.trim()) continue
    const comment = /^#\s*(HELP|TYPE)\s+([a-zA-Z_:][a-zA-Z0-9_:]*)\s+(.*)$/.exec(line)
    if (comment) {
      if (comment[1] === 'TYPE') family(comment[2]!).type = comment[3]!
      else family(comment[2]!).help = comment[3]!
      continue
    }
    if (line.startsWith('#')) continue
    const sample = readSample(line, index + 1)
    const owner = [...families.values()].find((entry) => sample.name === entry.name || (['histogram', 'summary'].includes(entry.type) && /^_(bucket|sum|count)$/.test(sample.name.slice(entry.name.length)) && sample.name.startsWith(entry.name)))
    ;(owner ?? family(sample.name)).samples.push(sample)
  }
  return families
}

function readSample(line: string, lineNumber: number): PromSample {
  const fail = (what: string) => new Error(`line ${lineNumber} of the exposition: ${what}: ${line}`)
  const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0]
  if (!name) throw fail('no metric name')
  let at = name.length
  const labels: Record<string, string> = {}
  if (line[at] === '{') {
    at++
    while (line[at] !== '}') {
      const label = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(line.slice(at))
      if (!label) throw fail('a label is not name="value"')
      at += label[0].length
      let value = ''
      while (line[at] !== '"') {
        if (at >= line.length) throw fail('a label value is not closed')
        if (line[at] === '\\') {
          const escaped = line[at + 1]
          value += escaped === 'n' ? '\n' : escaped
          at += 2
        } else value += line[at++]
      }
      labels[label[1]!] = value
      at++
      if (line[at] === ',') at++
    }
    at++
  }
  const [value, timestamp, extra] = line.slice(at).trim().split(/\s+/)
  if (value === undefined || extra !== undefined || (timestamp !== undefined && !/^-?\d+$/.test(timestamp))) throw fail('not "value [timestamp]" after the name')
  // As Go's strconv.ParseFloat, which Prometheus uses: NaN and Inf in any case (prom-client writes "Nan").
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(value)
  const number = special ? (special[2]!.toLowerCase() === 'nan' ? NaN : special[1] === '-' ? -Infinity : Infinity) : Number(value)
  if (Number.isNaN(number) && !special) throw fail(`"${value}" is not a number`)
  return {name, labels, value: number}
}
