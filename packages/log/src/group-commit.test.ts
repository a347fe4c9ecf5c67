import { describe, expect, it } from 'vitest';
import { GroupCommit } from './group-commit.js';

/** A sync function whose calls complete when the test says so. */
function controlledSync() {
  const calls: { from: number; target: number; finish: () => void; fail: (error: Error) => void }[] = [];
  const sync = (from: number, target: number) =>
    new Promise<void>((resolve, reject) => {
      calls.push({ from, target, finish: resolve, fail: reject });
    });
  return { calls, sync };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('GroupCommit', () => {
  it('covers every append made during a sync with the next single sync', async () => {
    let end = 1;
    const { calls, sync } = controlledSync();
    const commit = new GroupCommit(0, sync, () => end);
    const resolved: number[] = [];
    commit.waitFor(1).then(() => resolved.push(1));
    await tick();
    expect(calls).toHaveLength(1);
    // 50 appends arrive while the first sync runs
    for (let offset = 2; offset <= 51; offset++) {
      end = offset;
      commit.waitFor(offset).then(() => resolved.push(offset));
    }
    expect(calls).toHaveLength(1);
    calls[0].finish();
    await tick();
    await tick();
    expect(resolved).toEqual([1]);
    expect(calls).toHaveLength(2);
    expect(calls[1]).toMatchObject({ from: 1, target: 51 });
    calls[1].finish();
    await tick();
    expect(resolved).toHaveLength(51);
    expect(commit.durableOffset).toBe(51);
  });

  it('starts one sync for appends made in the same turn of the event loop', async () => {
    let end = 0;
    const { calls, sync } = controlledSync();
    const commit = new GroupCommit(0, sync, () => end);
    const waiting = [1, 2, 3].map((offset) => {
      end = offset;
      return commit.waitFor(offset);
    });
    await tick();
    expect(calls).toEqual([expect.objectContaining({ from: 0, target: 3 })]);
    calls[0].finish();
    await Promise.all(waiting);
  });

  it('resolves at once what is already durable', async () => {
    const { calls, sync } = controlledSync();
    const commit = new GroupCommit(10, sync, () => 10);
    await commit.waitFor(10);
    expect(calls).toHaveLength(0);
  });

  it('rejects waiters whose data a truncation removed, and never reports truncated data durable', async () => {
    let end = 10;
    const { calls, sync } = controlledSync();
    const commit = new GroupCommit(0, sync, () => end);
    const first = commit.waitFor(10);
    await tick();
    end = 20;
    const second = commit.waitFor(20);
    commit.truncated(5, () => new Error('truncated'));
    end = 5;
    await expect(first).rejects.toThrow('truncated');
    await expect(second).rejects.toThrow('truncated');
    calls[0].finish();
    await tick();
    expect(commit.durableOffset).toBe(5);
  });

  it('fails every waiter, now and later, once a sync fails', async () => {
    const { calls, sync } = controlledSync();
    const commit = new GroupCommit(0, sync, () => 3);
    const waiting = commit.waitFor(3);
    await tick();
    calls[0].fail(new Error('EIO'));
    await expect(waiting).rejects.toThrow('EIO');
    await expect(commit.waitFor(3)).rejects.toThrow('EIO');
  });
});
