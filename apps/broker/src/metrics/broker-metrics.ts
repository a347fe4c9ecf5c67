import type { ConnectionCloseReason } from '../network/connection-close-reason.js';
import { Counter, Gauge, Histogram, MetricsRegistry } from './registry.js';

const LATENCY_BUCKETS_MS = [0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

/** Every metric the broker exports, in one place. Gauges are read from the broker at scrape time. */
export class BrokerMetrics {
  readonly registry = new MetricsRegistry();
  readonly requests = this.registry.register(
    new Counter('sluice_requests_total', 'Requests handled, by API.'),
  );
  readonly requestErrors = this.registry.register(
    new Counter('sluice_request_errors_total', 'Error codes returned, by API and error.'),
  );
  readonly bytesIn = this.registry.register(new Counter('sluice_bytes_in_total', 'Request bytes received.'));
  readonly bytesOut = this.registry.register(new Counter('sluice_bytes_out_total', 'Response bytes sent.'));
  readonly messagesIn = this.registry.register(
    new Counter('sluice_records_in_total', 'Records appended by produce requests.'),
  );
  readonly requestLatency = this.registry.register(
    new Histogram(
      'sluice_request_latency_ms',
      'Time from a request’s arrival to its response being queued, by API (produce and fetch).',
      LATENCY_BUCKETS_MS,
    ),
  );
  /** Labelled only by `connectionClosed`, with a reason from CONNECTION_CLOSE_REASONS. */
  readonly connectionsClosed = this.registry.register(
    new Counter('sluice_connections_closed_total', 'Connections closed, by reason.'),
  );

  constructor(sources: {
    openConnections: () => number;
    partitions: () => Iterable<{
      topic: string;
      partition: number;
      logEndOffset: number;
      highWatermark: number;
      logStartOffset: number;
    }>;
  }) {
    this.registry.register(
      new Gauge('sluice_open_connections', 'Client connections open now.', () => [
        { value: sources.openConnections() },
      ]),
    );
    const partitionGauge = (
      name: string,
      help: string,
      field: 'logEndOffset' | 'highWatermark' | 'logStartOffset',
    ) =>
      this.registry.register(
        new Gauge(name, help, function* () {
          for (const partition of sources.partitions()) {
            yield {
              labels: { topic: partition.topic, partition: partition.partition },
              value: partition[field],
            };
          }
        }),
      );
    partitionGauge('sluice_partition_log_end_offset', 'Log end offset per partition.', 'logEndOffset');
    partitionGauge('sluice_partition_high_watermark', 'High watermark per partition.', 'highWatermark');
    partitionGauge('sluice_partition_log_start_offset', 'Log start offset per partition.', 'logStartOffset');
  }

  /** Counts a closed connection under its reason, one of a fixed set (the detail is in the log line). */
  connectionClosed(reason: ConnectionCloseReason): void {
    this.connectionsClosed.inc({ reason });
  }
}
