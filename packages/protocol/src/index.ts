export {
  type ApiDefinition,
  EMPTY_BUFFER,
  type Input,
  type TaggedField,
} from './codec-support.js';
export {
  type CompressionCodec,
  compressionCodec,
  DEFAULT_MAX_UNCOMPRESSED_BYTES,
  isCompressionAvailable,
} from './compression.js';
export {
  CONSUMER_ASSIGNMENT_VERSION_MAX,
  CONSUMER_PROTOCOL_TYPE,
  CONSUMER_SUBSCRIPTION_VERSION_MAX,
  type ConsumerProtocolAssignment,
  type ConsumerProtocolSubscription,
  decodeConsumerProtocolAssignment,
  decodeConsumerProtocolSubscription,
  encodeConsumerProtocolAssignment,
  encodeConsumerProtocolSubscription,
  type TopicPartitions,
} from './consumer-protocol.js';
export { crc32c, crc32cImplementation, crc32cPortable } from './crc32c.js';
export { DecodeError } from './decode-error.js';
export {
  type DecodedRequest,
  decodeRequestFrame,
  decodeResponseFrame,
  encodeRequestFrame,
  encodeResponseFrame,
  isFlexible,
  type RequestPreamble,
  readRequestPreamble,
  requestHeaderVersion,
  responseHeaderVersion,
} from './frame.js';
export {
  type FrameBounds,
  FrameDecoder,
  FrameSizeError,
  MIN_REQUEST_FRAME_BYTES,
  MIN_RESPONSE_FRAME_BYTES,
} from './frame-decoder.js';
export * from './generated/index.js';
export { KafkaError } from './kafka-error.js';
export { Reader } from './reader.js';
export {
  type DecodeRecordBatchOptions,
  decodeControlRecord,
  decodeRecordBatch,
  decodeRecordBatches,
  encodeControlRecord,
  encodeRecordBatch,
  type KafkaRecord,
  type RecordBatch,
  type RecordBatchInput,
  type RecordHeader,
  type RecordInput,
  type TimestampTypeName,
} from './record-batch.js';
export {
  BatchLayout,
  COMPRESSION_MASK,
  CONTROL_MASK,
  type CompressionName,
  CompressionType,
  CURRENT_MAGIC,
  compressionOf,
  computeBatchCrc,
  DELETE_HORIZON_MASK,
  isBatchCrcValid,
  isControlBatch,
  isTransactionalBatch,
  LOG_OVERHEAD_BYTES,
  NO_PARTITION_LEADER_EPOCH,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  NO_SEQUENCE,
  RECORD_BATCH_HEADER_BYTES,
  type RecordBatchHeader,
  readRecordBatchHeader,
  TIMESTAMP_TYPE_MASK,
  TimestampType,
  TRANSACTIONAL_MASK,
} from './record-batch-header.js';
export {
  appendRecord,
  type RecordField,
  type RecordHeaderField,
  recordBodyBytes,
  recordFieldBytes,
  recordFieldWithLengthBytes,
  recordHeadersBytes,
  varintBytes,
  varlongBytes,
  writeRecordField,
  writeVarint,
  writeVarlong,
} from './record-encoding.js';
export { isUuid, uuidFromBytes, uuidToBytes, ZERO_UUID } from './uuid.js';
export { REFERENCE_THRESHOLD_BYTES, type Slot, Writer } from './writer.js';
