import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { ManualClock } from '../manual-clock.js';
import { encodeSubscription } from './consumer-protocol.js';
import { GroupCoordinator, type JoinGroupInput } from './group-coordinator.js';
import type { GroupCoordinatorConfig } from './group-coordinator-config.js';
import type { MemberProtocol } from './group-member.js';
import { InMemoryGroupStorage } from './group-storage.js';

/** Test helpers for the group coordinator; not part of the package's API. */

/** Wall-clock time the manual clock starts at (ms since the epoch), so stored timestamps look real. */
export const START_WALL_MS = 1_700_000_000_000;

export const TEST_CONFIG: Partial<GroupCoordinatorConfig> = {
  offsetsTopicPartitionCount: 4,
  groupMinSessionTimeoutMs: 1_000,
  groupMaxSessionTimeoutMs: 60_000,
  groupInitialRebalanceDelayMs: 100,
  offsetsRetentionMs: 60 * 60 * 1000,
  offsetsRetentionCheckIntervalMs: 60_000,
};

export interface Harness {
  readonly clock: ManualClock;
  readonly storage: InMemoryGroupStorage;
  coordinator: GroupCoordinator;
  /** Stops the coordinator and starts a new one on the same storage (a broker restart). */
  restart(config?: Partial<GroupCoordinatorConfig>): Promise<void>;
}

export async function startHarness(
  config: Partial<GroupCoordinatorConfig> = {},
  storage = new InMemoryGroupStorage(),
  clock = new ManualClock(START_WALL_MS),
): Promise<Harness> {
  let sequence = 0;
  const create = (overrides: Partial<GroupCoordinatorConfig>) =>
    new GroupCoordinator({
      config: { ...TEST_CONFIG, ...overrides },
      storage,
      clock,
      timers: clock,
      wallClock: clock,
      newMemberIdSuffix: () => `m${++sequence}`,
    });
  const harness: Harness = {
    clock,
    storage,
    coordinator: create(config),
    async restart(next = config) {
      harness.coordinator.shutdown();
      harness.coordinator = create(next);
      await harness.coordinator.start();
    },
  };
  await harness.coordinator.start();
  return harness;
}

/** Lets promise continuations and macrotasks queued by the coordinator run. */
export async function settle(rounds = 3): Promise<void> {
  for (let i = 0; i < rounds; i++) await nextMacrotask();
}

export function consumerProtocols(
  topics: readonly string[],
  names: readonly string[] = ['range'],
): MemberProtocol[] {
  const metadata = encodeSubscription(topics);
  return names.map((name) => ({ name, metadata }));
}

export function joinInput(overrides: Partial<JoinGroupInput> = {}): JoinGroupInput {
  return {
    groupId: 'group',
    memberId: '',
    groupInstanceId: null,
    requireKnownMemberId: true,
    clientId: 'client',
    clientHost: '/127.0.0.1',
    rebalanceTimeoutMs: 10_000,
    sessionTimeoutMs: 6_000,
    protocolType: 'consumer',
    protocols: consumerProtocols(['orders']),
    ...overrides,
  };
}

/** Whether `promise` has settled, after letting pending work run. */
export async function hasSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  await settle();
  return settled;
}

/**
 * Advances the harness clock in `stepMs` steps until `promise` settles (a join round waiting for its delay
 * or timeout), then returns its value. Fails after `maxSteps`.
 */
export async function until<T>(
  harness: Harness,
  promise: Promise<T>,
  stepMs = 100,
  maxSteps = 1_000,
): Promise<T> {
  for (let step = 0; step < maxSteps; step++) {
    if (await hasSettled(promise)) return promise;
    await harness.clock.advance(stepMs);
  }
  throw new Error(`still waiting after ${maxSteps * stepMs} ms`);
}
