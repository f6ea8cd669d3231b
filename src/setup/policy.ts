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

export function packagePolicyBody(target: PolicyTarget, input: WebhookInput): Record<string, unknown> {
  const base = {name: target.name, namespace: target.namespace, description: 'Zoom webhooks, set up by zoomctl', ...policyReference(target)}
  if (supportsSimplified(target.kibanaVersion)) {
    return {
      ...base,
      package: {name: 'zoom', version: target.packageVersion},
      inputs: {
        [POLICY_TEMPLATE_INPUT]: {enabled: true, streams: {[WEBHOOK_STREAM]: {enabled: true, vars: webhookVars(input)}}},
        // Inputs left out keep the package default, and the CEL input's required vars would fail the policy.
        [SIBLING_INPUT]: {enabled: false},
      },
    }
  }
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
  return JSON.parse(JSON.stringify(body, (key, value) => (/^(crc_secret|secret_value)$/.test(key) ? (typeof value === 'object' && value ? {...value, value: '********'} : '********') : value))) as Record<string, unknown>
}
