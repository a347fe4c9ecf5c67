import { Apis, ErrorCode } from '@sluice/protocol';
import type { BrokerAddress } from './broker-address.js';
import type { Cluster } from './cluster.js';
import { kafkaErrorAt } from './errors.js';

/** What a coordinator is looked up for: a consumer group (key type 0) or a transactional id (1). */
export type CoordinatorKeyType = 'group' | 'transaction';

export interface Coordinator extends BrokerAddress {
  readonly nodeId: number;
}

export interface FindCoordinatorOptions {
  /** No new attempt after this time (clock ms); default now + request.timeout.ms. */
  readonly deadlineMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * Error codes after which a client must look its coordinator up again: the broker it asked is not (or no
 * longer) the coordinator, or the coordinator is down.
 */
export const COORDINATOR_MOVED_ERROR_CODES: ReadonlySet<number> = new Set([
  ErrorCode.NOT_COORDINATOR,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
]);

/**
 * Asks any broker which broker coordinates `key` (FindCoordinator v0-2), retrying connection failures and
 * retriable errors (COORDINATOR_NOT_AVAILABLE while the coordinator is elected or loading) with backoff
 * until the deadline. Fails at once for GROUP_AUTHORIZATION_FAILED, INVALID_REQUEST and the like, with the
 * error located at `groups/<key>` (or `transactions/<key>`).
 */
export async function findCoordinator(
  cluster: Cluster,
  key: string,
  keyType: CoordinatorKeyType = 'group',
  options: FindCoordinatorOptions = {},
): Promise<Coordinator> {
  const location = `${keyType === 'group' ? 'groups' : 'transactions'}/${key}`;
  const response = await cluster.requestWithRetry(
    'any',
    Apis.FindCoordinator,
    { key, keyType: keyType === 'group' ? 0 : 1, coordinatorKeys: [key] },
    {
      deadlineMs: options.deadlineMs,
      signal: options.signal,
      check: (answer: { errorCode: number; errorMessage: string | null }) => {
        if (answer.errorCode !== 0) throw kafkaErrorAt(answer.errorCode, location, answer.errorMessage);
      },
    },
  );
  return { nodeId: response.nodeId, host: response.host, port: response.port };
}
