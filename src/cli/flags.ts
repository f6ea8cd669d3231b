import {Flags} from '@oclif/core'

import {LATEST_KNOWN_VERSION, OLDEST_SUPPORTED_VERSION} from '../mapping/index.js'
import {assertSupportedVersion} from '../mapping/version.js'
import {OptionError} from '../config/index.js'
import {AUTH_MODES} from '../zoom/auth.js'

/** Auth flags shared by serve and simulate: each can also come from an env var, so secrets stay off the command line. */
export const authFlags = {
  auth: Flags.string({
    description: 'how deliveries authenticate: signature (Zoom default), header (Elastic integration: a static header), basic or bearer. Zoom signs in every mode.',
    options: [...AUTH_MODES],
    default: 'signature',
    env: 'ZOOMCTL_AUTH',
    helpGroup: 'AUTH',
  }),
  'secret-token': Flags.string({
    description: "the event subscription's Secret Token: signs or verifies x-zm-signature and answers URL validation",
    env: 'ZOOM_WEBHOOK_SECRET_TOKEN',
    helpGroup: 'AUTH',
  }),
  'auth-header': Flags.string({
    description: 'header name for --auth header',
    default: 'Authorization',
    env: 'ZOOMCTL_AUTH_HEADER',
    helpGroup: 'AUTH',
  }),
  'auth-value': Flags.string({description: 'header value for --auth header', env: 'ZOOMCTL_AUTH_VALUE', helpGroup: 'AUTH'}),
  'basic-user': Flags.string({description: 'user name for --auth basic', env: 'ZOOMCTL_BASIC_USER', helpGroup: 'AUTH'}),
  'basic-password': Flags.string({description: 'password for --auth basic', env: 'ZOOMCTL_BASIC_PASSWORD', helpGroup: 'AUTH'}),
  'bearer-token': Flags.string({description: 'token for --auth bearer', env: 'ZOOMCTL_BEARER_TOKEN', helpGroup: 'AUTH'}),
}

export interface AuthFlagValues {
  auth?: string
  'secret-token'?: string
  'auth-header'?: string
  'auth-value'?: string
  'basic-user'?: string
  'basic-password'?: string
  'bearer-token'?: string
}

export function authOptionsFrom(flags: AuthFlagValues) {
  return {
    auth: flags.auth,
    secretToken: flags['secret-token'],
    authHeader: flags['auth-header'],
    authValue: flags['auth-value'],
    basicUser: flags['basic-user'],
    basicPassword: flags['basic-password'],
    bearerToken: flags['bearer-token'],
  }
}

export const tlsClientFlags = {
  insecure: Flags.boolean({description: 'accept any TLS certificate (self-signed test receivers; Zoom itself never does)', default: false}),
  ca: Flags.string({description: 'PEM file of a CA to trust for https URLs'}),
}

export const integrationVersionFlag = Flags.string({
  description: `version of Elastic's Zoom integration to reproduce (${OLDEST_SUPPORTED_VERSION} to ${LATEST_KNOWN_VERSION}; default ${LATEST_KNOWN_VERSION})`,
  env: 'ZOOMCTL_INTEGRATION_VERSION',
})

/** The --integration-version value, checked up front so that serve never starts with one it cannot map. */
export function integrationVersion(value: string | undefined): string | undefined {
  if (value === undefined) return undefined
  try {
    assertSupportedVersion(value)
  } catch (error) {
    throw new OptionError(`--integration-version: ${(error as Error).message}`)
  }
  return value
}
