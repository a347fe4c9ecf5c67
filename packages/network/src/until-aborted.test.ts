import { describe, expect, it } from 'vitest';
import { untilAborted } from './until-aborted.js';

describe('untilAborted', () => {
  it('settles as the shared promise does while the signal stays quiet', async () => {
    const controller = new AbortController();
    await expect(untilAborted(Promise.resolve(7), controller.signal)).resolves.toBe(7);
    const failure = new Error('refused');
    await expect(untilAborted(Promise.reject(failure), controller.signal)).rejects.toBe(failure);
    await expect(untilAborted(Promise.resolve('no signal'))).resolves.toBe('no signal');
  });

  it('stops waiting when the signal aborts, leaving the shared work to finish for others', async () => {
    let finish!: (value: string) => void;
    const shared = new Promise<string>((resolve) => {
      finish = resolve;
    });
    const controller = new AbortController();
    const waiting = untilAborted(shared, controller.signal);
    const reason = new Error('caller gave up');
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    finish('done');
    await expect(untilAborted(shared)).resolves.toBe('done');
  });

  it('rejects at once for a signal aborted before the call', async () => {
    await expect(untilAborted(new Promise(() => {}), AbortSignal.abort('late'))).rejects.toBe('late');
  });
});
