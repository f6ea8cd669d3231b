/**
 * The real search engine's API as the tests call it directly (refresh, search, rollover, bulk setup): JSON
 * bodies, or NDJSON when the body is already a string (_bulk).
 */
export function engineApi(engine: string): (method: string, path: string, body?: unknown) => Promise<Record<string, unknown>> {
  return async (method, path, body) => {
    const response = await fetch(`${engine}${path}`, {
      method,
      headers: {'content-type': typeof body === 'string' ? 'application/x-ndjson' : 'application/json'},
      ...(body === undefined ? {} : {body: typeof body === 'string' ? body : JSON.stringify(body)}),
    })
    return (await response.json()) as Record<string, unknown>
  }
}
