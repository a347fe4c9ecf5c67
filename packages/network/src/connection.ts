import { connect, type Socket } from 'node:net';
import {
  type ApiDefinition,
  Apis,
  type ApiVersionsResponse,
  decodeResponseFrame,
  encodeRequestFrame,
  type Input,
  KafkaError,
} from '@sluice/protocol';
import type { Logger } from 'pino';
import { ApiVersionTable } from './api-version-table.js';
import { type BrokerAddress, formatAddress } from './broker-address.js';
import { type Clock, systemClock, type TimerHandle } from './clock.js';
import {
  abortReason,
  ClientClosedError,
  ConnectionError,
  ProtocolError,
  RequestTimeoutError,
} from './errors.js';
import { FrameDecoder } from './frame-decoder.js';
import { Limits } from './limits.js';
import { API_VERSIONS_REQUEST_VERSION } from './supported-versions.js';

export interface ConnectionOptions {
  readonly address: BrokerAddress;
  /** The broker's node id when known (from metadata), for logs; -1 for a bootstrap connection. */
  readonly nodeId?: number;
  readonly clientId: string;
  readonly requestTimeoutMs: number;
  /** TCP connect plus the ApiVersions handshake. */
  readonly connectionSetupTimeoutMs: number;
  /** Requests sent and not yet answered; more wait in a queue (pipelining window). */
  readonly maxInFlightRequests?: number;
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly signal?: AbortSignal;
}

export interface RequestOptions {
  /** The version to send; default the negotiated one. */
  readonly version?: number;
  /** false for a request the broker does not answer (Produce with acks=0): resolves once written. */
  readonly expectResponse?: boolean;
  /** Overrides request.timeout.ms for this request (a long-poll fetch adds its wait). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** A request from the moment it is queued until it is answered, fails, or is abandoned. */
interface PendingRequest {
  readonly correlationId: number;
  readonly api: ApiDefinition<unknown, unknown>;
  readonly version: number;
  readonly frame: Buffer[];
  readonly expectResponse: boolean;
  readonly timeoutMs: number;
  /** queued → in-flight → settled; abandoned: the caller stopped waiting but the answer will still come. */
  state: 'queued' | 'in-flight' | 'abandoned' | 'settled';
  timer: TimerHandle | null;
  readonly signal: AbortSignal | undefined;
  onAbort: (() => void) | null;
  readonly resolve: (body: unknown) => void;
  readonly reject: (error: Error) => void;
}

/**
 * Lifecycle: connecting (TCP and the ApiVersions handshake, inside `open`) → ready → closing (answers what
 * it holds, takes nothing new) → closed. Any state may go straight to closed on an error.
 */
export type ConnectionState = 'connecting' | 'ready' | 'closing' | 'closed';

const ERROR_UNSUPPORTED_VERSION = 35;

/**
 * One TCP connection to one broker. Requests are framed with a correlation id and pipelined: up to
 * `maxInFlightRequests` are on the wire at once, answered in order (Kafka answers a connection's requests in
 * the order they arrived, and the answer must carry the expected correlation id, else the connection is
 * broken). More wait in a bounded queue; writing also waits while the socket's buffer is full
 * (back-pressure).
 *
 * Each request sent must be answered within its timeout (request.timeout.ms), else it fails with
 * RequestTimeoutError and the connection is closed, since a late answer would arrive out of turn. When the
 * connection closes or fails, every request it holds fails with ConnectionError, which is retriable.
 *
 * Opening a connection performs the ApiVersions handshake (v2; a broker that does not know v2 answers in the
 * v0 format with UNSUPPORTED_VERSION and the versions it knows, and the handshake is repeated at the highest
 * of those). `versions` then gives the version of every API.
 */
export class Connection {
  readonly address: BrokerAddress;
  readonly broker: string;
  readonly nodeId: number;
  private readonly options: ConnectionOptions;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly maxInFlightRequests: number;
  private readonly socket: Socket;
  private readonly decoder: FrameDecoder;
  private stateValue: ConnectionState = 'connecting';
  private apiVersions: ApiVersionTable | null = null;
  private nextCorrelationId = 1;
  /** Requests on the wire, in the order sent; answers must come in this order. */
  private readonly inFlight: PendingRequest[] = [];
  private inFlightHead = 0;
  /** Requests waiting for an in-flight slot or for the socket to drain, in order. */
  private readonly queue: PendingRequest[] = [];
  private queueHead = 0;
  private readonly closeListeners: ((error: Error | null) => void)[] = [];
  private closedWith: Error | null = null;
  private closedPromise: Promise<void>;
  /** Set by `close()` while it waits for held requests to finish. */
  private onDrained: (() => void) | null = null;
  private resolveClosed!: () => void;

  private constructor(options: ConnectionOptions, socket: Socket) {
    this.options = options;
    this.address = options.address;
    this.broker = formatAddress(options.address);
    this.nodeId = options.nodeId ?? -1;
    this.clock = options.clock ?? systemClock;
    this.maxInFlightRequests = options.maxInFlightRequests ?? Limits.DEFAULT_MAX_IN_FLIGHT_REQUESTS;
    if (
      !Number.isInteger(this.maxInFlightRequests) ||
      this.maxInFlightRequests < 1 ||
      this.maxInFlightRequests > Limits.MAX_IN_FLIGHT_REQUESTS
    ) {
      throw new RangeError(`maxInFlightRequests must be in [1, ${Limits.MAX_IN_FLIGHT_REQUESTS}]`);
    }
    this.logger = options.logger.child({ component: 'connection', broker: this.broker, nodeId: this.nodeId });
    this.socket = socket;
    this.closedPromise = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
    this.decoder = new FrameDecoder(Limits.MAX_RESPONSE_BYTES, (payload) => this.onFrame(payload));
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      try {
        this.decoder.push(chunk);
      } catch (error) {
        this.destroy(error as Error);
      }
    });
    socket.on('drain', () => this.pump());
    socket.on('error', (error) => {
      this.destroy(
        new ConnectionError(`connection to ${this.broker} failed: ${error.message}`, this.broker, {
          cause: error,
        }),
      );
    });
    socket.on('close', () => {
      this.destroy(new ConnectionError(`connection to ${this.broker} closed`, this.broker));
    });
  }

  /**
   * Connects and performs the ApiVersions handshake within connectionSetupTimeoutMs. Rejects with
   * ConnectionError (refused, reset) or RequestTimeoutError.
   */
  static async open(options: ConnectionOptions): Promise<Connection> {
    const clock = options.clock ?? systemClock;
    const broker = formatAddress(options.address);
    if (options.signal?.aborted) throw abortReason(options.signal);
    const socket = connect({ host: options.address.host, port: options.address.port });
    const connection = new Connection(options, socket);
    let timer: TimerHandle | null = null;
    const onAbort = () => connection.destroy(abortReason(options.signal!));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const timedOut = new Promise<never>((_, reject) => {
        timer = clock.setTimeout(() => {
          const error = new RequestTimeoutError(
            `connecting to ${broker} took longer than ${options.connectionSetupTimeoutMs} ms`,
            broker,
          );
          connection.destroy(error);
          reject(error);
        }, options.connectionSetupTimeoutMs);
      });
      await Promise.race([connection.handshake(socket), timedOut]);
      return connection;
    } catch (error) {
      connection.destroy(error as Error);
      throw error;
    } finally {
      if (timer !== null) clock.clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  private async handshake(socket: Socket): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onConnect = () => {
        socket.off('error', onError);
        resolve();
      };
      const onError = (error: Error) => {
        socket.off('connect', onConnect);
        reject(
          new ConnectionError(`cannot connect to ${this.broker}: ${error.message}`, this.broker, {
            cause: error,
          }),
        );
      };
      socket.once('connect', onConnect);
      socket.once('error', onError);
    });
    let version = API_VERSIONS_REQUEST_VERSION;
    for (let attempt = 0; attempt < 2; attempt++) {
      const body = (await this.send(
        Apis.ApiVersions as unknown as ApiDefinition<unknown, unknown>,
        version,
        {},
        true,
        this.options.connectionSetupTimeoutMs,
      )) as ApiVersionsResponse | { unsupported: ApiVersionsResponse };
      if ('unsupported' in body) {
        // The broker does not know our version: it listed its own ApiVersions range in the v0 format.
        const own = body.unsupported.apiKeys.find((range) => range.apiKey === Apis.ApiVersions.apiKey);
        const next = own ? Math.min(own.maxVersion, API_VERSIONS_REQUEST_VERSION) : 0;
        if (next >= version) break;
        version = next;
        continue;
      }
      if (body.errorCode !== 0)
        throw new KafkaError(body.errorCode, `ApiVersions answered error ${body.errorCode}`);
      this.apiVersions = new ApiVersionTable(body.apiKeys);
      if (this.stateValue === 'connecting') this.stateValue = 'ready';
      this.logger.debug({ versions: this.apiVersions.summary() }, 'connected');
      this.pump();
      return;
    }
    throw new ProtocolError(`${this.broker} refused every ApiVersions version`);
  }

  get state(): ConnectionState {
    return this.stateValue;
  }

  get isUsable(): boolean {
    return this.stateValue === 'ready';
  }

  /** The versions negotiated with this broker (after `open`). */
  get versions(): ApiVersionTable {
    if (this.apiVersions === null) throw new ProtocolError(`no ApiVersions answer from ${this.broker} yet`);
    return this.apiVersions;
  }

  get inFlightRequests(): number {
    return this.inFlight.length - this.inFlightHead;
  }

  get queuedRequests(): number {
    return this.queue.length - this.queueHead;
  }

  /** Resolves once the connection is closed, for whatever reason. */
  get closed(): Promise<void> {
    return this.closedPromise;
  }

  /** Called once when the connection closes: null after `close()`, else the error that closed it. */
  onClose(listener: (error: Error | null) => void): void {
    if (this.stateValue === 'closed') listener(this.closedWith);
    else this.closeListeners.push(listener);
  }

  /**
   * Sends a request at the negotiated version (or `options.version`) and resolves with the decoded answer.
   * Error codes inside the answer are the caller's to read; this rejects only when no answer comes
   * (ConnectionError, RequestTimeoutError), the answer is malformed (ProtocolError), the API has no version
   * in common (UnsupportedVersionError), or the signal aborts.
   */
  request<Request, Response>(
    api: ApiDefinition<Request, Response>,
    body: Input<Request>,
    options: RequestOptions = {},
  ): Promise<Response> {
    if (this.stateValue !== 'ready') {
      return Promise.reject(
        this.closedWith ??
          new ConnectionError(`connection to ${this.broker} is ${this.stateValue}`, this.broker),
      );
    }
    let version: number;
    try {
      version = options.version ?? this.versions.require(api as ApiDefinition<unknown, unknown>, this.broker);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.send(
      api as ApiDefinition<unknown, unknown>,
      version,
      body,
      options.expectResponse ?? true,
      options.timeoutMs ?? this.options.requestTimeoutMs,
      options.signal,
    ) as Promise<Response>;
  }

  private send(
    api: ApiDefinition<unknown, unknown>,
    version: number,
    body: unknown,
    expectResponse: boolean,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<unknown> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (this.queuedRequests >= Limits.MAX_QUEUED_REQUESTS_PER_CONNECTION) {
      return Promise.reject(
        new ConnectionError(
          `more than ${Limits.MAX_QUEUED_REQUESTS_PER_CONNECTION} requests queued for ${this.broker}`,
          this.broker,
        ),
      );
    }
    const correlationId = this.nextCorrelationId;
    this.nextCorrelationId = correlationId >= Limits.MAX_CORRELATION_ID ? 1 : correlationId + 1;
    let frame: Buffer[];
    try {
      frame = encodeRequestFrame(api, version, correlationId, this.options.clientId, body as Input<unknown>);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<unknown>((resolve, reject) => {
      const pending: PendingRequest = {
        correlationId,
        api,
        version,
        frame,
        expectResponse,
        timeoutMs,
        state: 'queued',
        timer: null,
        signal,
        onAbort: null,
        resolve,
        reject,
      };
      if (signal) {
        pending.onAbort = () => this.abandon(pending, abortReason(signal));
        signal.addEventListener('abort', pending.onAbort, { once: true });
      }
      this.queue.push(pending);
      this.pump();
    });
  }

  /** Writes queued requests while there is an in-flight slot and the socket is not backed up. */
  private pump(): void {
    let corked = false;
    while (this.queueHead < this.queue.length) {
      if (this.inFlightRequests >= this.maxInFlightRequests || this.socket.writableNeedDrain) break;
      const pending = this.queue[this.queueHead++];
      if (pending.state !== 'queued') continue;
      if (!corked) {
        this.socket.cork();
        corked = true;
      }
      if (pending.expectResponse) {
        for (const chunk of pending.frame) this.socket.write(chunk);
        pending.state = 'in-flight';
        this.inFlight.push(pending);
        pending.timer = this.clock.setTimeout(() => this.onTimeout(pending), pending.timeoutMs);
      } else {
        // No answer will come: resolve once the bytes have left, so the caller may reuse its buffers.
        const last = pending.frame.length - 1;
        for (let i = 0; i < last; i++) this.socket.write(pending.frame[i]);
        this.settle(pending);
        this.socket.write(pending.frame[last], (error) => {
          if (error)
            pending.reject(
              new ConnectionError(`writing to ${this.broker} failed: ${error.message}`, this.broker),
            );
          else pending.resolve(null);
        });
      }
    }
    if (corked) this.socket.uncork();
    if (this.queueHead === this.queue.length) {
      this.queue.length = 0;
      this.queueHead = 0;
    } else if (this.queueHead > 1024) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
    this.checkDrained();
  }

  private onFrame(payload: Buffer): void {
    if (this.inFlightHead >= this.inFlight.length) {
      this.destroy(new ProtocolError(`${this.broker} sent a response to no request`));
      return;
    }
    const pending = this.inFlight[this.inFlightHead++];
    if (this.inFlightHead === this.inFlight.length) {
      this.inFlight.length = 0;
      this.inFlightHead = 0;
    }
    if (pending.timer !== null) this.clock.clearTimeout(pending.timer);
    pending.timer = null;
    const correlationId = payload.length >= 4 ? payload.readInt32BE(0) : -1;
    if (correlationId !== pending.correlationId) {
      const error = new ProtocolError(
        `${this.broker} answered correlation id ${correlationId}, expected ${pending.correlationId} (${pending.api.name})`,
      );
      const wasWaited = pending.state === 'in-flight';
      this.settle(pending);
      if (wasWaited) pending.reject(error);
      this.destroy(error);
      return;
    }
    const wasAbandoned = pending.state === 'abandoned';
    this.settle(pending);
    let body: unknown;
    try {
      if (
        pending.api.apiKey === Apis.ApiVersions.apiKey &&
        payload.length >= 6 &&
        payload.readInt16BE(4) === ERROR_UNSUPPORTED_VERSION
      ) {
        // Always the v0 format, whatever version was asked for.
        body = { unsupported: decodeResponseFrame(Apis.ApiVersions, 0, payload).body };
      } else {
        body = decodeResponseFrame(pending.api, pending.version, payload).body;
      }
    } catch (error) {
      const problem = new ProtocolError(
        `${this.broker} sent a malformed ${pending.api.name} v${pending.version} response: ${(error as Error).message}`,
        { cause: error },
      );
      if (!wasAbandoned) pending.reject(problem);
      this.destroy(problem);
      return;
    }
    if (!wasAbandoned) pending.resolve(body);
    this.pump();
  }

  private onTimeout(pending: PendingRequest): void {
    pending.timer = null;
    if (pending.state !== 'in-flight' && pending.state !== 'abandoned') return;
    const error = new RequestTimeoutError(
      `${pending.api.name} to ${this.broker} got no answer within ${pending.timeoutMs} ms`,
      this.broker,
    );
    this.logger.warn({ api: pending.api.name, timeoutMs: pending.timeoutMs }, 'request timed out; closing');
    this.destroy(error, pending);
  }

  /** The caller stops waiting: a queued request is dropped, an in-flight one's answer will be ignored. */
  private abandon(pending: PendingRequest, reason: Error): void {
    if (pending.state === 'queued') {
      this.settle(pending);
      pending.reject(reason);
    } else if (pending.state === 'in-flight') {
      pending.state = 'abandoned';
      if (pending.signal && pending.onAbort) pending.signal.removeEventListener('abort', pending.onAbort);
      pending.onAbort = null;
      pending.reject(reason);
    }
  }

  private settle(pending: PendingRequest): void {
    pending.state = 'settled';
    if (pending.timer !== null) this.clock.clearTimeout(pending.timer);
    pending.timer = null;
    if (pending.signal && pending.onAbort) pending.signal.removeEventListener('abort', pending.onAbort);
    pending.onAbort = null;
  }

  /**
   * Closes cleanly: takes no new requests, waits up to `timeoutMs` for those already sent or queued to be
   * answered, then closes the socket.
   */
  async close(timeoutMs: number = Limits.CLOSE_DRAIN_TIMEOUT_MS): Promise<void> {
    if (this.stateValue === 'closed') return;
    if (this.stateValue !== 'closing') {
      this.stateValue = 'closing';
      if (this.inFlightRequests + this.queuedRequests > 0) {
        const timer = this.clock.setTimeout(() => this.destroy(null), timeoutMs);
        this.onDrained = () => {
          this.clock.clearTimeout(timer);
          this.destroy(null);
        };
      } else {
        this.destroy(null);
      }
    }
    await this.closedPromise;
  }

  /** While closing, closes the socket once nothing is held any more. */
  private checkDrained(): void {
    if (this.onDrained !== null && this.inFlightRequests + this.queuedRequests === 0) {
      const onDrained = this.onDrained;
      this.onDrained = null;
      onDrained();
    }
  }

  /**
   * Closes at once. Every request still held fails: `culprit` (the timed-out request) with `error`, the
   * others with a retriable ConnectionError. `error` null means a clean close by the caller.
   */
  destroy(error: Error | null, culprit?: PendingRequest): void {
    if (this.stateValue === 'closed') return;
    this.stateValue = 'closed';
    this.closedWith = error ?? new ClientClosedError(`connection to ${this.broker} was closed`);
    this.socket.destroy();
    const others =
      error === null
        ? this.closedWith
        : ConnectionError.isInstance(error)
          ? error
          : new ConnectionError(`connection to ${this.broker} closed: ${error.message}`, this.broker, {
              cause: error,
            });
    const held = [...this.inFlight.slice(this.inFlightHead), ...this.queue.slice(this.queueHead)];
    this.inFlight.length = 0;
    this.inFlightHead = 0;
    this.queue.length = 0;
    this.queueHead = 0;
    for (const pending of held) {
      if (pending.state === 'settled') continue;
      const wasAbandoned = pending.state === 'abandoned';
      this.settle(pending);
      if (!wasAbandoned) pending.reject(pending === culprit && error !== null ? error : others);
    }
    if (error !== null && !ClientClosedError.isInstance(error)) {
      this.logger.debug({ err: error }, 'connection closed');
    }
    for (const listener of this.closeListeners.splice(0)) listener(error);
    this.resolveClosed();
  }
}
