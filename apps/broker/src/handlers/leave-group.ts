/**
 * LeaveGroup, versions 0-1: one member leaves its group, which rebalances without it. (v3+, several members
 * and static members by instance id, is not served; the coordinator supports it.)
 */
import { Apis, ErrorCode, type LeaveGroupRequest, type LeaveGroupResponse } from '@sluice/protocol';
import { coordinatorOf, counted } from '../groups/group-request.js';
import { defineHandler } from './handler.js';

export const leaveGroupHandler = defineHandler<LeaveGroupRequest, LeaveGroupResponse>({
  api: Apis.LeaveGroup,
  minVersion: 0,
  maxVersion: 1,
  async handle(broker, context, request) {
    const coordinator = coordinatorOf(broker);
    if (!coordinator) {
      return {
        throttleTimeMs: 0,
        errorCode: counted(context, ErrorCode.COORDINATOR_NOT_AVAILABLE),
        members: [],
      };
    }
    const result = await coordinator.leaveGroup({
      groupId: request.groupId,
      members: [{ memberId: request.memberId, groupInstanceId: null }],
    });
    const errorCode =
      result.errorCode !== ErrorCode.NONE ? result.errorCode : (result.members[0]?.errorCode ?? 0);
    return { throttleTimeMs: 0, errorCode: counted(context, errorCode), members: [] };
  },
});
