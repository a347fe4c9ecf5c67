/**
 * FindCoordinator, versions 0-2. A group's coordinator is the leader of its partition of __consumer_offsets:
 * this broker, which leads every partition. Transaction coordinators (key type 1) do not exist in Sluice
 * yet: COORDINATOR_NOT_AVAILABLE. Any other key type is INVALID_REQUEST.
 */
import {
  Apis,
  ErrorCode,
  type FindCoordinatorRequest,
  type FindCoordinatorResponse,
  type Input,
} from '@sluice/protocol';
import { OFFSETS_TOPIC_NAME } from '../groups/offsets-topic.js';
import { defineHandler } from './handler.js';

const KEY_TYPE_GROUP = 0;
const KEY_TYPE_TRANSACTION = 1;

export const findCoordinatorHandler = defineHandler<FindCoordinatorRequest, FindCoordinatorResponse>({
  api: Apis.FindCoordinator,
  minVersion: 0,
  maxVersion: 2,
  async handle(broker, context, request) {
    const keyType = context.apiVersion >= 1 ? request.keyType : KEY_TYPE_GROUP;
    const fail = (errorCode: number, errorMessage: string): Input<FindCoordinatorResponse> => {
      context.recordError(errorCode);
      return { throttleTimeMs: 0, errorCode, errorMessage, nodeId: -1, host: '', port: -1, coordinators: [] };
    };
    if (keyType === KEY_TYPE_TRANSACTION) {
      return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'This broker has no transaction coordinator.');
    }
    if (keyType !== KEY_TYPE_GROUP)
      return fail(ErrorCode.INVALID_REQUEST, `Unknown coordinator key type ${keyType}.`);
    const coordinator = broker.groupCoordinator;
    if (!coordinator || broker.isShuttingDown) {
      return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The group coordinator is not running.');
    }
    const partition = broker.getPartition(OFFSETS_TOPIC_NAME, coordinator.partitionFor(request.key));
    if (!partition?.isLeader) {
      return fail(
        ErrorCode.COORDINATOR_NOT_AVAILABLE,
        `No leader here for the offsets partition of ${request.key}.`,
      );
    }
    const node = broker.advertisedNode;
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      nodeId: node.nodeId,
      host: node.host,
      port: node.port,
      coordinators: [],
    };
  },
});
