import type {ReportStream} from '../../zoom/reports.js'
import {append, appendFrom, copyField, type Doc, getField, isIpAddress, removeFields, rename, setField} from '../document.js'
import {hasText, parseIso8601, parseZoomActivityTime, reportDate, type ReportSteps, TaggedFailure, withTag} from './frame.js'

/** The activity pipeline: sign-in/sign-out records of GET /v2/report/activities. */
const activity: ReportSteps = {
  key: 'activity',
  run(doc) {
    reportDate(doc, 'zoom.activity.time', [parseIso8601])
    withTag('rename_activity_version_to_client_version', () => rename(doc, 'zoom.activity.version', 'zoom.activity.client_version', {ignoreMissing: true}))
    setField(doc, 'event.kind', 'event')
    const type = getField(doc, 'zoom.activity.type')
    if (type === 'Sign in') setField(doc, 'event.action', 'sign-in')
    if (type === 'Sign out') setField(doc, 'event.action', 'sign-out')
    const session = type === 'Sign in' || type === 'Sign out'
    if (session) append(doc, 'event.category', ['authentication', 'session'], {allowDuplicates: false})
    if (type === 'Sign in') append(doc, 'event.type', 'start', {allowDuplicates: false})
    if (type === 'Sign out') append(doc, 'event.type', 'end', {allowDuplicates: false})
    if (session) setField(doc, 'event.outcome', 'success')

    withTag('rename_activity_email_to_user_email', () => rename(doc, 'zoom.activity.email', 'user.email', {ignoreMissing: true}))
    copyField(doc, 'user.name', 'user.email', {ignoreEmpty: true})

    if (hasText(doc, 'zoom.activity.ip_address')) {
      const address = getField(doc, 'zoom.activity.ip_address')
      if (isIpAddress(String(address))) {
        setField(doc, 'source.ip', address)
      } else {
        removeFields(doc, 'zoom.activity.ip_address')
        append(doc, 'error.message', `Failed to convert zoom.activity.ip_address to IP: [${String(address)}] is not a valid ipv4/ipv6 address`)
      }
    }
    // The GeoIP and ASN lookups that follow need Elasticsearch's databases: source.geo and source.as are
    // left to Elasticsearch (see the conformance test's ENVIRONMENT fields).

    appendFrom(doc, 'related.user', 'user.email', {allowDuplicates: false})
    appendFrom(doc, 'related.ip', 'source.ip', {allowDuplicates: false})
    removeFields(doc, 'zoom.activity.time', 'zoom.activity.ip_address', 'zoom.activity.email')
  },
}

/** The operation pipeline: admin operation logs of GET /v2/report/operationlogs. */
const operation: ReportSteps = {
  key: 'operation',
  run(doc) {
    reportDate(doc, 'zoom.operation.time', [parseIso8601])
    setField(doc, 'event.kind', 'event')
    copyField(doc, 'event.action', 'zoom.operation.action', {ignoreEmpty: true})
    append(doc, 'event.category', 'configuration')
    const category = getField(doc, 'zoom.operation.category_type')
    if (category !== undefined && category !== null && /user|role/.test(lowerCase(category, 'append_event_category_iam'))) append(doc, 'event.category', 'iam')
    append(doc, 'event.type', 'change')
    const action = getField(doc, 'event.action')
    if (action !== undefined && action !== null) {
      if (/create|add/.test(lowerCase(action, 'append_event_type_creation'))) append(doc, 'event.type', 'creation')
      if (/delete|remove/.test(lowerCase(action, 'append_event_type_deletion'))) append(doc, 'event.type', 'deletion')
    }
    const types = getField(doc, 'event.type') as unknown[]
    if (!types.includes('creation') && !types.includes('deletion')) append(doc, 'event.type', 'info')

    withTag('rename_operation_operator_to_user_name', () => rename(doc, 'zoom.operation.operator', 'user.name', {ignoreMissing: true}))
    const name = getField(doc, 'user.name')
    if (typeof name === 'string' && name.includes('@')) copyField(doc, 'user.email', 'user.name', {ignoreEmpty: true})
    appendFrom(doc, 'related.user', 'user.name', {allowDuplicates: false})
    removeFields(doc, 'zoom.operation.time')
  },
}

/** The meeting_activity pipeline: the meeting audit trail of GET /v2/report/meeting_activities. */
const meetingActivity: ReportSteps = {
  key: 'meeting_activity',
  run(doc) {
    reportDate(doc, 'zoom.meeting_activity.activity_time', [parseZoomActivityTime, parseIso8601])
    setField(doc, 'event.kind', 'event')
    copyField(doc, 'event.action', 'zoom.meeting_activity.activity_category', {ignoreEmpty: true})
    append(doc, 'event.type', 'info')
    withTag('rename_meeting_activity_operator_email_to_user_email', () =>
      rename(doc, 'zoom.meeting_activity.operator_email', 'user.email', {ignoreMissing: true}),
    )
    withTag('rename_meeting_activity_operator_to_user_name', () => rename(doc, 'zoom.meeting_activity.operator', 'user.name', {ignoreMissing: true}))
    appendFrom(doc, 'related.user', 'user.email', {allowDuplicates: false})
    appendFrom(doc, 'related.user', 'user.name', {allowDuplicates: false})
    removeFields(doc, 'zoom.meeting_activity.activity_time')
  },
}

/** Painless `x.toLowerCase()` in a processor's condition: anything but text fails the pipeline. */
function lowerCase(value: unknown, tag: string): string {
  if (typeof value !== 'string') throw new TaggedFailure('append', tag, `dynamic method [${typeof value}, toLowerCase/0] not found`)
  return value.toLowerCase()
}

export const REPORT_STEPS: Record<ReportStream, ReportSteps> = {activity, operation, meeting_activity: meetingActivity}

export type {Doc}
