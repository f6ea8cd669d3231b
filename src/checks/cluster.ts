import type {ClusterInfo} from '../elastic/connection.js'
import {compareServerVersions, OLDEST_ELASTICSEARCH, ZOOM_TEMPLATE} from '../elastic/names.js'
import type {ForwardPrivileges, Privileges, ZoomAssets} from '../elastic/queries.js'
import {LATEST_KNOWN_VERSION, OLDEST_SUPPORTED_VERSION} from '../mapping/index.js'
import {compareVersions} from '../mapping/version.js'
import {type Check, fail, pass, skip, warn} from './model.js'

/** What validate needs to read: the Zoom data streams' documents and metadata. */
export const READ_PRIVILEGES = ['read', 'view_index_metadata']

export function judgeCluster(info: ClusterInfo, credential: string): Check {
  const id = 'elastic.cluster'
  const title = 'Elasticsearch reachable'
  const who = `${info.clusterName ? `cluster ${info.clusterName}, ` : ''}as ${credential}`
  if (info.distribution && info.distribution !== 'elasticsearch') {
    return warn(id, title, `${info.distribution} ${info.version} (${who})`, `this is not Elasticsearch: Elastic's Zoom integration runs only on Elasticsearch ${OLDEST_ELASTICSEARCH}+`, {data: {...info}})
  }
  if (info.serverless) return pass(id, title, `Serverless (${who})`, {data: {...info}})
  if (compareServerVersions(info.version, OLDEST_ELASTICSEARCH) < 0) {
    return fail(id, title, `${info.version} (${who})`, `zoomctl needs Elasticsearch ${OLDEST_ELASTICSEARCH} or later; the Zoom integration 1.x needs 8.13+`, {data: {...info}})
  }
  return pass(id, title, `Elasticsearch ${info.version} (${who})`, {data: {...info}})
}

export function judgePrivileges(privileges: Privileges | undefined, wanted: string[], pattern: string): Check {
  const id = 'elastic.privileges'
  const title = `privileges on ${pattern}`
  if (!privileges) return skip(id, title, 'the cluster has no security API to ask (security off)')
  const missing = wanted.filter((privilege) => privileges.index[privilege] !== true)
  const who = privileges.username ? ` (${privileges.username})` : ''
  if (missing.length) {
    return fail(id, title, `missing ${missing.join(', ')}${who}`, `grant ${missing.join(' and ')} on ${pattern} to the role of these credentials; without them 0 documents proves nothing`, {
      data: {missing, username: privileges.username},
    })
  }
  return pass(id, title, `${wanted.join(', ')}${who}`)
}

/**
 * Whether these credentials let serve --es-url forward: create documents in the data stream (else nothing is
 * indexed), and claim each event in zoomctl-dedupe-* for exactly once (else forwarding pauses on the first
 * claim, until they are granted or serve runs with --no-dedupe-index). Dropping old claim days only costs disk.
 */
export function judgeForwardPrivileges(found: ForwardPrivileges | undefined, dataStream: string, claimPattern: string): Check {
  const id = 'elastic.forward-privileges'
  const title = 'privileges serve --es-url needs'
  if (!found) return skip(id, title, 'the cluster has no security API to ask (security off)')
  const who = found.username ? ` (${found.username})` : ''
  const data = {username: found.username, dataStream: found.dataStream, claims: found.claims}
  if (found.dataStream.create_doc !== true) {
    return fail(id, title, `cannot create documents in ${dataStream}${who}`, `grant create_doc on ${dataStream.replace(/-[^-]+$/, '-*')} to the role of these credentials: serve's forwarding pauses on the first batch without it`, {data})
  }
  const claims: string[] = []
  if (found.claims.create_doc !== true) claims.push(`create_doc on ${claimPattern}`)
  if (found.claims.auto_configure !== true && found.claims.create_index !== true) claims.push(`auto_configure (or create_index) on ${claimPattern}`)
  if (found.dataStream.read !== true) claims.push(`read on ${dataStream}`)
  if (claims.length) {
    return warn(id, title, `exactly-once claims not allowed: missing ${claims.join(', ')}${who}`, `grant them, or run serve with --no-dedupe-index (a copy after a rollover is then indexed again): without them serve's forwarding pauses at its first claim`, {data})
  }
  if (found.claims.delete_index !== true) {
    return warn(id, title, `cannot drop old claim indices: missing delete_index on ${claimPattern}${who}`, 'grant delete_index on it: each day of claims (one small document an event) otherwise stays', {data})
  }
  return pass(id, title, `create_doc and read on ${dataStream}; create_doc, ${found.claims.auto_configure ? 'auto_configure' : 'create_index'} and delete_index on ${claimPattern}${who}`, {data})
}

export interface AssetVerdict {
  checks: Check[]
  /** The integration version the field expectations follow: the installed one when zoomctl knows it. */
  integrationVersion: string
}

export function judgeAssets(assets: ZoomAssets, dataStream: string, requestedVersion?: string, templateName = ZOOM_TEMPLATE): AssetVerdict {
  const checks: Check[] = []
  const install = 'install it: Kibana → Integrations → Zoom → Add Zoom, or zoomctl setup'
  const {template, pipelines, dataStreams} = assets
  if (template.ok) {
    const how = template.value.managedBy === 'fleet' ? 'managed by Fleet' : 'present'
    checks.push(pass('zoom.template', `index template ${templateName}`, how))
  } else if (template.status === 403) {
    checks.push(warn('zoom.template', `index template ${templateName}`, 'not allowed to read it', `${template.reason}; or grant the monitor cluster privilege`))
  } else {
    checks.push(fail('zoom.template', `index template ${templateName}`, 'not installed', `the Zoom integration is not installed in this cluster: ${install}`))
  }

  let integrationVersion = requestedVersion ?? LATEST_KNOWN_VERSION
  if (pipelines.ok && pipelines.value.length) {
    const installed = pipelines.value[pipelines.value.length - 1]!
    const title = `ingest pipelines ${templateName}-<version>`
    const value = `version ${pipelines.value.join(', ')}`
    if (compareVersions(installed, OLDEST_SUPPORTED_VERSION) < 0 || compareVersions(installed, LATEST_KNOWN_VERSION) > 0) {
      checks.push(
        warn('zoom.pipelines', title, value, `zoomctl reproduces ${OLDEST_SUPPORTED_VERSION}–${LATEST_KNOWN_VERSION}: fields are checked as ${integrationVersion} maps them`, {
          data: {installed: pipelines.value},
        }),
      )
    } else {
      if (!requestedVersion) integrationVersion = installed
      checks.push(pass('zoom.pipelines', title, value, {data: {installed: pipelines.value}}))
    }
    if (requestedVersion && requestedVersion !== installed) {
      checks.push(warn('zoom.version', 'integration version', `installed ${installed}, checking as ${requestedVersion}`, 'drop --integration-version to check against the installed version'))
    }
  } else if (!pipelines.ok && pipelines.status === 403) {
    checks.push(warn('zoom.pipelines', `ingest pipelines ${templateName}-<version>`, 'not allowed to read them', `${pipelines.reason}; or grant read_pipeline`))
  } else {
    checks.push(fail('zoom.pipelines', `ingest pipelines ${templateName}-<version>`, 'none', `without them documents are not mapped (no event.action): ${install}`))
  }

  if (dataStreams.ok) {
    const found = dataStreams.value.find((stream) => stream.name === dataStream)
    const others = dataStreams.value.map((stream) => stream.name).filter((name) => name !== dataStream)
    if (found) {
      const health = found.status && found.status !== 'GREEN' ? warn : pass
      checks.push(
        health === pass
          ? pass('zoom.data-stream', `data stream ${dataStream}`, `${found.indices} backing index(es)${found.status ? `, ${found.status}` : ''}`)
          : warn('zoom.data-stream', `data stream ${dataStream}`, `status ${found.status}`, 'the cluster is short of nodes or disk for its replicas: GET _cluster/health explains'),
      )
    } else {
      const hint = others.length
        ? `found ${others.join(', ')}: use --namespace ${others[0]!.slice(templateName.length + 1)}`
        : 'nothing was ever indexed by the integration: send an event (zoomctl simulate meeting.started --url <endpoint>) and check the agent'
      checks.push(fail('zoom.data-stream', `data stream ${dataStream}`, 'does not exist', hint))
    }
  } else {
    checks.push(warn('zoom.data-stream', `data stream ${dataStream}`, 'not allowed to list data streams', dataStreams.reason))
  }
  return {checks, integrationVersion}
}
