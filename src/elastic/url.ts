// Apart from connection.ts so that flag parsing and messages do not load the Elasticsearch client.

/** A URL without its user info, for messages. */
export function safeUrl(url: string): string {
  try {
    const parsed = new URL(url)
    parsed.username = ''
    parsed.password = ''
    return parsed.toString().replace(/\/$/, '')
  } catch {
    return '(invalid URL)'
  }
}
