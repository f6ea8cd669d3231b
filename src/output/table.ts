// Strips ANSI colour codes to measure what a reader sees.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001B\[[0-9;]*m/g

export function visibleWidth(text: string): number {
  return text.replace(ANSI, '').length
}

/** A plain aligned table: columns padded to their widest cell, two spaces apart, header first. */
export function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((cell, column) => Math.max(visibleWidth(cell), ...rows.map((row) => visibleWidth(row[column] ?? ''))))
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell + ' '.repeat(widths[column]! - visibleWidth(cell))))
      .join('  ')
      .trimEnd()
  return [line(header), ...rows.map(line)].join('\n')
}
