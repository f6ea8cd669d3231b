import {UserError} from '../errors.js'
import {REPORT_STREAMS, type ReportStream} from '../zoom/reports.js'

/**
 * The Zoom integration's webhook input as Fleet takes it (../shared/elastic-api §E3): the simplified format
 * on Kibana 8.5+, the legacy one before. Pure: the Fleet client sends what this builds.
 */
export interface WebhookInput {
  /** Where the Elastic Agent listens: its listen_address, listen_port and url (path). */
  listenAddress: string
  listenPort: number
  path: string
  /** Zoom's Secret Token: CRC on, so that the agent answers Zoom's URL validation. */
  crcSecret?: string
  /** The static header the agent checks (secret_header / secret_value). */
  secretHeader?: string
  secretValue?: string
}

/**
 * The audit streams (the CEL input) as setup enables them: the Zoom app's credentials and where the agent
 * polls, package-level vars of the integration (../shared/zoom/api.md F3), and the streams to run.
 */
export interface AuditStreamsInput {
  streams: ReportStream[]
  /** The integration's `url`: Zoom's API (https://api.zoom.us), or a simulate-api in test mode. */
  url: string
  /** The integration's `token_url` (the agent appends /oauth/token): https://zoom.us, or the simulate-api. */
  tokenUrl: string
  accountId: string
  clientId: string
  clientSecret: string
}

export interface PolicyTarget {
  name: string
  namespace: string
  agentPolicyId: string
  packageVersion: string
  kibanaVersion: string
}

export const POLICY_TEMPLATE_INPUT = 'zoom-http_endpoint'
export const SIBLING_INPUT = 'zoom-cel'
export const WEBHOOK_STREAM = 'zoom.webhook'

function webhookVars(input: WebhookInput): Record<string, unknown> {
  return {
    listen_address: input.listenAddress,
    listen_port: input.listenPort,
    url: input.path,
    crc_enabled: Boolean(input.crcSecret),
    ...(input.crcSecret ? {crc_secret: input.crcSecret} : {}),
    ...(input.secretValue ? {secret_header: input.secretHeader ?? 'Authorization', secret_value: input.secretValue} : {}),
  }
}

/** Kibana's simplified package policies exist from 8.5 (PR #139420). */
export function supportsSimplified(kibanaVersion: string): boolean {
  const [major = 0, minor = 0] = kibanaVersion.split('.').map(Number)
  return major > 8 || (major === 8 && minor >= 5)
}

/** policy_ids (a list) since 8.15; policy_id before. */
function policyReference(target: PolicyTarget): Record<string, unknown> {
  const [major = 0, minor = 0] = target.kibanaVersion.split('.').map(Number)
  return major > 8 || (major === 8 && minor >= 15) ? {policy_ids: [target.agentPolicyId]} : {policy_id: target.agentPolicyId}
}

export function packagePolicyBody(target: PolicyTarget, input: WebhookInput, audit?: AuditStreamsInput): Record<string, unknown> {
  const base = {name: target.name, namespace: target.namespace, description: 'Zoom webhooks, set up by zoomctl', ...policyReference(target)}
  if (supportsSimplified(target.kibanaVersion)) {
    const cel = audit?.streams.length
      ? {
          enabled: true,
          streams: Object.fromEntries(REPORT_STREAMS.map((stream) => [`zoom.${stream}`, {enabled: audit.streams.includes(stream)}])),
        }
      : // Inputs left out keep the package default, and the CEL input's required vars would fail the policy.
        {enabled: false}
    return {
      ...base,
      package: {name: 'zoom', version: target.packageVersion},
      ...(audit?.streams.length
        ? {vars: {url: audit.url, token_url: audit.tokenUrl, account_id: audit.accountId, client_id: audit.clientId, client_secret: audit.clientSecret}}
        : {}),
      inputs: {
        [POLICY_TEMPLATE_INPUT]: {enabled: true, streams: {[WEBHOOK_STREAM]: {enabled: true, vars: webhookVars(input)}}},
        [SIBLING_INPUT]: cel,
      },
    }
  }
  if (audit?.streams.length) throw new UserError(`Kibana ${target.kibanaVersion} takes package policies in the legacy format only, which zoomctl writes for the webhook stream alone`, {hint: 'enable the activity, operation and meeting_activity streams in Fleet (Zoom integration → Collect Zoom logs via API), or upgrade Kibana to 8.5+'})
  const typed: Record<string, string> = {listen_address: 'text', listen_port: 'integer', url: 'text', crc_enabled: 'bool', crc_secret: 'password', secret_header: 'text', secret_value: 'password'}
  return {
    ...base,
    enabled: true,
    package: {name: 'zoom', title: 'Zoom', version: target.packageVersion},
    inputs: [
      {
        type: 'http_endpoint',
        policy_template: 'zoom',
        enabled: true,
        streams: [
          {
            enabled: true,
            data_stream: {type: 'logs', dataset: WEBHOOK_STREAM},
            vars: Object.fromEntries(Object.entries(webhookVars(input)).map(([name, value]) => [name, {value, type: typed[name] ?? 'text'}])),
          },
        ],
      },
    ],
  }
}

/** The body as shown before it is sent: secrets replaced. */
export function redactedBody(body: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(body, (key, value) => (/^(crc_secret|secret_value|client_secret)$/.test(key) ? (typeof value === 'object' && value ? {...value, value: '********'} : '********') : value))) as Record<string, unknown>
}
