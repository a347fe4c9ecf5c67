import type { Logger } from 'pino';
import { backoffMs } from './backoff.js';
import { type BrokerAddress, formatAddress } from './broker-address.js';
import { type Clock, type RandomSource, sleep, systemClock, systemRandom } from './clock.js';
import { Connection } from './connection.js';
import { ClientClosedError, ConnectionError } from './errors.js';
import type { ResolvedNetworkOptions } from './network-options.js';
import { untilAborted } from './until-aborted.js';

export interface BrokerPoolOptions {
  readonly bootstrapServers: readonly BrokerAddress[];
  readonly clientId: string;
  readonly requestTimeoutMs: number;
  readonly connectionSetupTimeoutMs: number;
  readonly reconnectBackoffMs: number;
  readonly reconnectBackoffMaxMs: number;
  /** Pipelining window of each connection. */
  readonly maxInFlightRequests?: number;
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly random?: RandomSource;
}

/** Connection state of one broker: the open connection or the one being opened, and its failures. */
interface BrokerSlot {
  address: BrokerAddress;
  connection: Connection | null;
  opening: Promise<Connection> | null;
  /** Connection attempts that failed in a row; sets the reconnect backoff. */
  failures: number;
  /** No new attempt before this time (ms). */
  retryAtMs: number;
}

/**
 * One connection per broker, by node id (and per bootstrap address before the node ids are known). A closed
 * or failed connection is replaced on next use, after a reconnect backoff that doubles with each failure in
 * a row (reconnect.backoff.ms up to reconnect.backoff.max.ms, with jitter). Concurrent callers share one
 * connection attempt.
 */
export class BrokerPool {
  private readonly options: BrokerPoolOptions;
  private readonly clock: Clock;
  private readonly random: RandomSource;
  private readonly logger: Logger;
  /** By node id; addresses come from metadata. */
  private readonly brokers = new Map<number, BrokerSlot>();
  /** By bootstrap address, until metadata names the brokers. */
  private readonly bootstrap: BrokerSlot[];
  private closed = false;
  private readonly abort = new AbortController();

  /** A pool for a client, from its validated options (socketConnectionSetupTimeoutMs and the backoffs). */
  static forClient(
    options: ResolvedNetworkOptions &
      Pick<BrokerPoolOptions, 'maxInFlightRequests' | 'logger' | 'clock' | 'random'>,
  ): BrokerPool {
    return new BrokerPool({
      bootstrapServers: options.bootstrapServers,
      clientId: options.clientId,
      requestTimeoutMs: options.requestTimeoutMs,
      connectionSetupTimeoutMs: options.socketConnectionSetupTimeoutMs,
      reconnectBackoffMs: options.reconnectBackoffMs,
      reconnectBackoffMaxMs: options.reconnectBackoffMaxMs,
      maxInFlightRequests: options.maxInFlightRequests,
      logger: options.logger,
      clock: options.clock,
      random: options.random,
    });
  }

  constructor(options: BrokerPoolOptions) {
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? systemRandom;
    this.logger = options.logger;
    this.bootstrap = options.bootstrapServers.map((address) => newSlot(address));
  }

  /** The brokers metadata names. A broker whose address changed gets a new connection. */
  setBrokers(brokers: ReadonlyMap<number, BrokerAddress>): void {
    for (const [nodeId, node] of brokers) {
      const address: BrokerAddress = { host: node.host, port: node.port };
      const slot = this.brokers.get(nodeId);
      if (slot === undefined) {
        this.brokers.set(nodeId, newSlot(address));
      } else if (slot.address.host !== address.host || slot.address.port !== address.port) {
        this.logger.info(
          { nodeId, from: formatAddress(slot.address), to: formatAddress(address) },
          'broker moved',
        );
        void slot.connection?.close();
        this.brokers.set(nodeId, newSlot(address));
      }
    }
    for (const [nodeId, slot] of this.brokers) {
      if (!brokers.has(nodeId)) {
        void slot.connection?.close();
        this.brokers.delete(nodeId);
      }
    }
  }

  knows(nodeId: number): boolean {
    return this.brokers.has(nodeId);
  }

  get nodeIds(): number[] {
    return [...this.brokers.keys()];
  }

  /** The connection to broker `nodeId`, opened if needed (waiting out its reconnect backoff). */
  async connection(nodeId: number, signal?: AbortSignal): Promise<Connection> {
    const slot = this.brokers.get(nodeId);
    if (slot === undefined) {
      throw new ConnectionError(`broker ${nodeId} is not in the cluster metadata`, `node ${nodeId}`);
    }
    return this.connect(slot, nodeId, signal);
  }

  /**
   * A connection to any broker: an open one if there is one, else the known broker (or bootstrap server)
   * whose backoff ends first, trying the next on failure until each was tried once.
   */
  async anyConnection(signal?: AbortSignal): Promise<Connection> {
    for (const slot of [...this.brokers.values(), ...this.bootstrap]) {
      if (slot.connection?.isUsable) return slot.connection;
    }
    const candidates = [
      ...[...this.brokers.entries()].map(([nodeId, slot]) => ({ nodeId, slot })),
      ...this.bootstrap.map((slot) => ({ nodeId: -1, slot })),
    ];
    // Random order among equals, so that many clients do not all pick the first bootstrap server.
    const order = candidates
      .map((candidate) => ({ candidate, key: candidate.slot.retryAtMs + this.random() }))
      .sort((a, b) => a.key - b.key)
      .map((entry) => entry.candidate);
    let lastError: unknown = new ConnectionError('no broker to connect to', 'none');
    for (const { nodeId, slot } of order) {
      try {
        return await this.connect(slot, nodeId, signal);
      } catch (error) {
        if (signal?.aborted || this.closed) throw error;
        lastError = error;
      }
    }
    throw lastError;
  }

  private connect(slot: BrokerSlot, nodeId: number, signal?: AbortSignal): Promise<Connection> {
    if (this.closed) return Promise.reject(new ClientClosedError('the client is closed'));
    if (slot.connection?.isUsable) return Promise.resolve(slot.connection);
    if (slot.opening === null) {
      slot.opening = this.open(slot, nodeId).finally(() => {
        slot.opening = null;
      });
    }
    // The shared attempt continues for other callers; this caller stops waiting when its signal aborts.
    return untilAborted(slot.opening, signal);
  }

  private async open(slot: BrokerSlot, nodeId: number): Promise<Connection> {
    const waitMs = slot.retryAtMs - this.clock.nowMs();
    if (waitMs > 0) await sleep(this.clock, waitMs, this.abort.signal);
    try {
      const connection = await Connection.open({
        address: slot.address,
        nodeId,
        clientId: this.options.clientId,
        requestTimeoutMs: this.options.requestTimeoutMs,
        connectionSetupTimeoutMs: this.options.connectionSetupTimeoutMs,
        maxInFlightRequests: this.options.maxInFlightRequests,
        logger: this.logger,
        clock: this.clock,
        signal: this.abort.signal,
      });
      if (this.closed) {
        connection.destroy(null);
        throw new ClientClosedError('the client is closed');
      }
      slot.failures = 0;
      slot.retryAtMs = 0;
      slot.connection = connection;
      connection.onClose((error) => {
        if (slot.connection === connection) slot.connection = null;
        // A connection that fails (rather than being closed by us) backs off before the next attempt.
        if (error !== null) slot.retryAtMs = this.clock.nowMs() + this.reconnectDelayMs(slot);
      });
      return connection;
    } catch (error) {
      slot.failures++;
      slot.retryAtMs = this.clock.nowMs() + this.reconnectDelayMs(slot);
      this.logger.debug(
        { err: error, broker: formatAddress(slot.address), nodeId, failures: slot.failures },
        'connection attempt failed',
      );
      throw error;
    }
  }

  private reconnectDelayMs(slot: BrokerSlot): number {
    // Kafka's reconnect backoff: exponential with up to 20% jitter either way, never below the base.
    const ceiling = Math.min(
      this.options.reconnectBackoffMaxMs,
      this.options.reconnectBackoffMs * 2 ** Math.max(0, Math.min(slot.failures - 1, 30)),
    );
    const jittered = ceiling * (0.8 + 0.4 * this.random());
    return Math.max(this.options.reconnectBackoffMs, Math.min(this.options.reconnectBackoffMaxMs, jittered));
  }

  /** Backoff to wait before retrying a request (exposed for the callers' retry loops). */
  retryBackoffMs(attempt: number, baseMs: number, maxMs: number): number {
    return backoffMs(attempt, baseMs, maxMs, this.random);
  }

  /** Closes every connection cleanly (waiting for what is in flight, up to `timeoutMs` each). */
  async close(timeoutMs?: number): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort(new ClientClosedError('the client is closed'));
    const connections = [...this.brokers.values(), ...this.bootstrap]
      .map((slot) => slot.connection)
      .filter((connection): connection is Connection => connection !== null);
    await Promise.all(connections.map((connection) => connection.close(timeoutMs)));
  }

  /** Closes one broker's connection at once (its requests fail with ConnectionError). */
  disconnect(nodeId: number): void {
    this.brokers
      .get(nodeId)
      ?.connection?.destroy(new ConnectionError('disconnected by the client', `node ${nodeId}`));
  }
}

function newSlot(address: BrokerAddress): BrokerSlot {
  return { address, connection: null, opening: null, failures: 0, retryAtMs: 0 };
}
