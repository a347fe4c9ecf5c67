/**
 * DescribeGroups, versions 0-2: state, protocol and members of each group. Member metadata and assignments
 * are given only for Stable groups (as Kafka does); a group this coordinator does not know is Dead.
 */
import { Apis, type DescribeGroupsRequest, type DescribeGroupsResponse, ErrorCode } from '@sluice/protocol';
import { coordinatorOf, counted } from '../groups/group-request.js';
import { defineHandler } from './handler.js';

export const describeGroupsHandler = defineHandler<DescribeGroupsRequest, DescribeGroupsResponse>({
  api: Apis.DescribeGroups,
  minVersion: 0,
  maxVersion: 2,
  async handle(broker, context, request) {
    const coordinator = coordinatorOf(broker);
    return {
      throttleTimeMs: 0,
      groups: request.groups.map((groupId) => {
        if (!coordinator) {
          return {
            errorCode: counted(context, ErrorCode.COORDINATOR_NOT_AVAILABLE),
            groupId,
            groupState: '',
            protocolType: '',
            protocolData: '',
            members: [],
            authorizedOperations: -2147483648,
          };
        }
        const described = coordinator.describeGroup(groupId);
        return {
          errorCode: counted(context, described.errorCode),
          groupId,
          groupState: described.state,
          protocolType: described.protocolType,
          protocolData: described.protocolData,
          members: described.members.map((member) => ({
            memberId: member.memberId,
            groupInstanceId: member.groupInstanceId,
            clientId: member.clientId,
            clientHost: member.clientHost,
            memberMetadata: member.metadata,
            memberAssignment: member.assignment,
          })),
          authorizedOperations: -2147483648,
        };
      }),
    };
  },
});
