import {appendFrom, copyField, isIpAddress, removeField, setField} from '../document.js'
import {type PipelineContext, since, zoom} from './shared.js'

/**
 * What meeting and webinar pipelines do alike since 1.23.0: a participant's public_ip becomes source.ip
 * and related.ip. GeoIP then fills source.geo/source.as from Elasticsearch's databases, which zoomctl
 * does not carry: those fields are left to Elasticsearch.
 */
export function participantSourceIp(context: PipelineContext): void {
  if (!since(context, 'participantIdentity')) return
  const {doc} = context
  const ip = zoom(context, 'participant.public_ip')
  if (ip !== null && ip !== undefined && ip !== '' && isIpAddress(ip)) setField(doc, 'source.ip', ip)
  appendFrom(doc, 'related.ip', 'source.ip', {allowDuplicates: false})
  removeField(doc, 'zoom.participant.public_ip')
}

export function participantEmail(context: PipelineContext): void {
  if (since(context, 'participantIdentity')) copyField(context.doc, 'user.email', 'zoom.participant.email', {ignoreEmpty: true})
}

export function participantRelatedIds(context: PipelineContext): void {
  if (!since(context, 'participantIdentity')) return
  appendFrom(context.doc, 'related.user', 'zoom.participant.user_id', {allowDuplicates: false})
  appendFrom(context.doc, 'related.user', 'zoom.participant.participant_uuid', {allowDuplicates: false})
}
