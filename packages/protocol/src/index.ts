export {
  type ApiDefinition,
  EMPTY_BUFFER,
  type Input,
  type TaggedField,
} from './codec-support.js';
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
export * from './generated/index.js';
export { KafkaError } from './kafka-error.js';
export { Reader } from './reader.js';
export { isUuid, uuidFromBytes, uuidToBytes, ZERO_UUID } from './uuid.js';
export { REFERENCE_THRESHOLD_BYTES, type Slot, Writer } from './writer.js';
