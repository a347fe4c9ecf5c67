/**
 * SyncGroup, versions 0-3. The leader sends the assignment of every member; every member gets its own once
 * the assignment is stored in __consumer_offsets (followers wait for the leader). v3: static members.
 */
import {
  Apis,
  EMPTY_BUFFER,
  ErrorCode,
  type SyncGroupRequest,
  type SyncGroupResponse,
} from '@sluice/protocol';
import { coordinatorOf, counted } from '../groups/group-request.js';
import { defineHandler } from './handler.js';

export const syncGroupHandler = defineHandler<SyncGroupRequest, SyncGroupResponse>({
  api: Apis.SyncGroup,
  minVersion: 0,
  maxVersion: 3,
  async handle(broker, context, request) {
    const coordinator = coordinatorOf(broker);
    if (!coordinator) {
      return {
        throttleTimeMs: 0,
        errorCode: counted(context, ErrorCode.COORDINATOR_NOT_AVAILABLE),
        assignment: EMPTY_BUFFER,
      };
    }
    const result = await coordinator.syncGroup({
      groupId: request.groupId,
      generationId: request.generationId,
      memberId: request.memberId,
      groupInstanceId: context.apiVersion >= 3 ? request.groupInstanceId : null,
      protocolType: null,
      protocolName: null,
      assignments: request.assignments.map((entry) => ({
        memberId: entry.memberId,
        assignment: Buffer.from(entry.assignment),
      })),
    });
    return {
      throttleTimeMs: 0,
      errorCode: counted(context, result.errorCode),
      protocolType: result.protocolType,
      protocolName: result.protocolName,
      assignment: result.assignment,
    };
  },
});
