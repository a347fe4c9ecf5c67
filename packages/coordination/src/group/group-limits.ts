/**
 * Every bound of the group coordinator, in one place. Configs (`group.max.size`, the session timeout range)
 * narrow these further; they never widen them.
 */

/** Most groups one coordinator holds; a request that would create one more gets COORDINATOR_NOT_AVAILABLE. */
export const GROUPS_MAX = 100_000;

/** Most members (joined or waiting for a member id) in one group, whatever `group.max.size` says. */
export const MEMBERS_PER_GROUP_MAX = 10_000;

/** Most protocols one member may offer in a JoinGroup. */
export const PROTOCOLS_PER_MEMBER_MAX = 64;

/** Largest protocol metadata (a consumer's subscription) kept per protocol of a member. */
export const PROTOCOL_METADATA_BYTES_MAX = 1024 * 1024;

/** Most committed offsets one group may hold; commits for more partitions are refused. */
export const OFFSETS_PER_GROUP_MAX = 1_000_000;

/** `offset.metadata.max.bytes`: longest metadata string a commit may attach to an offset (Kafka's default). */
export const OFFSET_METADATA_BYTES_MAX = 4096;

/** Most records written to the offsets topic in one append (one DeleteGroups or expiry pass is split). */
export const RECORDS_PER_APPEND_MAX = 10_000;

/** Bytes (estimated) of tombstones per append, well under the offsets topic's max.message.bytes. */
export const APPEND_BYTES_TARGET = 512 * 1024;

/** Partitions of the offsets topic loaded at the same time at start. */
export const PARTITIONS_LOADING_MAX = 8;
