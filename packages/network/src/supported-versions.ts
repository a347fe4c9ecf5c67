import { type ApiDefinition, Apis } from '@sluice/protocol';

/**
 * The versions of each API this client can speak: non-flexible versions only, the ranges of
 * ../shared/kafka-protocol/README.md. Each request goes out at the highest version both the client and
 * the broker support (see ApiVersionTable).
 */
export const CLIENT_API_VERSIONS: ReadonlyMap<
  number,
  { readonly minVersion: number; readonly maxVersion: number }
> = new Map(
  (
    [
      [Apis.Produce, 3, 7],
      [Apis.Fetch, 4, 11],
      [Apis.ListOffsets, 1, 2],
      [Apis.Metadata, 1, 4],
      [Apis.OffsetCommit, 2, 5],
      [Apis.OffsetFetch, 1, 4],
      [Apis.FindCoordinator, 0, 2],
      [Apis.JoinGroup, 0, 5],
      [Apis.Heartbeat, 0, 3],
      [Apis.LeaveGroup, 0, 1],
      [Apis.SyncGroup, 0, 3],
      [Apis.DescribeGroups, 0, 2],
      [Apis.ListGroups, 0, 2],
      [Apis.ApiVersions, 0, 2],
      [Apis.CreateTopics, 2, 3],
      [Apis.DeleteTopics, 0, 1],
      [Apis.DeleteRecords, 0, 1],
      [Apis.InitProducerId, 0, 1],
      [Apis.DescribeConfigs, 0, 1],
      [Apis.AlterConfigs, 0, 0],
      [Apis.CreatePartitions, 0, 1],
      [Apis.DeleteGroups, 0, 1],
      [Apis.OffsetDelete, 0, 0],
    ] as [ApiDefinition<unknown, unknown>, number, number][]
  ).map(([api, minVersion, maxVersion]) => [api.apiKey, { minVersion, maxVersion }]),
);

/** The ApiVersions version sent first: v2, the newest non-flexible one. */
export const API_VERSIONS_REQUEST_VERSION = 2;
