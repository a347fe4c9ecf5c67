import {
  BATCH_CRC_DETAIL,
  type NativeFinishBatchCheck,
  type NativeStartBatchCheck,
  type NativeValidateBatch,
  nativeBatchCheck,
  nativeValidateBatch,
} from '@sluice/native';
import {
  batchAttributes,
  batchMagic,
  batchRecordCount,
  batchSizeBytes,
  CURRENT_MAGIC,
  isCompressed,
} from './batch-format.js';
import { invariant } from './invariant.js';
import { MAX_WALK_BUFFER_BYTES } from './record-walker.js';

/**
 * Appends from this size on are large: they always wait for the end of the event loop's turn (short next
 * to their write), are written alone, and have their batch checked on the helper thread while the append
 * ahead of them is written. Smaller queued appends are written in groups instead.
 */
export const LARGE_APPEND_BYTES = 256 * 1024;

/** A group write holds at most this many bytes and appends. */
const GROUP_MAX_BYTES = 1024 * 1024;
const GROUP_MAX_APPENDS = 256;

/** How long one turn of the event loop runs queued appends before it lets other work in. */
const TURN_BUDGET_MS = 1;

/** Appends run before the queue's array drops them while it still holds others. */
const COMPACT_AFTER_APPENDS = 1024;

/**
 * After checking a batch, the helper thread spins this long for the next check when another large append
 * is queued behind (the next check comes one write later): waking a sleeping thread costs a system call
 * here and, on a virtual machine, sometimes hundreds of microseconds. With nothing queued it sleeps soon.
 */
const CHECK_LINGER_MICROS = 1000;

/**
 * Checks one batch as NativeValidateBatch does, except that it answers from an outcome computed earlier
 * for exactly these arguments (the append's validation then skips its heaviest step).
 */
export type BatchValidator = NativeValidateBatch;

/** The CRC-32C and record walk of a batch, started on the helper thread and finished apart. */
export interface BatchCheck {
  start: NativeStartBatchCheck;
  finish: NativeFinishBatchCheck;
}

/** An append waiting for its turn. `I` is what it resolves to. */
export interface QueuedAppend<I> {
  readonly records: Buffer;
  /** A leader append's epoch, or -1 for a follower's append. */
  readonly leaderEpoch: number;
  readonly onAppended: ((info: I) => void) | undefined;
  readonly resolve: (value: I | PromiseLike<I>) => void;
  readonly reject: (error: unknown) => void;
  /** Its single batch may be checked on the helper thread while the append ahead of it is written. */
  readonly offloadable: boolean;
  /** What its check on the helper thread was asked, and its outcome once finished. */
  checked: PrecheckedBatch | null;
}

/**
 * Runs appends that had to wait, in order, settling each: one append (`validator` answering for the check
 * the helper thread already did, or null), or a group of small leader appends written together.
 */
export type QueuedAppendRunner<I> = (
  appends: readonly QueuedAppend<I>[],
  validator: BatchValidator | null,
) => void;

/** The outcome of a batch's CRC-32C and record walk, computed on the helper thread. */
interface PrecheckedBatch {
  sizeBytes: number;
  recordCount: number;
  requireKeys: boolean;
  /** [record index, value, second value, CRC-32C], as NativeValidateBatch writes them. */
  details: Float64Array;
  problem: number;
}

/** The problem of a check not finished yet (the walk's problems are ≥ 0). */
const NOT_FINISHED = -1;

/**
 * Orders a log's appends when some of them wait, and makes waiting pay: small appends that queued up are
 * written with one writev, and the check of a large one runs on another core while the append ahead of
 * it is written.
 *
 * When does an append wait? A small one made alone runs at once, on the caller's stack, as a log append
 * always did. But a second append made in the same synchronous stretch as one that ran at once (no
 * microtask between them: a producer's pipelined requests handled in one go, a caller with several
 * appends in flight) shows that appends are coming in a pipeline: from then on they queue, until a turn of
 * the queue finds a single append in it. A large append (LARGE_APPEND_BYTES) always queues, and whatever
 * is made while something is queued queues behind it.
 *
 * The queue runs at the end of the event loop's turn (setImmediate), in the order the appends were made,
 * for up to TURN_BUDGET_MS per turn:
 * - consecutive small leader appends run as a group: each is checked and placed in turn as if alone, and
 *   the bytes of all go to the file in one writev at the end (the runner's job);
 * - a large one runs alone; the CRC-32C and record walk of the large append after it (a single
 *   uncompressed batch) are handed to @sluice/native's helper thread first, so they run beside this
 *   write instead of before the next, and that append replays the outcome instead of walking its batch.
 *   A check still running when the turn ends is collected in the next.
 *
 * A batch that fails its check is refused in its turn with the error it gets when run alone, having
 * written nothing. The caller must not change an append's bytes until its promise settles. Without the
 * native addon an append waits only behind one that already waits.
 */
export class AppendPipeline<I> {
  private readonly queue: QueuedAppend<I>[] = [];
  private head = 0;
  private drainScheduled = false;
  private idleWaiters: (() => void)[] = [];
  /** The queued append whose batch the helper thread is checking (its slot is this thread's until then). */
  private checking: QueuedAppend<I> | null = null;
  /** An append ran at once in the current synchronous stretch (cleared by the next microtask). */
  private burst = false;
  private readonly endBurst = () => {
    this.burst = false;
  };
  /** Appends are coming in a pipeline: they queue even when the queue is empty. */
  private pipelining = false;
  /** Batches checked on the helper thread, and appends written in groups of two or more (for benchmarks). */
  offloadedChecks = 0;
  groupedAppends = 0;

  constructor(
    private readonly runner: QueuedAppendRunner<I>,
    /**
     * What the append's own check will ask for: whether records need keys (a compacted topic), and the
     * largest batch it accepts (max.message.bytes).
     */
    private readonly limits: () => { requireKeys: boolean; maxBatchBytes: number },
    private readonly check: BatchCheck | null = nativeBatchCheck,
  ) {}

  /** Appends queued, not yet run. */
  get pending(): number {
    return this.queue.length - this.head;
  }

  /**
   * Whether a leader append of `records` runs at once on the caller's stack (see the class): nothing is
   * queued, appends are not coming in a pipeline, and it is small. Otherwise it goes through `enqueue`.
   * Notes the appends that run at once, to see a pipeline coming.
   */
  runsNow(records: Buffer): boolean {
    if (this.pending > 0 || this.pipelining) return false;
    if (this.check === null) return true;
    if (records.length >= LARGE_APPEND_BYTES) return false;
    if (this.burst) {
      this.pipelining = true;
      return false;
    }
    this.burst = true;
    queueMicrotask(this.endBurst);
    return true;
  }

  /** Queues an append (`leaderEpoch` -1: a follower's). */
  enqueue(records: Buffer, leaderEpoch: number, onAppended?: (info: I) => void): Promise<I> {
    const offloadable = leaderEpoch >= 0 && this.isOffloadable(records);
    const queued = new Promise<I>((resolve, reject) => {
      this.queue.push({ records, leaderEpoch, onAppended, resolve, reject, offloadable, checked: null });
    });
    if (!this.drainScheduled) {
      this.drainScheduled = true;
      setImmediate(this.drain);
    }
    return queued;
  }

  /** Resolves once no append is queued. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Runs queued appends for up to TURN_BUDGET_MS, then lets the event loop turn if some are left. */
  private readonly drain = (): void => {
    this.drainScheduled = false;
    // Appends made by an onAppended callback during the last turn ran in it; this turn found none left.
    if (this.pending === 0) return;
    const alone = this.pending === 1;
    const deadline = performance.now() + TURN_BUDGET_MS;
    do this.runHead();
    while (this.pending > 0 && performance.now() < deadline);
    if (this.pending > 0) {
      // Under steady load the queue never empties: drop what ran, now and then.
      if (this.head >= COMPACT_AFTER_APPENDS) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      this.drainScheduled = true;
      setImmediate(this.drain);
      return;
    }
    // A turn with a single append to run: appends no longer come in a pipeline.
    if (alone) this.pipelining = false;
    this.queue.length = 0;
    this.head = 0;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  };

  /** Runs the append at the head of the queue, with the small leader appends after it as one group. */
  private runHead(): void {
    const first = this.queue[this.head];
    if (isGroupable(first)) {
      let end = this.head + 1;
      let bytes = first.records.length;
      while (end < this.queue.length && end - this.head < GROUP_MAX_APPENDS) {
        const next = this.queue[end];
        if (!isGroupable(next) || bytes + next.records.length > GROUP_MAX_BYTES) break;
        bytes += next.records.length;
        end++;
      }
      const group = this.queue.slice(this.head, end);
      this.head = end;
      if (group.length > 1) this.groupedAppends += group.length;
      this.runSettling(group, null);
      return;
    }
    this.head++;
    if (first === this.checking) this.finishCheck();
    const next = this.pending > 0 ? this.queue[this.head] : undefined;
    if (next?.offloadable && this.checking === null) {
      const more = this.pending > 1 && this.queue[this.head + 1].offloadable;
      this.startCheck(next, more ? CHECK_LINGER_MICROS : 0);
    }
    this.runSettling([first], first.checked === null ? null : replay(first.checked));
  }

  /** The runner settles every append; one that throws anyway leaves its appends refused, not hanging. */
  private runSettling(appends: QueuedAppend<I>[], validator: BatchValidator | null): void {
    try {
      this.runner(appends, validator);
    } catch (error) {
      for (const append of appends) append.reject(error);
    }
  }

  /** Collects the outcome of the check on the helper thread (waiting for it, or doing it if not begun). */
  private finishCheck(): void {
    const append = this.checking;
    invariant(append !== null && append.checked !== null && this.check !== null, 'a check is on the helper');
    this.checking = null;
    append.checked.problem = this.check.finish(append.checked.details);
  }

  /**
   * Starts the check of `append`'s batch on the helper thread. When the helper is taken (by another
   * log's check, say), the append checks its batch in its turn.
   */
  private startCheck(append: QueuedAppend<I>, lingerMicros: number): void {
    const check = this.check;
    if (check === null) return;
    const records = append.records;
    const sizeBytes = records.length;
    const recordCount = batchRecordCount(records, 0);
    const { requireKeys } = this.limits();
    if (!check.start(records, 0, sizeBytes, recordCount, requireKeys, lingerMicros)) return;
    this.offloadedChecks++;
    this.checking = append;
    append.checked = {
      sizeBytes,
      recordCount,
      requireKeys,
      details: new Float64Array(BATCH_CRC_DETAIL + 1),
      problem: NOT_FINISHED,
    };
  }

  /**
   * Whether `records` is one uncompressed v2 batch that exactly fills it, large, and within the size the
   * append accepts: the shape of a large produce request, whose check can run on the helper thread.
   * Anything else is checked in its turn, where every malformation gets its error.
   */
  private isOffloadable(records: Buffer): boolean {
    return (
      this.check !== null &&
      records.length >= LARGE_APPEND_BYTES &&
      records.length < MAX_WALK_BUFFER_BYTES &&
      records.length <= this.limits().maxBatchBytes &&
      batchMagic(records, 0) === CURRENT_MAGIC &&
      batchSizeBytes(records, 0) === records.length &&
      !isCompressed(batchAttributes(records, 0))
    );
  }
}

/** A small leader append: it may be written in a group. */
function isGroupable<I>(append: QueuedAppend<I>): boolean {
  return append.leaderEpoch >= 0 && append.records.length < LARGE_APPEND_BYTES;
}

/**
 * A validator that answers from `checked` when asked about that very batch, and checks in place
 * otherwise (the topic's config changed in between, say, and the question is another one).
 */
function replay(checked: PrecheckedBatch): BatchValidator {
  return (buffer, batchStart, sizeBytes, recordCount, requireKeys, details) => {
    invariant(checked.problem !== NOT_FINISHED, 'a check is finished before its append runs');
    if (
      batchStart !== 0 ||
      sizeBytes !== checked.sizeBytes ||
      recordCount !== checked.recordCount ||
      requireKeys !== checked.requireKeys
    ) {
      invariant(nativeValidateBatch !== null, 'a check on the helper implies the one in place');
      return nativeValidateBatch(buffer, batchStart, sizeBytes, recordCount, requireKeys, details);
    }
    details.set(checked.details);
    return checked.problem;
  };
}
