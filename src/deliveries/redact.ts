/**
 * Keys of Zoom bodies that hold secrets of their own: a meeting's password, a recording's download token
 * and passcode, host keys. The store keeps the raw body (replay needs the exact bytes); every copy that is
 * shown is redacted unless the user asks for the values.
 */
const SECRET_KEYS = /^(password|passcode|h323_password|pstn_password|encrypted_password|recording_play_passcode|download_token|host_key|leader_pin|participant_pin_code|join_url|plainToken)$/

export function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > 64 || typeof value !== 'object' || value === null) return value
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, depth + 1))
  const out: Record<string, unknown> = {}
  for (const [key, child] of Object.entries(value)) {
    out[key] = SECRET_KEYS.test(key) && child !== null && child !== '' ? '[redacted]' : redactSecrets(child, depth + 1)
  }
  return out
}
