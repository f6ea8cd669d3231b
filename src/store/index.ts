export {dedupeKey} from './dedupe.js'
export {DEFAULT_DATA_DIR, FileStore, type FileStoreOptions, removeUnusedDataDir, StoreError} from './file-store.js'
export {type DeliveryRecord, encodeRawBody, rawBodyBytes, type RecordMeta, STORE_KINDS, type StoreKind} from './records.js'
