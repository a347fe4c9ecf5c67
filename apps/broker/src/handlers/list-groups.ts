/**
 * ListGroups, versions 0-2: every group this coordinator holds, with its protocol type (empty for groups that
 * only store offsets). COORDINATOR_LOAD_IN_PROGRESS while __consumer_offsets is loading, with what is loaded.
 */
import { Apis, ErrorCode, type ListGroupsRequest, type ListGroupsResponse } from '@sluice/protocol';
import { coordinatorOf, counted } from '../groups/group-request.js';
import { defineHandler } from './handler.js';

export const listGroupsHandler = defineHandler<ListGroupsRequest, ListGroupsResponse>({
  api: Apis.ListGroups,
  minVersion: 0,
  maxVersion: 2,
  async handle(broker, context) {
    const coordinator = coordinatorOf(broker);
    const result = coordinator?.listGroups() ?? {
      errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE,
      groups: [],
    };
    return {
      throttleTimeMs: 0,
      errorCode: counted(context, result.errorCode),
      groups: result.groups.map((group) => ({
        groupId: group.groupId,
        protocolType: group.protocolType,
        groupState: group.state,
        groupType: 'classic',
      })),
    };
  },
});
