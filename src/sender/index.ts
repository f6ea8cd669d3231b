export {type BurstOptions, type BurstReport, runBurst} from './burst.js'
export {type ChallengeReport, checkUrlValidation} from './challenge-check.js'
export {type ClientOptions, createDispatcher, type DeliveryResult, describeNetworkError, safeOrigin, sendDelivery} from './client.js'
export {shellQuote, toCurl} from './curl.js'
export {type PreparedDelivery, type PrepareOptions, prepareDelivery} from './prepare.js'
export {
  BodyFactory,
  type EventSelection,
  planDeliveries,
  type PlannedDelivery,
  readPayloadFile,
  selectEvents,
  type SentDelivery,
  sendInOrder,
} from './simulation.js'
