/**
 * JoinGroup, versions 0-5. Joins a member to a group, or rejoins it for a rebalance; the answer waits until
 * the join round closes (up to the rebalance timeout). v4+: a member without an id first gets one with
 * MEMBER_ID_REQUIRED. v5: static members (`group.instance.id`). Before v1 the rebalance timeout is the
 * session timeout. The leader's answer lists every member with its metadata.
 */
import { Apis, ErrorCode, type JoinGroupRequest, type JoinGroupResponse } from '@sluice/protocol';
import { clientHostOf, coordinatorOf, counted } from '../groups/group-request.js';
import { defineHandler } from './handler.js';

export const joinGroupHandler = defineHandler<JoinGroupRequest, JoinGroupResponse>({
  api: Apis.JoinGroup,
  minVersion: 0,
  maxVersion: 5,
  async handle(broker, context, request) {
    const version = context.apiVersion;
    const coordinator = coordinatorOf(broker);
    const result = coordinator
      ? await coordinator.joinGroup({
          groupId: request.groupId,
          memberId: request.memberId,
          groupInstanceId: version >= 5 ? request.groupInstanceId : null,
          requireKnownMemberId: version >= 4,
          clientId: context.clientId ?? '',
          clientHost: clientHostOf(context),
          rebalanceTimeoutMs: version >= 1 ? request.rebalanceTimeoutMs : request.sessionTimeoutMs,
          sessionTimeoutMs: request.sessionTimeoutMs,
          protocolType: request.protocolType,
          // Copied: the request's buffers are views into its frame, and members are kept for long.
          protocols: request.protocols.map((protocol) => ({
            name: protocol.name,
            metadata: Buffer.from(protocol.metadata),
          })),
        })
      : null;
    if (!result) {
      counted(context, ErrorCode.COORDINATOR_NOT_AVAILABLE);
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE,
        generationId: -1,
        protocolName: '',
        leader: '',
        memberId: request.memberId,
        members: [],
      };
    }
    return {
      throttleTimeMs: 0,
      errorCode: counted(context, result.errorCode),
      generationId: result.generationId,
      protocolType: result.protocolType,
      // A nullable protocol name only from v7; before, the empty string.
      protocolName: result.protocolName ?? '',
      leader: result.leaderId,
      skipAssignment: false,
      memberId: result.memberId,
      members: result.members.map((member) => ({
        memberId: member.memberId,
        groupInstanceId: member.groupInstanceId,
        metadata: member.metadata,
      })),
    };
  },
});
