import { ClientClosedError, ManualClock } from '@sluice/network';
import { describe, expect, it } from 'vitest';
import { BufferPool } from './buffer-pool.js';
import { BufferExhaustedError } from './errors.js';

describe('BufferPool', () => {
  it('hands out at most its total and reuses batch-sized buffers', () => {
    const pool = new BufferPool(1000, 100, new ManualClock());
    const buffers = Array.from({ length: 10 }, () => pool.tryAllocate(100));
    expect(buffers.every((buffer) => buffer?.length === 100)).toBe(true);
    expect(pool.availableBytes).toBe(0);
    expect(pool.tryAllocate(1)).toBeNull();
    pool.deallocate(buffers[3]!);
    expect(pool.availableBytes).toBe(100);
    expect(pool.tryAllocate(100)).toBe(buffers[3]);
  });

  it('frees pooled buffers to serve an odd-sized request', () => {
    const pool = new BufferPool(300, 100, new ManualClock());
    const a = pool.tryAllocate(100)!;
    const b = pool.tryAllocate(100)!;
    pool.deallocate(a);
    pool.deallocate(b);
    const big = pool.tryAllocate(250);
    expect(big?.length).toBe(250);
    expect(pool.availableBytes).toBe(50);
    pool.deallocate(big!);
    expect(pool.availableBytes).toBe(300);
  });

  it('makes a caller wait for room and serves waiters first come, first served', async () => {
    const clock = new ManualClock();
    const pool = new BufferPool(200, 100, clock);
    const held = [pool.tryAllocate(100)!, pool.tryAllocate(100)!];
    const order: string[] = [];
    const first = pool.allocate(200, 1_000).then(() => order.push('first (200)'));
    const second = pool.allocate(100, 1_000).then(() => order.push('second (100)'));
    // A newcomer may not jump the queue even though 100 bytes would fit it.
    pool.deallocate(held[0]);
    expect(pool.tryAllocate(100)).toBeNull();
    await clock.advance(0);
    expect(order).toEqual([]);
    pool.deallocate(held[1]);
    await first;
    expect(order).toEqual(['first (200)']);
    expect(pool.waitingCallers).toBe(1);
    await clock.advance(500);
    expect(order).toEqual(['first (200)']);
    void second;
  });

  it('fails a caller that waited max.block.ms with BufferExhaustedError, and drops nothing', async () => {
    const clock = new ManualClock();
    const pool = new BufferPool(100, 100, clock);
    const held = pool.tryAllocate(100)!;
    const waiting = pool.allocate(100, 250).then(
      () => new Error('expected a refusal'),
      (error: Error) => error,
    );
    await clock.advance(249);
    expect(pool.waitingCallers).toBe(1);
    await clock.advance(1);
    const error = await waiting;
    expect(BufferExhaustedError.isInstance(error)).toBe(true);
    expect(error.message).toBe(
      'could not allocate 100 bytes within max.block.ms (250 ms): the 100-byte buffer pool (buffer.memory) is full of records not yet acknowledged',
    );
    expect(pool.waitingCallers).toBe(0);
    // The memory held before is still accounted for, and comes back whole.
    expect(pool.availableBytes).toBe(0);
    pool.deallocate(held);
    expect(pool.availableBytes).toBe(100);
  });

  it('refuses at once a size that can never fit, and fails waiters when closed', async () => {
    const pool = new BufferPool(100, 50, new ManualClock());
    await expect(pool.allocate(101, 1_000)).rejects.toThrow('can never fit');
    pool.tryAllocate(100);
    const waiting = pool.allocate(50, 1_000);
    pool.close();
    await expect(waiting).rejects.toSatisfy(ClientClosedError.isInstance);
  });
});
