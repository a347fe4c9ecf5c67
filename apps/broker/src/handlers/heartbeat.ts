/**
 * Heartbeat, versions 0-3: keeps a member's session alive. REBALANCE_IN_PROGRESS tells it to rejoin;
 * ILLEGAL_GENERATION and UNKNOWN_MEMBER_ID that it missed a rebalance or was removed; FENCED_INSTANCE_ID
 * (v3, static members) that another instance took its place.
 */
import { Apis, ErrorCode, type HeartbeatRequest, type HeartbeatResponse } from '@sluice/protocol';
import { coordinatorOf, counted } from '../groups/group-request.js';
import { defineHandler } from './handler.js';

export const heartbeatHandler = defineHandler<HeartbeatRequest, HeartbeatResponse>({
  api: Apis.Heartbeat,
  minVersion: 0,
  maxVersion: 3,
  async handle(broker, context, request) {
    const coordinator = coordinatorOf(broker);
    const errorCode = coordinator
      ? coordinator.heartbeat({
          groupId: request.groupId,
          generationId: request.generationId,
          memberId: request.memberId,
          groupInstanceId: context.apiVersion >= 3 ? request.groupInstanceId : null,
        })
      : ErrorCode.COORDINATOR_NOT_AVAILABLE;
    return { throttleTimeMs: 0, errorCode: counted(context, errorCode) };
  },
});
