export { type BenchFlagDefaults, type BenchFlags, parseBenchFlags } from './bench-flags.js';
export { type BrokerProcess, type BrokerProcessOptions, startBrokerProcess } from './broker-process.js';
export { CRC32C_VECTORS, type Crc32cVector } from './crc32c-vectors.js';
export { freePort } from './free-port.js';
export { kcat, kcatUnavailableReason } from './kcat.js';
export {
  LIBRDKAFKA_TOOLS_DIRECTORY,
  mockClusterUnavailableReason,
  rdkafkaPerformancePath,
} from './librdkafka-tools.js';
export { type MachineLineOptions, machineLine } from './machine.js';
export { type MockCluster, startMockCluster } from './mock-cluster.js';
export { nodeFlagsOf } from './node-flags.js';
export { lastStatisticsRow, runRdkafkaPerformance } from './rdkafka-performance.js';
export { type ExampleResult, Readme } from './readme.js';
export { type CommandOptions, type CommandResult, onPath, runCommand } from './run-command.js';
export { seededRandom } from './seeded-random.js';
export {
  type BrokerModule,
  type InProcessBroker,
  type StartedBroker,
  startSluiceBroker,
} from './sluice-broker.js';
export { type BrokerBehindProxy, startSluiceBrokerBehindProxy } from './sluice-broker-behind-proxy.js';
export { formatSummary, median, percentile, type Summary, summarize } from './statistics.js';
export { TcpProxy } from './tcp-proxy.js';
export { removeDirectory, temporaryDirectory } from './temporary-directory.js';
