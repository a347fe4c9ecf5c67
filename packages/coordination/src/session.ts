import assert from 'node:assert/strict';
import { type Logger, pino } from 'pino';
import { type Clock, systemClock, systemTimers, type TimerHandle, type Timers } from './clock.js';
import type { CoordinationStore } from './coordination-store.js';
import { LeaseNotFoundError, SessionExpiredError, StoreClosedError } from './errors.js';
import { SESSION_KEEP_ALIVES_IN_FLIGHT_MAX } from './limits.js';

export interface SessionOptions {
  /** TTL asked for; the store may grant more (see `ttlMs` of the session). */
  ttlMs: number;
  /** The holder's clock, on which expiry is judged. Default: the process's monotonic clock. */
  clock?: Clock;
  /** Schedules keep-alives and the expiry check. Default: Node's timers (unreferenced). */
  timers?: Timers;
  logger?: Logger;
}

type SessionState = { type: 'alive' } | { type: 'expired' } | { type: 'closed' };

/**
 * A lease kept alive in the background: a keep-alive every ttl/3. It is the holder's view of its liveness.
 *
 * Expiry is judged by the holder's own clock: the session expires as soon as `ttlMs` has passed since the
 * *sending* of the last keep-alive that succeeded (the store restarted the TTL no earlier than that), even
 * if the store has said nothing, because a store that cannot be reached may already have expired the lease
 * and let someone else take over. A keep-alive the store refuses (`LeaseNotFoundError`, or `StoreClosedError`:
 * nothing can keep the lease alive any more) expires it at once.
 * On expiry `signal` aborts with a `SessionExpiredError`, `onExpired` listeners run, and the lease is
 * revoked (best effort) so that its keys go at once.
 *
 * Transitions: alive → expired (TTL passed, or the lease is gone), alive → closed (`close`),
 * expired → closed (`close` after expiry; `signal` keeps its expiry reason).
 */
export class Session {
  private state: SessionState = { type: 'alive' };
  private readonly controller = new AbortController();
  private readonly listeners: (() => void)[] = [];
  /** The lease is certainly alive before this time (holder's clock): last successful keep-alive sent + TTL. */
  private deadlineMs: number;
  private keepAliveTimer: TimerHandle | null = null;
  private expiryTimer: TimerHandle | null = null;
  private keepAlivesInFlight = 0;

  private constructor(
    private readonly store: CoordinationStore,
    readonly leaseId: string,
    /** The TTL the store granted. */
    readonly ttlMs: number,
    grantSentAtMs: number,
    private readonly clock: Clock,
    private readonly timers: Timers,
    private readonly logger: Logger,
  ) {
    this.deadlineMs = grantSentAtMs + ttlMs;
    this.scheduleKeepAlive();
    this.scheduleExpiryCheck();
  }

  /** Grants a lease and starts keeping it alive. */
  static async create(store: CoordinationStore, options: SessionOptions): Promise<Session> {
    const clock = options.clock ?? systemClock;
    const sentAtMs = clock.nowMs();
    const lease = await store.grantLease(options.ttlMs);
    const logger = (options.logger ?? pino({ level: 'silent' })).child({
      component: 'session',
      leaseId: lease.id,
    });
    const session = new Session(
      store,
      lease.id,
      lease.ttlMs,
      sentAtMs,
      clock,
      options.timers ?? systemTimers,
      logger,
    );
    logger.debug({ ttlMs: lease.ttlMs }, 'session started');
    return session;
  }

  /** Aborted when the session expires (reason: `SessionExpiredError`) or is closed. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get expired(): boolean {
    return (
      this.state.type === 'expired' ||
      (this.state.type === 'closed' && SessionExpiredError.isInstance(this.signal.reason))
    );
  }

  /** Calls `listener` once when the session expires (at once, asynchronously, if it already has). */
  onExpired(listener: () => void): void {
    if (this.expired) queueMicrotask(listener);
    else if (this.state.type === 'alive') this.listeners.push(listener);
  }

  /** Stops the keep-alives and revokes the lease (its keys are deleted). */
  async close(): Promise<void> {
    if (this.state.type === 'closed') return;
    const wasAlive = this.state.type === 'alive';
    this.state = { type: 'closed' };
    this.stopTimers();
    if (wasAlive) this.controller.abort(new DOMException(`session ${this.leaseId} closed`, 'AbortError'));
    await this.revoke();
  }

  private scheduleKeepAlive(): void {
    this.keepAliveTimer = this.timers.setTimeout(() => {
      this.keepAliveTimer = null;
      if (this.state.type !== 'alive') return;
      this.sendKeepAlive();
      this.scheduleKeepAlive();
    }, this.ttlMs / 3);
  }

  private sendKeepAlive(): void {
    if (this.keepAlivesInFlight >= SESSION_KEEP_ALIVES_IN_FLIGHT_MAX) {
      this.logger.warn(
        { inFlight: this.keepAlivesInFlight },
        'keep-alives are not answered; not sending another',
      );
      return;
    }
    const sentAtMs = this.clock.nowMs();
    this.keepAlivesInFlight += 1;
    this.store.keepAlive(this.leaseId).then(
      () => {
        this.keepAlivesInFlight -= 1;
        if (this.state.type !== 'alive') return;
        // A keep-alive that answers after the deadline has passed comes too late: the session already
        // expired by its holder's clock (the expiry check may simply not have run yet).
        if (this.clock.nowMs() >= this.deadlineMs) {
          this.expire('TTL passed before the keep-alive was answered');
          return;
        }
        this.deadlineMs = Math.max(this.deadlineMs, sentAtMs + this.ttlMs);
      },
      (error: unknown) => {
        this.keepAlivesInFlight -= 1;
        if (this.state.type !== 'alive') return;
        if (LeaseNotFoundError.isInstance(error) || StoreClosedError.isInstance(error)) {
          this.expire(`keep-alive refused: ${(error as Error).message}`);
          return;
        }
        this.logger.warn({ err: error }, 'keep-alive failed; retrying at the next interval');
      },
    );
  }

  /** Checks at the deadline; re-arms at the new deadline if keep-alives moved it. */
  private scheduleExpiryCheck(): void {
    this.expiryTimer = this.timers.setTimeout(() => {
      this.expiryTimer = null;
      if (this.state.type !== 'alive') return;
      if (this.clock.nowMs() >= this.deadlineMs) this.expire('TTL passed without a successful keep-alive');
      else this.scheduleExpiryCheck();
    }, this.deadlineMs - this.clock.nowMs());
  }

  private expire(reason: string): void {
    assert.equal(this.state.type, 'alive');
    this.state = { type: 'expired' };
    this.stopTimers();
    this.logger.warn({ reason, ttlMs: this.ttlMs }, 'session expired');
    this.controller.abort(
      new SessionExpiredError(this.leaseId, `session lease ${this.leaseId} expired: ${reason}`),
    );
    for (const listener of this.listeners.splice(0)) {
      try {
        listener();
      } catch (error) {
        this.logger.error({ err: error }, 'a session expiry listener threw');
      }
    }
    void this.revoke();
  }

  private async revoke(): Promise<void> {
    try {
      await this.store.revokeLease(this.leaseId);
    } catch (error) {
      if (!LeaseNotFoundError.isInstance(error) && !StoreClosedError.isInstance(error)) {
        this.logger.warn({ err: error }, 'revoking the session lease failed');
      }
    }
  }

  private stopTimers(): void {
    if (this.keepAliveTimer !== null) this.timers.clearTimeout(this.keepAliveTimer);
    if (this.expiryTimer !== null) this.timers.clearTimeout(this.expiryTimer);
    this.keepAliveTimer = null;
    this.expiryTimer = null;
  }
}
