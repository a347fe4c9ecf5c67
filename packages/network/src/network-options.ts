import { type BrokerAddress, parseBootstrapServers } from './broker-address.js';
import {
  boundRelation,
  customOption,
  INT32_MAX,
  integerOption,
  type OptionRelation,
  type OptionTable,
  stringOption,
} from './options.js';

/** Options every client (producer, consumer, admin) shares, as given by the user. */
export interface NetworkOptions {
  /** `host:port` of one or more brokers to learn the cluster from. */
  bootstrapServers: string | readonly string[];
  clientId?: string;
  requestTimeoutMs?: number;
  metadataMaxAgeMs?: number;
  retryBackoffMs?: number;
  retryBackoffMaxMs?: number;
  reconnectBackoffMs?: number;
  reconnectBackoffMaxMs?: number;
  socketConnectionSetupTimeoutMs?: number;
}

/** The same options after validation, with Kafka's defaults filled in. */
export interface ResolvedNetworkOptions {
  bootstrapServers: BrokerAddress[];
  clientId: string;
  requestTimeoutMs: number;
  metadataMaxAgeMs: number;
  retryBackoffMs: number;
  retryBackoffMaxMs: number;
  reconnectBackoffMs: number;
  reconnectBackoffMaxMs: number;
  socketConnectionSetupTimeoutMs: number;
}

export const networkOptionTable: OptionTable<ResolvedNetworkOptions> = {
  bootstrapServers: customOption<BrokerAddress[]>({
    kafkaName: 'bootstrap.servers',
    required: true,
    description: 'brokers to fetch the cluster metadata from',
    domain: '"host:port,..." or ["host:port", ...]',
    parse: parseBootstrapServers,
  }),
  clientId: stringOption({
    kafkaName: 'client.id',
    defaultValue: '',
    maxLength: 32767,
    description: 'sent with every request, for broker logs and quotas',
  }),
  requestTimeoutMs: integerOption({
    kafkaName: 'request.timeout.ms',
    defaultValue: 30_000,
    min: 1,
    max: INT32_MAX,
    unit: 'ms',
    description: 'how long to wait for the answer to a request before failing it and closing the connection',
  }),
  metadataMaxAgeMs: integerOption({
    kafkaName: 'metadata.max.age.ms',
    defaultValue: 300_000,
    min: 0,
    max: INT32_MAX,
    unit: 'ms',
    description: 'metadata is refreshed at least this often, even without errors',
  }),
  retryBackoffMs: integerOption({
    kafkaName: 'retry.backoff.ms',
    defaultValue: 100,
    min: 0,
    max: INT32_MAX,
    unit: 'ms',
    description: 'first backoff before retrying a failed request; doubles on each retry, with full jitter',
  }),
  retryBackoffMaxMs: integerOption({
    kafkaName: 'retry.backoff.max.ms',
    defaultValue: 1_000,
    min: 0,
    max: INT32_MAX,
    unit: 'ms',
    description: 'the most the retry backoff grows to',
  }),
  reconnectBackoffMs: integerOption({
    kafkaName: 'reconnect.backoff.ms',
    defaultValue: 50,
    min: 0,
    max: INT32_MAX,
    unit: 'ms',
    description: 'first wait before reconnecting to a broker; doubles on each failure, with jitter',
  }),
  reconnectBackoffMaxMs: integerOption({
    kafkaName: 'reconnect.backoff.max.ms',
    defaultValue: 1_000,
    min: 0,
    max: INT32_MAX,
    unit: 'ms',
    description: 'the most the reconnect backoff grows to',
  }),
  socketConnectionSetupTimeoutMs: integerOption({
    kafkaName: 'socket.connection.setup.timeout.ms',
    defaultValue: 10_000,
    min: 1,
    max: INT32_MAX,
    unit: 'ms',
    description: 'how long connecting (TCP and the ApiVersions handshake) may take',
  }),
};

export const networkOptionRelations: OptionRelation<ResolvedNetworkOptions>[] = [
  boundRelation('retryBackoffMaxMs', 'at least', ['retryBackoffMs']),
  boundRelation('reconnectBackoffMaxMs', 'at least', ['reconnectBackoffMs']),
];

/** The relations of a client's options: the network's, then the client's own. */
export function clientOptionRelations<Resolved extends ResolvedNetworkOptions>(
  ...relations: OptionRelation<Resolved>[]
): OptionRelation<Resolved>[] {
  return [...(networkOptionRelations as OptionRelation<Resolved>[]), ...relations];
}
