import {style} from './style.js'

/** zoom token's answer: what the credentials got, never the token. */
export function formatZoomToken(result: {grant: string; expiresAt: string; scopes: string[]}): string {
  return [
    `${style.green('✓')} Zoom accepted the credentials (${result.grant})`,
    `token valid until ${result.expiresAt} (kept in memory only; never printed)`,
    result.scopes.length ? `scopes:\n${result.scopes.map((scope) => `  ${scope}`).join('\n')}` : 'scopes: Zoom named none',
  ].join('\n')
}
