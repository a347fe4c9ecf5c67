import { describe } from 'vitest';
import { mockClusterUnavailableReason } from './librdkafka-tools.js';
import { type MockCluster, startMockCluster } from './mock-cluster.js';
import { startedForSuite } from './started-for-suite.js';

/** How long the mock cluster may take to start: librdkafka's tools may be built first. */
const MOCK_CLUSTER_START_TIMEOUT_MS = 300_000;

/**
 * A describe block, or, when `skipReason` is not null (a tool is missing, the broker lacks an API), the same
 * block skipped with the reason in its name.
 */
export function describeOrSkip(title: string, skipReason: string | null, body: () => void): void {
  describe.skipIf(skipReason !== null)(`${title}${skipReason ? ` (skipped: ${skipReason})` : ''}`, body);
}

export interface MockClusterSuiteOptions {
  /** How long the mock cluster lives at most. */
  readonly lifetimeSeconds: number;
  /** Advertised version ranges to widen, as `apikey:min:max`. */
  readonly apiVersions?: readonly string[];
}

/**
 * A describe block against librdkafka's mock cluster (see startMockCluster), started before the block's
 * tests and stopped after them; skipped, saying why, where the mock cluster cannot run.
 */
export function describeWithMockCluster(
  title: string,
  options: MockClusterSuiteOptions,
  body: (mock: MockCluster) => void,
): void {
  describeOrSkip(title, mockClusterUnavailableReason(), () =>
    body(
      startedForSuite(() => startMockCluster(options.lifetimeSeconds, options.apiVersions), {
        timeoutMs: MOCK_CLUSTER_START_TIMEOUT_MS,
      }),
    ),
  );
}
