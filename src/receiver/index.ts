export {DeliveryHandler, type DeliveryOutcome, type IncomingDelivery, type Reply} from './delivery-handler.js'
export {DEFAULT_HOST, DEFAULT_KEEP_OVERSIZED_BYTES, DEFAULT_MAX_BODY_BYTES, DEFAULT_PATH, DEFAULT_PORT, type ReceiverOptions, type RunningReceiver, startReceiver} from './server.js'
