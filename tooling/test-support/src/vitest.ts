/** The helpers that register vitest hooks or tests: import them only from test files. */
export { describeOrSkip, describeWithMockCluster, type MockClusterSuiteOptions } from './describe-or-skip.js';
export { describeReadme, type ReadmeSuiteOptions } from './readme-suite.js';
export { type Stoppable, type SuiteOptions, startedForSuite } from './started-for-suite.js';
