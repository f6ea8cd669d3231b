import {AUTH_MODES, type AuthMode, type AuthSettings} from '../zoom/auth.js'
import {OptionError} from './parse.js'

/** The auth-related options as flags or env vars give them. */
export interface AuthOptions {
  auth?: string
  secretToken?: string
  authHeader?: string
  authValue?: string
  basicUser?: string
  basicPassword?: string
  bearerToken?: string
}

export function resolveAuth(options: AuthOptions): AuthSettings {
  const mode = (options.auth ?? 'signature') as AuthMode
  if (!AUTH_MODES.includes(mode)) throw new OptionError(`unknown auth mode "${options.auth}": use one of ${AUTH_MODES.join(', ')}`)
  return {
    mode,
    secretToken: options.secretToken || undefined,
    headerName: options.authHeader || undefined,
    headerValue: options.authValue,
    username: options.basicUser,
    password: options.basicPassword,
    bearerToken: options.bearerToken,
  }
}
