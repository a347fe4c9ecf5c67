import {
  BrokerPool,
  type Clock,
  type Cluster,
  type Connection,
  ConnectionError,
  type Coordinator,
  findCoordinator,
  ProtocolError,
  type RandomSource,
  type RequestOptions,
  RequestTimeoutError,
  untilAborted,
} from '@sluice/network';
import type { ApiDefinition, Input } from '@sluice/protocol';
import type { Logger } from 'pino';
import type { ResolvedConsumerOptions } from './consumer-options.js';

export interface CoordinatorChannelOptions {
  readonly cluster: Cluster;
  readonly groupId: string;
  readonly options: ResolvedConsumerOptions;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly random: RandomSource;
}

/**
 * The consumer's line to its group coordinator: looks the coordinator up (FindCoordinator) and talks to it
 * over a connection of its own, apart from the fetch connections. A broker answers a connection's requests
 * in order, so a JoinGroup that the coordinator holds for a whole join round would otherwise stall the
 * fetches queued behind it, and a heartbeat would wait behind a long-poll fetch.
 *
 * After a connection failure, a timeout, or an answer saying the coordinator moved (`markUnknown`), the next
 * request looks it up again.
 */
export class CoordinatorChannel {
  private readonly config: CoordinatorChannelOptions;
  private readonly logger: Logger;
  /** Connections to the coordinator only; its one broker is set from the FindCoordinator answer. */
  private readonly pool: BrokerPool;
  /** The coordinator, or null until looked up (again). */
  private coordinator: Coordinator | null = null;
  private finding: Promise<Coordinator> | null = null;

  constructor(config: CoordinatorChannelOptions) {
    this.config = config;
    this.logger = config.logger;
    this.pool = BrokerPool.forClient({
      ...config.options,
      logger: config.logger,
      clock: config.clock,
      random: config.random,
    });
  }

  /** The coordinator last looked up, if it is still believed to be one. */
  get current(): Coordinator | null {
    return this.coordinator;
  }

  /** The connection to the coordinator, looking the coordinator up first when it is not known. */
  async connection(signal?: AbortSignal): Promise<Connection> {
    const coordinator = await this.find(signal);
    try {
      return await this.pool.connection(coordinator.nodeId, signal);
    } catch (error) {
      if (!signal?.aborted) this.markUnknown(`cannot connect: ${(error as Error).message}`);
      throw error;
    }
  }

  /**
   * One request to the coordinator. The caller reads the answer's error codes (and calls `markUnknown` on
   * NOT_COORDINATOR or COORDINATOR_NOT_AVAILABLE); a lost connection or a timeout forgets the coordinator.
   */
  async request<Request, Response>(
    api: ApiDefinition<Request, Response>,
    body: Input<Request> | ((connection: Connection) => Input<Request>),
    options: RequestOptions = {},
  ): Promise<Response> {
    const connection = await this.connection(options.signal);
    const payload =
      typeof body === 'function' ? (body as (connection: Connection) => Input<Request>)(connection) : body;
    try {
      return await connection.request(api, payload, options);
    } catch (error) {
      if (
        ConnectionError.isInstance(error) ||
        RequestTimeoutError.isInstance(error) ||
        ProtocolError.isInstance(error)
      ) {
        this.markUnknown(`${api.name} failed: ${(error as Error).message}`);
      }
      throw error;
    }
  }

  /** Forgets the coordinator (it moved or is unreachable); the next request looks it up again. */
  markUnknown(reason: string): void {
    const coordinator = this.coordinator;
    if (coordinator === null) return;
    this.coordinator = null;
    this.logger.info(
      { groupId: this.config.groupId, nodeId: coordinator.nodeId, reason },
      'coordinator unknown',
    );
    this.pool.disconnect(coordinator.nodeId);
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  private find(signal?: AbortSignal): Promise<Coordinator> {
    if (this.coordinator !== null) return Promise.resolve(this.coordinator);
    if (this.finding === null) {
      const { cluster, groupId, clock, options } = this.config;
      const finding = findCoordinator(cluster, groupId, 'group', {
        deadlineMs: clock.nowMs() + options.requestTimeoutMs,
      })
        .then((coordinator) => {
          this.pool.setBrokers(new Map([[coordinator.nodeId, coordinator]]));
          this.coordinator = coordinator;
          this.logger.debug({ groupId, coordinator }, 'coordinator found');
          return coordinator;
        })
        .finally(() => {
          if (this.finding === finding) this.finding = null;
        });
      this.finding = finding;
    }
    return untilAborted(this.finding, signal);
  }
}
