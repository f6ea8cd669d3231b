export {dedupeKey} from './dedupe.js'
export {FileStore, type FileStoreOptions, StoreError} from './file-store.js'
export {type DeliveryRecord, encodeRawBody, rawBodyBytes, type RecordMeta, STORE_KINDS, type StoreKind} from './records.js'
