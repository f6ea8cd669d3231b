/**
 * A delivery is named by its id (a UUID serve gave it) or by the start of it, as simulate and the
 * inspector show one ("duplicate of 4df8a672") and as git takes a commit's: at least 4 characters.
 */
const WHOLE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const ID_START = /^[0-9a-f][0-9a-f-]{3,34}$/i

/** Whether `given` is a whole id (what sending takes: never the start of one). */
export function isWholeId(given: string): boolean {
  return WHOLE_ID.test(given)
}

/** The lower-case start of an id that `given` is, or undefined when it is a whole id (or no id at all). */
export function idPrefix(given: string): string | undefined {
  return ID_START.test(given) && !WHOLE_ID.test(given) ? given.toLowerCase() : undefined
}

/** The start of an id too short to name one (fewer than 4 characters): refused rather than matched by nothing. */
export function tooShortForId(given: string): boolean {
  return /^[0-9a-f-]{1,3}$/i.test(given)
}

/** Whether a delivery's id is the one given, or starts with it. */
export function idMatches(id: string, given: string): boolean {
  if (id === given) return true
  const prefix = idPrefix(given)
  return prefix !== undefined && id.startsWith(prefix)
}

/** How many of an id's characters name it in serve's console, simulate's answers and the listings. */
export const SHORT_ID_LENGTH = 8

/** The start of an id, as git shortens a commit's: what deliveries show and replay --id take back. */
export function shortId(id: string): string {
  return id.slice(0, SHORT_ID_LENGTH)
}
