/**
 * What a store line of the event types asked for holds, to skip the others before they are parsed (on a
 * million deliveries, most lines are of other types): serve writes a record's type as `"eventType":"…"`
 * (JSON.stringify: no spaces), a dead letter's record the same way, and a stored delivery's type is that
 * member alone. A body that happens to hold the same bytes is parsed and judged as usual. undefined: no
 * line can be skipped (no types asked for, or the empty one, which a record without a type matches).
 */
export function eventTypeMarks(types: string[] | undefined): string[] | undefined {
  if (!types?.length || types.includes('')) return undefined
  return types.map((type) => `"eventType":${JSON.stringify(type)}`)
}
