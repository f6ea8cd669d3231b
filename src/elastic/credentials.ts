/**
 * Credentials as Elastic's clients take them and as messages name them: no client loaded here, so that
 * Kibana's Fleet client and a judgement can name them without the Elasticsearch client's start-up.
 */

/** "id:key" (the Agent's form) becomes {id, api_key}; an already encoded key is passed as it is. */
export function apiKeyOption(value: string): string | {id: string; api_key: string} {
  const trimmed = value.trim()
  const decoded = Buffer.from(trimmed, 'base64').toString('utf8')
  const isEncoded = /^[A-Za-z0-9+/=_-]+$/.test(trimmed) && /^[^:\s]+:[^:\s]+$/.test(decoded)
  if (isEncoded) return trimmed
  const colon = trimmed.indexOf(':')
  if (colon > 0) return {id: trimmed.slice(0, colon), api_key: trimmed.slice(colon + 1)}
  return trimmed
}

/**
 * Who the credentials are, for messages ("as …", "refused …", "does not allow … to"): never the secret.
 * Elasticsearch's and Kibana's alike (a Kibana API key is an Elasticsearch one).
 */
export function describeCredential(settings: {apiKey?: string; username?: string}): string {
  if (settings.apiKey) {
    const key = apiKeyOption(settings.apiKey)
    const id = typeof key === 'string' ? Buffer.from(key, 'base64').toString('utf8').split(':')[0] : key.id
    return id ? `API key id ${id}` : 'the API key'
  }
  if (settings.username) return `user ${settings.username}`
  // Read after "as" and "does not allow": a cluster without security takes requests as anonymous.
  return 'anonymous (no credentials)'
}
