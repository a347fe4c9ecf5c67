import type { Watch, WatchEvent } from './coordination-store.js';
import { CompactedRevisionError } from './errors.js';
import { copyWatchEvent } from './key-value.js';
import type { WatchHistory } from './watch-history.js';

/** What a watch of the embedded store reads from. */
export interface WatchSource {
  /** Events of durable revisions only. */
  readonly history: WatchHistory;
  /** Called once when the watch closes or fails, to stop notifying it. */
  detach(watch: EmbeddedWatch): void;
}

type WatchState = { type: 'open' } | { type: 'closed' } | { type: 'failed'; error: Error };

/**
 * A watch of the embedded store. It keeps no queue: it holds a cursor (the next revision to deliver) into
 * the store's bounded history and reads from there when iterated, so a slow reader costs nothing until it
 * falls out of the history, and then learns it with `CompactedRevisionError`.
 */
export class EmbeddedWatch implements Watch {
  /** The next revision to look at; every revision before it was delivered or did not match. */
  private cursor: number;
  private state: WatchState = { type: 'open' };
  /** Resolves the pending `next` when something happens (new revisions, close, failure). */
  private wake: (() => void) | null = null;
  /** `next` calls run one after another, each after the previous settled. */
  private pending: Promise<unknown> = Promise.resolve();
  private readonly onAbort = (): void => this.close();

  constructor(
    private readonly source: WatchSource,
    private readonly prefix: string,
    fromRevision: number,
    private readonly signal?: AbortSignal,
  ) {
    this.cursor = fromRevision;
    if (signal?.aborted) this.state = { type: 'closed' };
    else signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** New revisions may be in the history. */
  notify(): void {
    this.wake?.();
  }

  /** Ends the watch with `error` (thrown by the next `next`). */
  fail(error: Error): void {
    if (this.state.type !== 'open') return;
    this.state = { type: 'failed', error };
    this.detach();
  }

  close(): void {
    if (this.state.type === 'open') this.state = { type: 'closed' };
    this.detach();
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchEvent[]> {
    return {
      next: () => {
        const result = this.pending.then(() => this.nextBatch());
        this.pending = result.catch(() => undefined);
        return result;
      },
      return: async () => {
        this.close();
        return { done: true, value: undefined };
      },
    };
  }

  private detach(): void {
    this.signal?.removeEventListener('abort', this.onAbort);
    this.source.detach(this);
    this.wake?.();
  }

  private async nextBatch(): Promise<IteratorResult<WatchEvent[]>> {
    for (;;) {
      if (this.state.type === 'closed') return { done: true, value: undefined };
      if (this.state.type === 'failed') throw this.state.error;
      const history = this.source.history;
      if (this.cursor <= history.compactedRevision) {
        const error = new CompactedRevisionError(this.cursor, history.compactedRevision);
        this.fail(error);
        throw error;
      }
      while (this.cursor <= history.lastRevision) {
        const entry = history.at(this.cursor);
        this.cursor += 1;
        const matching = entry.events.filter((event) => event.kv.key.startsWith(this.prefix));
        if (matching.length > 0) return { done: false, value: matching.map(copyWatchEvent) };
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.wake = null;
    }
  }
}
