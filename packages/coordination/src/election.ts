import assert from 'node:assert/strict';
import type { CoordinationStore, KeyValue } from './coordination-store.js';
import { CompactedRevisionError, NotLeaderError } from './errors.js';
import { bytesEqual } from './kv-state.js';
import type { Session } from './session.js';

/** The leadership won by `Election.campaign`. */
export interface Leadership {
  /** The leader's key: `<prefix>/<leaseId>`. */
  readonly key: string;
  /** The key's createRevision: identifies this term of leadership (a later term has a larger one). */
  readonly revision: number;
  /** Replaces the value published by the leader; rejects with `NotLeaderError` once leadership is lost. */
  proclaim(value: Uint8Array): Promise<void>;
  /** Gives leadership up: `lost` aborts first, then the key is deleted so the next candidate takes over. */
  resign(): Promise<void>;
  /**
   * Aborted as soon as leadership is lost: the session expired (by the holder's clock) or was closed, the
   * key was deleted or replaced, the store closed, or `resign` was called. Stop acting as leader then.
   */
  readonly lost: AbortSignal;
}

/** The candidate that leads: the one with the lowest createRevision, or null. */
function leaderOf(candidates: Iterable<KeyValue>): KeyValue | null {
  let leader: KeyValue | null = null;
  for (const kv of candidates) if (leader === null || kv.createRevision < leader.createRevision) leader = kv;
  return leader;
}

/**
 * Leader election on a coordination store, etcd's recipe (go.etcd.io/etcd/client/v3/concurrency):
 * each candidate puts `<prefix>/<leaseId>` bound to its session's lease; the leader is the key with the
 * lowest createRevision; a candidate waits for the deletion of the key created just before its own (not
 * for the leader's, so a change of leader wakes one candidate, not all). A leader whose session expires
 * loses its key with its lease, and the next candidate in line takes over.
 */
export class Election {
  /** `<prefix>/`: candidates' keys are directly under it. */
  private readonly keyPrefix: string;

  constructor(
    private readonly store: CoordinationStore,
    prefix: string,
  ) {
    this.keyPrefix = `${prefix}/`;
  }

  /**
   * Becomes a candidate with `value` and resolves once leader. Rejects with the reason of `signal` or of the
   * session's signal if either aborts first (the candidacy is withdrawn), or with `NotLeaderError` if the
   * candidate's key disappears while it waits. Campaigning again with the same session reuses its key.
   */
  async campaign(session: Session, value: Uint8Array, signal?: AbortSignal): Promise<Leadership> {
    const stop = signal === undefined ? session.signal : AbortSignal.any([signal, session.signal]);
    stop.throwIfAborted();
    const key = this.keyPrefix + session.leaseId;
    const created = await this.store.txn({
      compare: [{ key, target: 'createRevision', op: '=', value: 0 }],
      success: [{ type: 'put', key, value, lease: session.leaseId }],
      failure: [{ type: 'get', key }],
    });
    let revision = created.revision;
    if (!created.succeeded) {
      const [existing] = created.results[0] as KeyValue[];
      assert(existing !== undefined, 'the failure branch read the existing key');
      revision = existing.createRevision;
      if (!bytesEqual(existing.value, value)) await this.putIfOwned(key, revision, session.leaseId, value);
    }
    try {
      const confirmedAtRevision = await this.waitForPredecessors(key, revision, stop);
      return new ElectionLeadership(this.store, key, revision, session, confirmedAtRevision, (kv) =>
        this.putIfOwned(key, revision, session.leaseId, kv),
      );
    } catch (error) {
      await this.store
        .txn({
          compare: [{ key, target: 'createRevision', op: '=', value: revision }],
          success: [{ type: 'delete', key }],
        })
        .catch(() => undefined);
      throw error;
    }
  }

  /** The current leader's key-value, or null when there is no candidate. */
  async leader(): Promise<KeyValue | null> {
    const { kvs } = await this.store.getPrefix(this.keyPrefix);
    return leaderOf(kvs);
  }

  /**
   * The leader now, then each time it changes (a new leader, a new value proclaimed, or null when no one
   * leads), until `signal` aborts.
   */
  async *observe(signal?: AbortSignal): AsyncIterable<KeyValue | null> {
    let last: KeyValue | null | undefined;
    const changed = (leader: KeyValue | null): boolean =>
      last === undefined || leader?.key !== last?.key || leader?.modRevision !== last?.modRevision;
    while (!(signal?.aborted ?? false)) {
      const { kvs, revision } = await this.store.getPrefix(this.keyPrefix);
      const candidates = new Map(kvs.map((kv) => [kv.key, kv]));
      let leader = leaderOf(candidates.values());
      if (changed(leader)) {
        last = leader;
        yield leader;
      }
      const watch = this.store.watch(this.keyPrefix, { fromRevision: revision + 1, signal });
      try {
        for await (const events of watch) {
          for (const event of events) {
            if (event.type === 'put') candidates.set(event.kv.key, event.kv);
            else candidates.delete(event.kv.key);
          }
          leader = leaderOf(candidates.values());
          if (changed(leader)) {
            last = leader;
            yield leader;
          }
        }
      } catch (error) {
        if (!CompactedRevisionError.isInstance(error)) throw error;
        // Fell behind the store's history: read the candidates again and watch from there.
      } finally {
        watch.close();
      }
    }
  }

  /** Puts `value` under `key` if it is still the key created at `revision`; NotLeaderError otherwise. */
  private async putIfOwned(key: string, revision: number, leaseId: string, value: Uint8Array): Promise<void> {
    const result = await this.store.txn({
      compare: [{ key, target: 'createRevision', op: '=', value: revision }],
      success: [{ type: 'put', key, value, lease: leaseId }],
    });
    if (!result.succeeded) throw new NotLeaderError(key);
  }

  /** Waits until no candidate key is older than `key`; returns the revision at which that was read. */
  private async waitForPredecessors(key: string, revision: number, stop: AbortSignal): Promise<number> {
    for (;;) {
      stop.throwIfAborted();
      const { kvs, revision: readRevision } = await this.store.getPrefix(this.keyPrefix);
      const own = kvs.find((kv) => kv.key === key);
      if (own === undefined || own.createRevision !== revision) {
        throw new NotLeaderError(key, `candidate key ${key} is gone (its lease expired or was revoked)`);
      }
      let predecessor: KeyValue | null = null;
      for (const kv of kvs) {
        if (
          kv.createRevision < revision &&
          (predecessor === null || kv.createRevision > predecessor.createRevision)
        ) {
          predecessor = kv;
        }
      }
      if (predecessor === null) return readRevision;
      await this.waitForDeletion([predecessor.key, key], readRevision + 1, stop);
    }
  }

  /** Returns when one of `keys` is deleted at or after `fromRevision` (or the history was compacted). */
  private async waitForDeletion(keys: string[], fromRevision: number, stop: AbortSignal): Promise<void> {
    const watch = this.store.watch(this.keyPrefix, { fromRevision, signal: stop });
    try {
      for await (const events of watch) {
        if (events.some((event) => event.type === 'delete' && keys.includes(event.kv.key))) return;
      }
      stop.throwIfAborted();
    } catch (error) {
      if (!CompactedRevisionError.isInstance(error)) throw error;
    } finally {
      watch.close();
    }
  }
}

class ElectionLeadership implements Leadership {
  private readonly controller = new AbortController();
  /** Stops the watch on the leader's own key. */
  private readonly watchController = new AbortController();
  private readonly onSessionEnd = (): void => this.lose(this.session.signal.reason);

  constructor(
    private readonly store: CoordinationStore,
    readonly key: string,
    readonly revision: number,
    private readonly session: Session,
    confirmedAtRevision: number,
    private readonly putValue: (value: Uint8Array) => Promise<void>,
  ) {
    if (session.signal.aborted) {
      this.lose(session.signal.reason);
      return;
    }
    session.signal.addEventListener('abort', this.onSessionEnd, { once: true });
    void this.watchOwnKey(confirmedAtRevision + 1);
  }

  get lost(): AbortSignal {
    return this.controller.signal;
  }

  async proclaim(value: Uint8Array): Promise<void> {
    if (this.lost.aborted) throw new NotLeaderError(this.key);
    try {
      await this.putValue(value);
    } catch (error) {
      this.lose(error);
      throw error;
    }
  }

  async resign(): Promise<void> {
    if (this.lost.aborted) return;
    this.lose(new NotLeaderError(this.key, `resigned leadership of ${this.key}`));
    await this.store.txn({
      compare: [{ key: this.key, target: 'createRevision', op: '=', value: this.revision }],
      success: [{ type: 'delete', key: this.key }],
    });
  }

  private lose(reason: unknown): void {
    if (this.controller.signal.aborted) return;
    this.controller.abort(reason);
    this.watchController.abort();
    this.session.signal.removeEventListener('abort', this.onSessionEnd);
  }

  /** Loses leadership when the key is deleted or replaced by a key of another term. */
  private async watchOwnKey(fromRevision: number): Promise<void> {
    let from = fromRevision;
    while (!this.lost.aborted) {
      const watch = this.store.watch(this.key, { fromRevision: from, signal: this.watchController.signal });
      try {
        for await (const events of watch) {
          const ended = events.some(
            (event) =>
              event.kv.key === this.key &&
              (event.type === 'delete' || event.kv.createRevision !== this.revision),
          );
          if (ended) {
            this.lose(new NotLeaderError(this.key));
            return;
          }
        }
        return;
      } catch (error) {
        if (!CompactedRevisionError.isInstance(error)) {
          this.lose(error);
          return;
        }
        try {
          const { kvs, revision } = await this.store.getPrefix(this.key);
          const own = kvs.find((kv) => kv.key === this.key);
          if (own === undefined || own.createRevision !== this.revision) {
            this.lose(new NotLeaderError(this.key));
            return;
          }
          from = revision + 1;
        } catch (readError) {
          this.lose(readError);
          return;
        }
      } finally {
        watch.close();
      }
    }
  }
}
