/**
 * A driver process: runs one client workload against one system and prints its result as the last line of
 * stdout (`{"result": ...}`), or `{"error": "..."}`. The harness starts one per workload, so every client
 * starts with a fresh heap, and can be profiled on its own.
 *
 *   node --import tsx src/driver.ts '<job as JSON>'
 */
import type { ClientDriver, DriverSystem } from './drivers/client-driver.js';
import { natsDriver } from './drivers/nats-driver.js';
import { rabbitmqDriver } from './drivers/rabbitmq-driver.js';
import { redisDriver } from './drivers/redis-driver.js';
import { sluiceDriver } from './drivers/sluice-driver.js';
import { recordValues } from './payload.js';
import { appendFileCeiling, socketSink, socketWriterCeiling } from './raw-ceilings.js';
import { consumeAll, consumeLatencies, produceAll, producePaced } from './workloads.js';

export type DriverJob =
  | {
      readonly kind: 'produce';
      readonly system: DriverSystem;
      readonly endpoint: string;
      readonly destination: string;
      readonly count: number;
      readonly recordBytes: number;
      readonly seed: number;
    }
  | {
      readonly kind: 'consume';
      readonly system: DriverSystem;
      readonly endpoint: string;
      readonly destination: string;
      readonly count: number;
      readonly recordBytes: number;
      readonly timeoutMs: number;
    }
  | {
      readonly kind: 'latency-produce';
      readonly system: DriverSystem;
      readonly endpoint: string;
      readonly destination: string;
      readonly count: number;
      readonly rate: number;
      readonly recordBytes: number;
      readonly seed: number;
    }
  | {
      readonly kind: 'latency-consume';
      readonly system: DriverSystem;
      readonly endpoint: string;
      readonly destination: string;
      readonly count: number;
      readonly warmupCount: number;
      readonly timeoutMs: number;
    }
  | { readonly kind: 'socket-sink' }
  | { readonly kind: 'socket-write'; readonly port: number; readonly totalBytes: number }
  | { readonly kind: 'file-append'; readonly path: string; readonly totalBytes: number };

function clientDriver(system: DriverSystem, endpoint: string, mode: 'throughput' | 'latency'): ClientDriver {
  switch (system) {
    case 'sluice':
      return sluiceDriver(endpoint, mode);
    case 'rabbitmq':
      return rabbitmqDriver(endpoint);
    case 'nats':
      return natsDriver(endpoint);
    case 'redis':
      return redisDriver(endpoint);
  }
}

function emit(line: object): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

async function run(job: DriverJob): Promise<unknown> {
  switch (job.kind) {
    case 'socket-sink':
      return socketSink((port) => emit({ ready: true, port }));
    case 'socket-write':
      return socketWriterCeiling(job.port, job.totalBytes);
    case 'file-append':
      return appendFileCeiling(job.path, job.totalBytes);
    default:
      break;
  }
  const driver = clientDriver(
    job.system,
    job.endpoint,
    job.kind === 'latency-produce' ? 'latency' : 'throughput',
  );
  try {
    switch (job.kind) {
      case 'produce':
        await driver.create(job.destination);
        return await produceAll(driver, job.destination, recordValues(job.recordBytes, job.seed), job.count);
      case 'consume': {
        const result = await consumeAll(driver, job.destination, job.count, job.recordBytes, job.timeoutMs);
        await driver.remove(job.destination);
        return result;
      }
      case 'latency-produce':
        return await producePaced(
          driver,
          job.destination,
          recordValues(job.recordBytes, job.seed),
          job.count,
          job.rate,
        );
      case 'latency-consume': {
        await driver.create(job.destination);
        const result = await consumeLatencies(
          driver,
          job.destination,
          job.count,
          job.warmupCount,
          job.timeoutMs,
          () => emit({ ready: true }),
        );
        await driver.remove(job.destination);
        return result;
      }
    }
  } finally {
    await driver.close();
  }
}

const job = JSON.parse(process.argv[2] ?? '{}') as DriverJob;
run(job).then(
  (result) => {
    emit({ result });
    process.exit(0);
  },
  (error: unknown) => {
    emit({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    process.exit(1);
  },
);
