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
 * indexed); and find and delete a copy that lands in a newer backing index than its first (else forwarding
 * pauses, until they are granted or serve runs with --no-dedupe-index): the backing indices' creation
 * dates are read at the first batch, an earlier copy looked up and a later one deleted only after a rollover.
 */
export function judgeForwardPrivileges(found: ForwardPrivileges | undefined, dataStream: string): Check {
  const id = 'elastic.forward-privileges'
  const title = 'privileges serve --es-url needs'
  if (!found) return skip(id, title, 'the cluster has no security API to ask (security off)')
  const who = found.username ? ` (${found.username})` : ''
  const data = {username: found.username, dataStream: found.dataStream}
  const pattern = dataStream.replace(/-[^-]+$/, '-*')
  if (found.dataStream.create_doc !== true) {
    return fail(id, title, `cannot create documents in ${dataStream}${who}`, `grant create_doc on ${pattern} to the role of these credentials: serve's forwarding pauses on the first batch without it`, {data})
  }
  const missing = ['view_index_metadata', 'read', 'delete'].filter((privilege) => found.dataStream[privilege] !== true)
  if (missing.length) {
    const when = missing.includes('view_index_metadata') ? 'at its first batch' : 'at the first copy that lands in a newer backing index than its first'
    return warn(id, title, `the rollover dedupe is not allowed: missing ${missing.join(', ')} on ${dataStream}${who}`, `grant ${missing.join(', ')} on ${pattern}, or run serve with --no-dedupe-index (a copy after a rollover is then indexed again): without them serve's forwarding pauses ${when}`, {data})
  }
  return pass(id, title, `create_doc, view_index_metadata, read and delete on ${dataStream}${who}`, {data})
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
