/**
 * DeleteGroups, versions 0-1: removes Empty groups with their committed offsets (tombstones in
 * __consumer_offsets). A group with members is NON_EMPTY_GROUP; one that does not exist GROUP_ID_NOT_FOUND.
 */
import { Apis, type DeleteGroupsRequest, type DeleteGroupsResponse, ErrorCode } from '@sluice/protocol';
import { coordinatorOf, counted } from '../groups/group-request.js';
import { defineHandler } from './handler.js';

export const deleteGroupsHandler = defineHandler<DeleteGroupsRequest, DeleteGroupsResponse>({
  api: Apis.DeleteGroups,
  minVersion: 0,
  maxVersion: 1,
  async handle(broker, context, request) {
    const coordinator = coordinatorOf(broker);
    const results = coordinator
      ? await coordinator.deleteGroups(request.groupsNames)
      : request.groupsNames.map((groupId) => ({ groupId, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE }));
    return {
      throttleTimeMs: 0,
      results: results.map((result) => ({
        groupId: result.groupId,
        errorCode: counted(context, result.errorCode),
      })),
    };
  },
});
