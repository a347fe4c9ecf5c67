import type { ApiDefinition, Input } from '@sluice/protocol';
import type { Logger } from 'pino';
import { BrokerPool } from './broker-pool.js';
import { type Clock, type RandomSource, systemClock, systemRandom } from './clock.js';
import type { Connection, RequestOptions } from './connection.js';
import { ClientClosedError, ConnectionError, isRetriable } from './errors.js';
import { MetadataCache } from './metadata-cache.js';
import type { ResolvedNetworkOptions } from './network-options.js';
import { retry } from './retry.js';

export interface ClusterOptions extends ResolvedNetworkOptions {
  /** Metadata v4's allow_auto_topic_creation. */
  readonly allowAutoTopicCreation: boolean;
  /** Pipelining window of each connection. */
  readonly maxInFlightRequests?: number;
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly random?: RandomSource;
}

/** Where a request goes: a broker by node id, any broker, or the controller (admin requests). */
export type RequestTarget = number | 'any' | 'controller';

export interface RetryingRequestOptions extends RequestOptions {
  /** No new attempt after this time (clock ms); default now + request.timeout.ms. */
  readonly deadlineMs?: number;
  /**
   * Throws the error a response carries at its top level, if any, so that retriable ones (NOT_CONTROLLER,
   * ...) are retried like connection errors.
   */
  readonly check?: (response: never) => void;
}

/**
 * A client's view of and connections to one Kafka cluster: the broker pool, the metadata cache and the
 * options they share. Producer, consumer and admin each own one.
 */
export class Cluster {
  readonly options: ClusterOptions;
  readonly pool: BrokerPool;
  readonly metadata: MetadataCache;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly logger: Logger;
  private closed = false;
  /** The first connect, shared by later connectOnce calls; null before it and after it failed. */
  private connecting: Promise<void> | null = null;

  constructor(options: ClusterOptions) {
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? systemRandom;
    this.logger = options.logger;
    this.pool = BrokerPool.forClient({ ...options, clock: this.clock, random: this.random });
    this.metadata = new MetadataCache({
      pool: this.pool,
      metadataMaxAgeMs: options.metadataMaxAgeMs,
      requestTimeoutMs: options.requestTimeoutMs,
      retryBackoffMs: options.retryBackoffMs,
      retryBackoffMaxMs: options.retryBackoffMaxMs,
      allowAutoTopicCreation: options.allowAutoTopicCreation,
      clock: this.clock,
      random: this.random,
      logger: options.logger,
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Fetches the cluster's metadata from a bootstrap server and starts the periodic refresh. */
  async connect(signal?: AbortSignal): Promise<void> {
    await this.metadata.refresh(signal);
    this.metadata.start();
  }

  /**
   * Connects (connect) on the first call; later calls share that attempt, and once it has failed the next
   * call tries again. What the producer's, consumer's and admin's `connect()` do.
   */
  connectOnce(): Promise<void> {
    if (this.connecting === null) {
      const connecting = this.connect();
      this.connecting = connecting;
      connecting.catch(() => {
        if (this.connecting === connecting) this.connecting = null;
      });
    }
    return this.connecting;
  }

  /** The connection for `target`. */
  async connectionTo(target: RequestTarget, signal?: AbortSignal): Promise<Connection> {
    if (this.closed) throw new ClientClosedError('the client is closed');
    if (target === 'any') return this.pool.anyConnection(signal);
    let nodeId = target === 'controller' ? this.metadata.controllerId : target;
    if (!this.pool.knows(nodeId)) {
      await this.metadata.refresh(signal);
      nodeId = target === 'controller' ? this.metadata.controllerId : target;
      // A cluster that names no controller among its brokers: any broker answers NOT_CONTROLLER if it must.
      if (target === 'controller' && !this.pool.knows(nodeId)) return this.pool.anyConnection(signal);
      if (!this.pool.knows(nodeId)) {
        throw new ConnectionError(
          target === 'controller'
            ? 'the cluster has no controller'
            : `broker ${nodeId} is not in the metadata`,
          `node ${nodeId}`,
        );
      }
    }
    return this.pool.connection(nodeId, signal);
  }

  /** One attempt: the answer, or the error that kept it from coming. */
  async request<Request, Response>(
    target: RequestTarget,
    api: ApiDefinition<Request, Response>,
    body: Input<Request> | ((connection: Connection) => Input<Request>),
    options: RequestOptions = {},
  ): Promise<Response> {
    const connection = await this.connectionTo(target, options.signal);
    const payload =
      typeof body === 'function' ? (body as (connection: Connection) => Input<Request>)(connection) : body;
    return connection.request(api, payload, options);
  }

  /**
   * Sends until an answer passes `check`, retrying connection failures, timeouts and retriable errors with
   * backoff until the deadline. A NOT_CONTROLLER or metadata error refreshes the metadata first.
   */
  async requestWithRetry<Request, Response>(
    target: RequestTarget,
    api: ApiDefinition<Request, Response>,
    body: Input<Request> | ((connection: Connection) => Input<Request>),
    options: RetryingRequestOptions = {},
  ): Promise<Response> {
    return retry(
      async () => {
        const response = await this.request(target, api, body, options);
        (options.check as ((response: Response) => void) | undefined)?.(response);
        return response;
      },
      {
        retryBackoffMs: this.options.retryBackoffMs,
        retryBackoffMaxMs: this.options.retryBackoffMaxMs,
        deadlineMs: options.deadlineMs ?? this.clock.nowMs() + this.options.requestTimeoutMs,
        clock: this.clock,
        random: this.random,
        signal: options.signal,
        isRetriable: (error) => !this.closed && isRetriable(error),
        onRetry: (error) => {
          this.logger.debug({ err: error, api: api.name }, 'retrying request');
          if (target !== 'any') this.metadata.invalidate();
        },
      },
    );
  }

  async close(timeoutMs?: number): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.metadata.close();
    await this.pool.close(timeoutMs);
  }
}
