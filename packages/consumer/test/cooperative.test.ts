import { Producer } from '@sluice/producer';
import { expect, it } from 'vitest';
import type { AssignorName } from '../src/index.js';
import { InProcessMember, type Processed } from './support/group-member.js';
import { describeEachTarget, eventually, testLogger } from './support/group-targets.js';

/**
 * Slow suite: what a member joining costs the partitions that do not move, eager (range) against
 * cooperative (cooperative-sticky), when one member is busy with a slow batch as the rebalance starts (a
 * rebalance waits for the batches in hand). Prints the pauses it measures.
 */

interface RebalanceMeasure {
  readonly rebalanceMs: number;
  /** Longest gap between records processed, over the idle member's partitions that kept their owner. */
  readonly unmovedPauseMs: number;
  /** Longest gap over the partitions that moved to the new member. */
  readonly movedPauseMs: number;
  /** Usual gap between records of a partition, before the rebalance (median). */
  readonly usualGapMs: number;
  /** Partitions of the idle member that kept their owner and had records processed during the rebalance. */
  readonly unmovedFlowing: number;
  readonly unmoved: number;
  /** Partitions the idle member had revoked in the rebalance. */
  readonly revoked: number;
  /** Partitions the idle member held before the newcomer came. */
  readonly idleHeld: number;
}

/** Longest gap between consecutive processing times of one partition that overlaps [fromMs, toMs]. */
function longestGap(times: readonly number[], fromMs: number, toMs: number): number {
  let longest = 0;
  for (let i = 1; i < times.length; i++) {
    if (times[i] < fromMs || times[i - 1] > toMs) continue;
    longest = Math.max(longest, times[i] - times[i - 1]);
  }
  return longest;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : sorted[Math.floor(sorted.length / 2)];
}

const SLOW_BATCH_MS = 1_500;

describeEachTarget('rebalancing cost', (target, targetName) => {
  async function measure(assignor: AssignorName): Promise<RebalanceMeasure> {
    const { topic, partitions } = await target.createTopic(`pause-${assignor}`, 6);
    const producer = new Producer<string, string>({
      bootstrapServers: target.bootstrap,
      logger: testLogger,
      lingerMs: 0,
    });
    let producing = true;
    let sent = 0;
    const production = (async () => {
      while (producing) {
        await producer.send({
          topic,
          messages: Array.from({ length: partitions }, (_, partition) => ({
            value: `v-${sent++}`,
            partition,
          })),
        });
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    const sink: Processed[] = [];
    const settings = { groupId: `pause-${assignor}`, partitionAssignmentStrategy: [assignor] };
    let slowNext = false;
    // "busy" takes SLOW_BATCH_MS over one batch when told to; "idle" is always quick.
    const busy = new InProcessMember('busy', target.bootstrap, [topic], sink, {
      ...settings,
      processingMs: () => {
        if (!slowNext) return 0;
        slowNext = false;
        return SLOW_BATCH_MS;
      },
    });
    const idle = new InProcessMember('idle', target.bootstrap, [topic], sink, settings);
    const members = [busy, idle];
    try {
      const owned = () => members.reduce((sum, member) => sum + member.owned().length, 0);
      await eventually(
        () => members.every((member) => member.owned().length === partitions / 2) && owned() === partitions,
        'the two members to share the partitions',
        90_000,
      );
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const idleBefore = idle.owned();
      const idleEventsBefore = idle.events.length;
      slowNext = true;
      await eventually(() => !slowNext, 'the busy member to start its slow batch');
      const joinedAtMs = Date.now();
      const newcomer = new InProcessMember('newcomer', target.bootstrap, [topic], sink, settings);
      members.push(newcomer);
      await eventually(
        () => newcomer.owned().length === Math.floor(partitions / 3) && owned() === partitions,
        'the newcomer to get its share',
        90_000,
      );
      const settledAtMs = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 300));
      const idleAfter = new Set(idle.owned());

      const times = new Map<string, number[]>();
      for (const record of sink) {
        const key = `${record.topic}-${record.partition}`;
        const list = times.get(key) ?? [];
        list.push(record.atMs);
        times.set(key, list);
      }
      const gaps: number[] = [];
      for (const list of times.values()) {
        for (let i = 1; i < list.length; i++)
          if (list[i] < joinedAtMs - 200) gaps.push(list[i] - list[i - 1]);
      }
      let unmovedPauseMs = 0;
      let movedPauseMs = 0;
      let unmovedFlowing = 0;
      let unmoved = 0;
      for (const key of idleBefore) {
        const list = times.get(key) ?? [];
        const gap = longestGap(list, joinedAtMs, settledAtMs);
        if (idleAfter.has(key)) {
          unmoved++;
          unmovedPauseMs = Math.max(unmovedPauseMs, gap);
          if (list.some((atMs) => atMs > joinedAtMs && atMs < settledAtMs)) unmovedFlowing++;
        } else {
          movedPauseMs = Math.max(movedPauseMs, gap);
        }
      }
      const revoked = idle.events
        .slice(idleEventsBefore)
        .filter((event) => event.kind === 'revoked')
        .reduce((sum, event) => sum + event.partitions.length, 0);
      return {
        rebalanceMs: settledAtMs - joinedAtMs,
        unmovedPauseMs,
        movedPauseMs,
        usualGapMs: median(gaps),
        unmovedFlowing,
        unmoved,
        revoked,
        idleHeld: idleBefore.length,
      };
    } finally {
      producing = false;
      await production;
      await producer.close();
      await Promise.all(members.map((member) => member.stop()));
    }
  }

  it('cooperative-sticky keeps the partitions that stay flowing while a member joins; range stops them until every member rejoined', async () => {
    const eager = await measure('range');
    const cooperative = await measure('cooperative-sticky');
    const line = (name: string, m: RebalanceMeasure) =>
      `  ${name.padEnd(20)} rebalance ${m.rebalanceMs} ms; longest pause of the idle member's partitions that stayed: ` +
      `${m.unmovedPauseMs} ms (${m.unmoved} partitions), that moved: ${m.movedPauseMs} ms; usual gap ${m.usualGapMs} ms`;
    process.stdout.write(
      `[${targetName}] a third member joins a group of two (6 partitions, records every 20 ms) while one member ` +
        `is busy with a ${SLOW_BATCH_MS} ms batch:\n${line('range (eager)', eager)}\n${line('cooperative-sticky', cooperative)}` +
        '\n',
    );
    // Eager: the idle member gives everything up and waits for the busy one to rejoin.
    expect(eager.revoked).toBeGreaterThanOrEqual(eager.idleHeld);
    expect(eager.unmovedPauseMs).toBeGreaterThan(SLOW_BATCH_MS / 2);
    // Cooperative: it gives up only what moves, and the rest goes on being processed throughout.
    expect(cooperative.revoked).toBe(cooperative.idleHeld - cooperative.unmoved);
    expect(cooperative.unmoved).toBeGreaterThan(0);
    expect(cooperative.unmovedFlowing).toBe(cooperative.unmoved);
  });
});
