import type { Log, LogAppendInfo } from '@sluice/log';
import { NotEnoughReplicasError, NotLeaderOrFollowerError } from '@sluice/protocol';
import type { PartitionState } from './cluster-store.js';

/**
 * One partition replica on this broker: its log and the state the controller gave it (leader, leader epoch,
 * ISR). In a cluster of one this broker leads every partition, the ISR is itself, and the high watermark
 * follows the log end offset after every append. Replication (a later step) adds followers, ISR changes and
 * the high-watermark rule over the followers' fetch offsets here.
 */
export class Partition {
  /** The controller's state for this partition; replaced wholesale on every change. */
  private state: PartitionState;

  constructor(
    readonly topic: string,
    readonly index: number,
    readonly log: Log,
    state: PartitionState,
    private readonly nodeId: number,
    /** Called when a leader append's bytes are in the log (fetches waiting on the partition can go). */
    private readonly onAppended: (partition: Partition, bytes: number) => void = () => {},
  ) {
    this.state = state;
    // After a restart the checkpointed high watermark may trail the recovered log: a sole leader commits it.
    this.maybeIncrementHighWatermark();
  }

  get leaderEpoch(): number {
    return this.state.leaderEpoch;
  }

  get leaderId(): number {
    return this.state.leader;
  }

  get isr(): readonly number[] {
    return this.state.isr;
  }

  get isLeader(): boolean {
    return this.state.leader === this.nodeId;
  }

  get highWatermark(): number {
    return this.log.highWatermark;
  }

  applyState(state: PartitionState): void {
    if (state.leaderEpoch < this.state.leaderEpoch) {
      throw new Error(
        `${this.topic}-${this.index}: leader epoch went back from ${this.state.leaderEpoch} to ${state.leaderEpoch}`,
      );
    }
    this.state = state;
    this.maybeIncrementHighWatermark();
  }

  /**
   * Appends a producer's batches. Their turn may come after this returns (Log.appendAsLeader); then the
   * high watermark follows and `onAppended` is told. The promise settles when the topic's flush policy is
   * met. acks=-1 needs at least min.insync.replicas in the ISR, as in Kafka.
   */
  appendAsLeader(records: Buffer, requiredAcks: number, minInsyncReplicas: number): Promise<LogAppendInfo> {
    if (!this.isLeader) {
      throw new NotLeaderOrFollowerError(
        `Broker ${this.nodeId} is not the leader of ${this.topic}-${this.index}.`,
      );
    }
    if (requiredAcks === -1 && this.state.isr.length < minInsyncReplicas) {
      throw new NotEnoughReplicasError(
        `${this.topic}-${this.index} has ${this.state.isr.length} in-sync replicas, fewer than min.insync.replicas=${minInsyncReplicas}.`,
      );
    }
    return this.log.appendAsLeader(records, this.state.leaderEpoch, (info) => {
      this.maybeIncrementHighWatermark();
      if (!info.duplicate) this.onAppended(this, records.length);
    });
  }

  /** With the ISR being this broker alone, everything appended is committed. */
  private maybeIncrementHighWatermark(): void {
    if (this.isLeader && this.state.isr.length === 1 && this.state.isr[0] === this.nodeId) {
      this.log.maybeIncrementHighWatermark(this.log.logEndOffset);
    }
  }
}
