import type {ZoomApiClient} from './client.js'
import {ZoomApiError} from './errors.js'

const ROUTE = '/marketplace/app/event_subscription'

/** An event subscription as zoomctl works with it (Zoom's field names mapped once, here). */
export interface EventSubscription {
  id: string
  name?: string
  url: string
  events: string[]
  scope?: string
  /** default: made in the build flow (the API cannot change it); openapi: made through the API. */
  createdSource?: string
  subscriberId?: string
  /** Zoom's GET shows it only since 2026-01 (api.md A1): absent means unknown, not "none". */
  customHeader?: {type: number; key?: string}
}

/** The header Zoom adds to every delivery (custom_header_type 3), for an endpoint that checks a static header. */
export interface CustomHeader {
  key: string
  value: string
}

export interface NewSubscription {
  name: string
  url: string
  events: string[]
  customHeader?: CustomHeader
}

interface ZoomSubscriptionBody {
  event_subscription_id?: string
  event_subscription_name?: string
  event_webhook_url?: string
  events?: string[]
  subscription_scope?: string
  created_source?: string
  subscriber_id?: string
  custom_header?: {custom_header_type?: number; custom_header_key?: string}
}

function fromZoom(item: ZoomSubscriptionBody): EventSubscription {
  return {
    id: String(item.event_subscription_id ?? ''),
    ...(item.event_subscription_name ? {name: item.event_subscription_name} : {}),
    url: String(item.event_webhook_url ?? ''),
    events: Array.isArray(item.events) ? item.events.map(String) : [],
    ...(item.subscription_scope ? {scope: item.subscription_scope} : {}),
    ...(item.created_source ? {createdSource: item.created_source} : {}),
    ...(item.subscriber_id ? {subscriberId: item.subscriber_id} : {}),
    ...(item.custom_header && typeof item.custom_header.custom_header_type === 'number'
      ? {customHeader: {type: item.custom_header.custom_header_type, ...(item.custom_header.custom_header_key ? {key: item.custom_header.custom_header_key} : {})}}
      : {}),
  }
}

/**
 * Zoom's spec marks user_id required even for an account's subscriptions; whether Zoom enforces it is
 * unconfirmed (api.md A4). Asked without it first; refused for want of it, asked again for the token's
 * owner ("me": an S2S token is the owner's, api.md C2), and remembered for the rest of the run.
 */
const needsUserId = new WeakMap<ZoomApiClient, boolean>()

export async function listSubscriptions(api: ZoomApiClient, accountId: string | undefined): Promise<EventSubscription[]> {
  const query = {account_id: accountId, page_size: 100}
  if (!needsUserId.get(api)) {
    try {
      return (await api.allPages<ZoomSubscriptionBody>(ROUTE, 'event_subscriptions', query)).map(fromZoom)
    } catch (error) {
      if (!(error instanceof ZoomApiError && error.status === 400 && /user_?id/i.test(error.message))) throw error
      needsUserId.set(api, true)
    }
  }
  return (await api.allPages<ZoomSubscriptionBody>(ROUTE, 'event_subscriptions', {...query, user_id: 'me'})).map(fromZoom)
}

export async function getSubscription(api: ZoomApiClient, accountId: string | undefined, id: string): Promise<EventSubscription | undefined> {
  return (await listSubscriptions(api, accountId)).find((subscription) => subscription.id === id)
}

/** Creates an account-wide subscription; Zoom validates the URL first (1701 when the endpoint does not answer). */
export async function createSubscription(api: ZoomApiClient, accountId: string | undefined, wanted: NewSubscription): Promise<string> {
  const {body} = await api.call<{event_subscription_id?: string}>('POST', ROUTE, {
    body: {
      events: wanted.events,
      event_subscription_name: wanted.name,
      event_webhook_url: wanted.url,
      subscription_scope: 'account',
      ...(accountId ? {account_id: accountId} : {}),
      ...(wanted.customHeader ? {custom_header: {custom_header_type: 3, custom_header_key: wanted.customHeader.key, custom_header_value: wanted.customHeader.value}} : {}),
    },
  })
  return String(body.event_subscription_id ?? '')
}

export async function deleteSubscription(api: ZoomApiClient, id: string): Promise<void> {
  await api.call('DELETE', `${ROUTE}/${encodeURIComponent(id)}`)
}
