import type { TimerHandle } from '../clock.js';

/** One protocol a member offers in JoinGroup: a name (an assignor) and its metadata (a subscription). */
export interface MemberProtocol {
  readonly name: string;
  readonly metadata: Buffer;
}

/** A member as the leader sees it in its JoinGroup response. */
export interface JoinedMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  /** The member's metadata for the selected protocol. */
  readonly metadata: Buffer;
}

export interface JoinGroupResult {
  readonly errorCode: number;
  readonly generationId: number;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly leaderId: string;
  /** The member id to use from now on (the one assigned, with MEMBER_ID_REQUIRED). */
  readonly memberId: string;
  /** Every member with its metadata, for the leader only; empty for everyone else. */
  readonly members: readonly JoinedMember[];
}

export interface SyncGroupResult {
  readonly errorCode: number;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly assignment: Buffer;
}

export type JoinCallback = (result: JoinGroupResult) => void;
export type SyncCallback = (result: SyncGroupResult) => void;

export const EMPTY_BYTES: Buffer = Buffer.alloc(0);

/**
 * One member of a group, as the coordinator knows it: who it is, what it offers, what it was assigned, and
 * the requests of its that wait (at most one JoinGroup and one SyncGroup).
 */
export class GroupMember {
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  /** In the member's order of preference; replaced wholesale on a rejoin. */
  protocols: readonly MemberProtocol[];
  /** What the leader assigned in the last completed SyncGroup (empty before, and after a failed one). */
  assignment: Buffer = EMPTY_BYTES;
  /** The member's JoinGroup waiting for the join round to close; set only while PreparingRebalance. */
  awaitingJoin: JoinCallback | null = null;
  /** The member's SyncGroup waiting for the leader's assignment; set only while CompletingRebalance. */
  awaitingSync: SyncCallback | null = null;
  /** Coordinator clock: without a heartbeat (or a join or sync in progress) by then, the member is removed. */
  heartbeatDeadlineMs = 0;
  /** The timer that checks `heartbeatDeadlineMs`; at most one per member. */
  heartbeatTimer: TimerHandle | null = null;

  constructor(
    readonly memberId: string,
    readonly groupInstanceId: string | null,
    readonly protocolType: string,
    fields: {
      clientId: string;
      clientHost: string;
      rebalanceTimeoutMs: number;
      sessionTimeoutMs: number;
      protocols: readonly MemberProtocol[];
    },
  ) {
    this.clientId = fields.clientId;
    this.clientHost = fields.clientHost;
    this.rebalanceTimeoutMs = fields.rebalanceTimeoutMs;
    this.sessionTimeoutMs = fields.sessionTimeoutMs;
    this.protocols = fields.protocols;
  }

  get isStatic(): boolean {
    return this.groupInstanceId !== null;
  }

  /** The metadata the member gave for `protocolName`; throws if it does not offer it. */
  metadataFor(protocolName: string): Buffer {
    const protocol = this.protocols.find((candidate) => candidate.name === protocolName);
    if (!protocol) throw new Error(`member ${this.memberId} does not support protocol ${protocolName}`);
    return protocol.metadata;
  }

  /** True when `protocols` are the member's, with the same names and metadata in the same order. */
  matches(protocols: readonly MemberProtocol[]): boolean {
    if (protocols.length !== this.protocols.length) return false;
    return protocols.every(
      (protocol, i) =>
        protocol.name === this.protocols[i].name && protocol.metadata.equals(this.protocols[i].metadata),
    );
  }
}
