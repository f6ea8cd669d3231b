import type {PreparedDelivery} from './prepare.js'

/** How a dry-run's curl reads each mode's credential from the env vars zoomctl itself reads: none is printed. */
const CREDENTIAL_FROM_ENV: Record<string, (name: string) => string> = {
  // ${VAR:?…} stops the shell with a message when the variable is not set (the value came from a flag, say).
  basic: () => '-u "${ZOOMCTL_BASIC_USER:?set ZOOMCTL_BASIC_USER}:${ZOOMCTL_BASIC_PASSWORD:?set ZOOMCTL_BASIC_PASSWORD}"',
  bearer: (name) => `-H "${name}: Bearer \${ZOOMCTL_BEARER_TOKEN:?set ZOOMCTL_BEARER_TOKEN}"`,
  header: (name) => `-H "${name}: \${ZOOMCTL_AUTH_VALUE:?set ZOOMCTL_AUTH_VALUE}"`,
}

/**
 * A curl command that sends the same bytes with the same headers. The signature is shown (it is a MAC of
 * this body at this timestamp, not a secret); the auth header's value comes from an env var instead.
 */
export function toCurl(url: string, delivery: PreparedDelivery, secretHeader?: {name: string; mode: string}): string {
  const lines = [`curl -sS --fail-with-body -X POST ${shellQuote(url)}`]
  for (const [name, value] of Object.entries(delivery.headers)) {
    if (name === 'content-length') continue
    const fromEnv = secretHeader && name === secretHeader.name ? CREDENTIAL_FROM_ENV[secretHeader.mode] : undefined
    if (fromEnv) {
      lines.push(fromEnv(name))
      continue
    }
    lines.push(`-H ${shellQuote(`${name}: ${value}`)}`)
  }
  lines.push(`--data-binary ${shellQuote(delivery.body.toString('utf8'))}`)
  return lines.join(' \\\n  ')
}

export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`
}
