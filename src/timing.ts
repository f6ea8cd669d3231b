/** Milliseconds since a performance.now() reading, to the microsecond: more digits are timer noise. */
export function elapsedMs(startedAt: number): number {
  return Math.round((performance.now() - startedAt) * 1000) / 1000
}
