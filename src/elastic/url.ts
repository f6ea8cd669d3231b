// Apart from connection.ts so that flag parsing and messages do not load the Elasticsearch client.

/** A URL without its user info, for messages. */
export function safeUrl(url: string): string {
  if (URL.canParse(url)) {
    const parsed = new URL(url)
    if (parsed.protocol === 'http:' || parsed.protocol === 'https:') {
      parsed.username = ''
      parsed.password = ''
      return parsed.toString().replace(/\/$/, '')
    }
  }
  // Not an http(s) URL (no scheme, a space in the host …): the text as given, anything before an @ masked,
  // since the URL class cannot take the credentials out of it ("elastic:s3cret@host" parses as a scheme).
  return url.replace(/^((?:[a-z][a-z0-9+.-]*:\/\/)?)[^/]*@/i, '$1…@')
}
