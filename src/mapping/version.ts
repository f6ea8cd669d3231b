/**
 * Versions of Elastic's Zoom integration whose webhook pipelines zoomctl reproduces. Behaviour that came
 * later is gated by the version it came in, so a document can be checked against the version a user runs.
 */
export const OLDEST_SUPPORTED_VERSION = '1.20.0'
export const LATEST_KNOWN_VERSION = '1.27.2'

export const FEATURES = {
  /** participant.email → user.email, participant user_id/uuid → related.user, public_ip → source.ip (PR #14499). */
  participantIdentity: '1.23.0',
  /** user.email from operator only when it holds an @, else from the user object. */
  userEmailNeedsAt: '1.23.0',
  /** Top-level on_failure tags the document preserve_original_event. */
  failureTagTopLevel: '1.21.0',
  /** Category pipelines' on_failure also tag it. */
  failureTagCategories: '1.27.2',
  /** The audit streams' pipelines tag a document preserve_original_event when it holds an error. */
  reportFailureTag: '1.27.2',
} as const

/** The released versions zoomctl knows, oldest first (the conformance test runs each that has a stream). */
export const KNOWN_VERSIONS = ['1.20.0', '1.20.1', '1.21.0', '1.22.0', '1.23.0', '1.24.0', '1.25.0', '1.26.0', '1.27.0', '1.27.1', '1.27.2'] as const

export type Feature = keyof typeof FEATURES

export function parseVersion(text: string): [number, number, number] {
  const match = /^(\d+)\.(\d+)(?:\.(\d+))?$/.exec(text.trim())
  if (!match) throw new Error(`"${text}" is not an integration version such as ${LATEST_KNOWN_VERSION}`)
  return [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)]
}

export function compareVersions(a: string, b: string): number {
  const left = parseVersion(a)
  const right = parseVersion(b)
  for (let i = 0; i < 3; i++) if (left[i] !== right[i]) return left[i]! - right[i]!
  return 0
}

export function assertSupportedVersion(version: string): void {
  if (compareVersions(version, OLDEST_SUPPORTED_VERSION) < 0) {
    throw new Error(`integration version ${version} is older than ${OLDEST_SUPPORTED_VERSION}, the oldest zoomctl reproduces`)
  }
}

export function hasFeature(version: string, feature: Feature): boolean {
  return compareVersions(version, FEATURES[feature]) >= 0
}
