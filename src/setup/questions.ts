import {randomBytes, X509Certificate, createPrivateKey} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {createServer} from 'node:net'

import {isLoopbackHost} from '../config/local-token.js'

/** The answers setup works from; each is also a flag of `zoomctl setup`. */
export interface SetupAnswers {
  destination: 'store' | 'agent' | 'elasticsearch'
  host: string
  port: number
  path: string
  tls: 'none' | 'certificate' | 'proxy'
  'tls-cert'?: string
  'tls-key'?: string
  auth: 'signature' | 'header' | 'basic' | 'bearer'
  'secret-token': string
  'auth-value'?: string
  'forward-to'?: string
  'agent-secret'?: string
  'es-url'?: string
  'api-key'?: string
  username?: string
  password?: string
  'kibana-url'?: string
  'kibana-api-key'?: string
  'kibana-username'?: string
  'kibana-password'?: string
  'agent-policy'?: string
  'public-url'?: string
}

export type Validation = true | string

export interface Question<K extends keyof SetupAnswers = keyof SetupAnswers> {
  key: K
  message: string
  kind: 'text' | 'secret' | 'select' | 'number'
  choices?: Array<{value: string; name: string}>
  /** A default, from what was answered before. */
  fallback?: (answers: Partial<SetupAnswers>) => SetupAnswers[K] | undefined
  /** Asked only when this holds. */
  when?: (answers: Partial<SetupAnswers>) => boolean
  validate?: (value: string, answers: Partial<SetupAnswers>) => Validation | Promise<Validation>
  optional?: boolean
}

export function generatedToken(): string {
  return randomBytes(24).toString('base64url')
}

function isUrl(value: string, schemes = ['http:', 'https:']): Validation {
  try {
    return schemes.includes(new URL(value).protocol) ? true : `use ${schemes.join(' or ')}`
  } catch {
    return 'not a URL: e.g. https://hooks.example.com/zoom-webhook'
  }
}

/** A port is free when something can listen on it right now. */
export function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, host, () => server.close(() => resolve(true)))
  })
}

/** A PEM certificate and key that exist, parse, and belong together. */
export function checkCertificatePair(certPath: string, keyPath: string): Validation {
  let cert: X509Certificate
  try {
    cert = new X509Certificate(readFileSync(certPath))
  } catch (error) {
    return `${certPath}: not a PEM certificate (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`
  }
  try {
    return cert.checkPrivateKey(createPrivateKey(readFileSync(keyPath))) ? true : `${keyPath} is not the key of ${certPath}`
  } catch (error) {
    return `${keyPath}: not a PEM private key (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`
  }
}

export const QUESTIONS: Question[] = [
  {
    key: 'destination',
    message: 'Where should Zoom events go?',
    kind: 'select',
    choices: [
      {value: 'store', name: "zoomctl's own store (files under the data dir)"},
      {value: 'agent', name: 'onward to an Elastic Agent (the Zoom integration), verified by zoomctl first'},
      {value: 'elasticsearch', name: 'straight to Elasticsearch (the Zoom integration maps them)'},
    ],
    fallback: () => 'store',
  },
  {key: 'host', message: 'Listen address (0.0.0.0: every interface)', kind: 'text', fallback: () => '127.0.0.1'},
  {
    key: 'port',
    message: 'Port',
    kind: 'number',
    fallback: () => 8181,
    validate: async (value, answers) => {
      const port = Number(value)
      if (!Number.isInteger(port) || port < 0 || port > 65535) return 'a port from 1 to 65535 (0: any free port, for tests)'
      if (port === 0) return true
      return (await portFree(answers.host ?? '127.0.0.1', port)) ? true : `port ${port} is in use on ${answers.host}: pick another`
    },
  },
  {key: 'path', message: 'URL path', kind: 'text', fallback: () => '/zoom-webhook', validate: (value) => (value.startsWith('/') && !value.includes('?') ? true : 'a path such as /zoom-webhook, without a query string')},
  {
    key: 'tls',
    message: 'HTTPS (Zoom only delivers to https URLs with a public certificate)',
    kind: 'select',
    choices: [
      {value: 'proxy', name: 'a TLS proxy or load balancer is in front'},
      {value: 'certificate', name: 'zoomctl serves HTTPS with my certificate and key'},
      {value: 'none', name: 'none (local tests only)'},
    ],
    fallback: (answers) => (isLoopbackHost(answers.host ?? '127.0.0.1') ? 'none' : 'proxy'),
  },
  {key: 'tls-cert', message: 'Certificate (PEM, the full chain)', kind: 'text', when: (answers) => answers.tls === 'certificate'},
  {key: 'tls-key', message: 'Private key (PEM)', kind: 'text', when: (answers) => answers.tls === 'certificate', validate: (value, answers) => checkCertificatePair(answers['tls-cert'] ?? '', value)},
  {
    key: 'auth',
    message: 'Authentication on top of Zoom\'s signature',
    kind: 'select',
    choices: [
      {value: 'signature', name: "Zoom's signature only (x-zm-signature; recommended)"},
      {value: 'header', name: 'plus a static header (as the Elastic integration checks)'},
      {value: 'basic', name: 'plus Basic auth'},
      {value: 'bearer', name: 'plus a Bearer token'},
    ],
    fallback: () => 'signature',
  },
  {key: 'secret-token', message: "Your Zoom app's Secret Token (Enter: generate one, for local tests)", kind: 'secret', fallback: () => generatedToken()},
  {key: 'auth-value', message: 'Value of the static header', kind: 'secret', when: (answers) => answers.auth === 'header', fallback: () => generatedToken()},
  // serve takes the integration's default port facing Zoom; an agent on the same machine listens behind it, on the next one.
  {
    key: 'forward-to',
    message: "The Elastic Agent's Zoom endpoint, where serve forwards what it accepts",
    kind: 'text',
    when: (answers) => answers.destination === 'agent',
    fallback: (answers) => `http://127.0.0.1:${agentPortBehind(answers.port ?? 8181)}${answers.path ?? '/zoom-webhook'}`,
    validate: (value) => isUrl(value),
  },
  {key: 'agent-secret', message: "The agent's secret header value (Enter: generate one)", kind: 'secret', when: (answers) => answers.destination === 'agent', fallback: () => generatedToken()},
  {key: 'es-url', message: 'Elasticsearch URL', kind: 'text', when: (answers) => answers.destination === 'elasticsearch', validate: (value) => isUrl(value)},
  // A cluster may run without security (a local one often does): no key is an answer, and the connection check says whether it holds.
  {key: 'api-key', message: 'Elasticsearch API key (encoded, or id:key; Enter: none)', kind: 'secret', optional: true, when: (answers) => answers.destination === 'elasticsearch'},
  // Without a key, a user and password (the elastic user of a self-managed cluster), or nothing (security off).
  {key: 'username', message: 'Elasticsearch user, without an API key (Enter: none, for a cluster without security)', kind: 'text', optional: true, when: (answers) => answers.destination === 'elasticsearch' && !answers['api-key']},
  {key: 'password', message: "The Elasticsearch user's password", kind: 'secret', when: (answers) => answers.destination === 'elasticsearch' && !answers['api-key'] && Boolean(answers.username)},
  {key: 'kibana-url', message: 'Kibana URL, to add the Zoom integration to an agent policy (Enter: skip)', kind: 'text', optional: true, validate: (value) => (value ? isUrl(value) : true)},
  {key: 'kibana-api-key', message: 'Kibana API key (Enter: none)', kind: 'secret', optional: true, when: (answers) => Boolean(answers['kibana-url'])},
  {key: 'kibana-username', message: 'Kibana user, without an API key (Enter: none, for a Kibana without security)', kind: 'text', optional: true, when: (answers) => Boolean(answers['kibana-url']) && !answers['kibana-api-key']},
  {key: 'kibana-password', message: "The Kibana user's password", kind: 'secret', when: (answers) => Boolean(answers['kibana-url']) && !answers['kibana-api-key'] && Boolean(answers['kibana-username'])},
  // http only on this machine: a local test (Zoom itself calls https URLs only).
  {key: 'public-url', message: 'The https URL Zoom will call (Enter: decide later)', kind: 'text', optional: true, validate: (value) => (!value ? true : URL.canParse(value) && isLoopbackHost(new URL(value).hostname) ? isUrl(value) : isUrl(value, ['https:']))},
]

/** The port of an agent behind serve on the same machine: the next one (the one before, at the very top; after 8181 for any free port). */
function agentPortBehind(servePort: number): number {
  const base = servePort || 8181
  return base < 65535 ? base + 1 : base - 1
}
