/**
 * What Elastic's side is called and which servers zoomctl speaks to: names and versions only, so that a
 * judgement or a command that names them does not load the Elasticsearch client (a quarter of a second).
 */

/** Names Fleet gives the Zoom integration's webhook assets. */
export const ZOOM_DATASET = 'zoom.webhook'
export const ZOOM_TEMPLATE = 'logs-zoom.webhook'
export const ZOOM_PATTERN = 'logs-zoom.webhook-*'
export const zoomDataStream = (namespace: string) => `logs-zoom.webhook-${namespace}`

/** The names Fleet gives one of the integration's data streams: webhook, or an audit stream (activity …). */
export interface ZoomStreamNames {
  dataset: string
  template: string
  pattern: string
  dataStream(namespace: string): string
}

export function zoomStreamNames(stream: string): ZoomStreamNames {
  const template = `logs-zoom.${stream}`
  return {dataset: `zoom.${stream}`, template, pattern: `${template}-*`, dataStream: (namespace) => `${template}-${namespace}`}
}

export const WEBHOOK_NAMES = zoomStreamNames('webhook')

/** The oldest Elasticsearch that sends x-elastic-product, which the client needs. */
export const OLDEST_ELASTICSEARCH = '7.14.0'

/** Compares server versions ("8.15.0", "9.1.0-SNAPSHOT"): negative when a < b. */
export function compareServerVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((part) => Number.parseInt(part, 10) || 0)
  const pb = b.split(/[.-]/).map((part) => Number.parseInt(part, 10) || 0)
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0)
  return 0
}

/** The field of every document serve indexes that holds its dedupe key: ECS labels are keywords in any mapping. */
export const DEDUPE_KEY_FIELD = 'labels.zoomctl_dedupe_key'
