import { ApiKey } from '@sluice/protocol';

/**
 * The version ranges the capture broker advertises in ApiVersions: those of
 * ../shared/kafka-protocol/README.md ("What to advertise in ApiVersions"), so that each client picks the
 * versions it will send to a Sluice broker. Only non-flexible versions.
 */
export interface VersionRange {
  readonly apiKey: number;
  readonly minVersion: number;
  readonly maxVersion: number;
}

export const ADVERTISED_VERSIONS: readonly VersionRange[] = [
  { apiKey: ApiKey.Produce, minVersion: 3, maxVersion: 7 },
  { apiKey: ApiKey.Fetch, minVersion: 4, maxVersion: 11 },
  { apiKey: ApiKey.ListOffsets, minVersion: 1, maxVersion: 2 },
  { apiKey: ApiKey.Metadata, minVersion: 1, maxVersion: 4 },
  { apiKey: ApiKey.OffsetCommit, minVersion: 2, maxVersion: 5 },
  { apiKey: ApiKey.OffsetFetch, minVersion: 1, maxVersion: 4 },
  { apiKey: ApiKey.FindCoordinator, minVersion: 0, maxVersion: 2 },
  { apiKey: ApiKey.JoinGroup, minVersion: 0, maxVersion: 5 },
  { apiKey: ApiKey.Heartbeat, minVersion: 0, maxVersion: 3 },
  { apiKey: ApiKey.LeaveGroup, minVersion: 0, maxVersion: 1 },
  { apiKey: ApiKey.SyncGroup, minVersion: 0, maxVersion: 3 },
  { apiKey: ApiKey.DescribeGroups, minVersion: 0, maxVersion: 2 },
  { apiKey: ApiKey.ListGroups, minVersion: 0, maxVersion: 2 },
  { apiKey: ApiKey.SaslHandshake, minVersion: 0, maxVersion: 1 },
  { apiKey: ApiKey.ApiVersions, minVersion: 0, maxVersion: 2 },
  { apiKey: ApiKey.CreateTopics, minVersion: 2, maxVersion: 3 },
  { apiKey: ApiKey.DeleteTopics, minVersion: 0, maxVersion: 1 },
  { apiKey: ApiKey.DeleteRecords, minVersion: 0, maxVersion: 1 },
  { apiKey: ApiKey.InitProducerId, minVersion: 0, maxVersion: 1 },
  { apiKey: ApiKey.DescribeConfigs, minVersion: 0, maxVersion: 1 },
  { apiKey: ApiKey.AlterConfigs, minVersion: 0, maxVersion: 0 },
  { apiKey: ApiKey.SaslAuthenticate, minVersion: 0, maxVersion: 1 },
  { apiKey: ApiKey.CreatePartitions, minVersion: 0, maxVersion: 1 },
  { apiKey: ApiKey.DeleteGroups, minVersion: 0, maxVersion: 1 },
  { apiKey: ApiKey.OffsetDelete, minVersion: 0, maxVersion: 0 },
];

/** The README's ranges with some replaced (matched by API key). */
export function advertisedWith(overrides: readonly VersionRange[]): readonly VersionRange[] {
  return ADVERTISED_VERSIONS.map(
    (range) => overrides.find((override) => override.apiKey === range.apiKey) ?? range,
  );
}

/** The highest ApiVersions version answered in full; a higher one gets UNSUPPORTED_VERSION in a v0 body. */
export const API_VERSIONS_MAX_VERSION = 2;
