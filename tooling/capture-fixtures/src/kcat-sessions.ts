import { ApiKey } from '@sluice/protocol';
import { CaptureLimits } from './capture-limits.js';
import type { ClientSession } from './client-session.js';
import {
  type Compression,
  KCAT_GROUP,
  KCAT_HEADERS,
  KCAT_RECORDS,
  KCAT_TOPIC,
  type SentRecord,
} from './fixture-records.js';
import { runProcess } from './run-process.js';

/**
 * kcat (librdkafka) sessions: `kcat -P` with and without `-z gzip`, `kcat -C` reading the partition back,
 * and `kcat -G` reading it as a member of a consumer group.
 */

const KCAT = 'kcat';
const KEY_DELIMITER = ':';
/** librdkafka settings that keep each session short: quick long polls and heartbeats. */
const QUICK_CONSUMER = ['-X', 'fetch.wait.max.ms=100', '-X', 'heartbeat.interval.ms=100'];

/**
 * librdkafka 2.0.2 compresses with gzip, snappy or lz4 only when the broker's Produce range includes v0 (it
 * asks whether the broker serves some version in [0, 0]; fixed in librdkafka 2.11.1). Against the README's
 * Produce 3-7 it logs "Broker does not support compression type gzip: not compressing batch" and sends the
 * batch uncompressed, so the gzip capture advertises Produce 0-7; the client still sends v7.
 */
const GZIP_OVERRIDES = {
  ranges: [{ apiKey: ApiKey.Produce, minVersion: 0, maxVersion: 7 }],
  reason:
    'librdkafka 2.0.2 compresses with gzip only when the Produce range includes v0; against Produce 3-7 it sends the batch uncompressed',
};

async function kcat(args: readonly string[], input = ''): Promise<string> {
  const result = await runProcess(KCAT, args, input, CaptureLimits.sessionTimeoutMs);
  if (result.exitCode !== 0) {
    throw new Error(
      `kcat ${args.join(' ')} ended with ${result.signal ?? `exit code ${result.exitCode}`}: ${result.stderr}`,
    );
  }
  return result.stdout;
}

function producerSession(compression: Compression): ClientSession {
  const records = KCAT_RECORDS[compression];
  return {
    client: 'kcat',
    name: `produce-${compression}`,
    produced: { topic: KCAT_TOPIC, compression, records },
    advertisedOverrides: compression === 'gzip' ? GZIP_OVERRIDES : null,
    async run(bootstrap) {
      const input = records.map((record) => `${record.key}${KEY_DELIMITER}${record.value}\n`).join('');
      await kcat(
        [
          '-P',
          '-b',
          bootstrap,
          '-t',
          KCAT_TOPIC,
          '-p',
          '0',
          '-K',
          KEY_DELIMITER,
          ...KCAT_HEADERS.flatMap((header) => ['-H', `${header.key}=${header.value}`]),
          '-z',
          compression,
          // Long enough for every line to join one batch in one Produce request.
          '-X',
          'linger.ms=200',
        ],
        input,
      );
    },
  };
}

/** What kcat prints for the records of both producer sessions, in the order they were produced. */
function expectedLines(records: readonly SentRecord[]): string {
  return records.map((record) => `${record.key}=${record.value}\n`).join('');
}

function checkConsumed(output: string, mode: string): void {
  const expected = expectedLines([...KCAT_RECORDS.none, ...KCAT_RECORDS.gzip]);
  if (output !== expected) {
    throw new Error(`kcat ${mode} printed ${JSON.stringify(output)}, expected ${JSON.stringify(expected)}`);
  }
}

const consumerSession: ClientSession = {
  client: 'kcat',
  name: 'consume',
  produced: null,
  advertisedOverrides: null,
  async run(bootstrap) {
    const output = await kcat([
      '-C',
      '-b',
      bootstrap,
      '-t',
      KCAT_TOPIC,
      '-p',
      '0',
      '-o',
      'beginning',
      '-e',
      '-q',
      '-f',
      '%k=%s\n',
      ...QUICK_CONSUMER,
    ]);
    checkConsumed(output, '-C');
  },
};

const groupSession: ClientSession = {
  client: 'kcat',
  name: 'group',
  produced: null,
  advertisedOverrides: null,
  async run(bootstrap) {
    const output = await kcat([
      '-b',
      bootstrap,
      '-G',
      KCAT_GROUP,
      '-o',
      'beginning',
      '-e',
      '-q',
      '-f',
      '%k=%s\n',
      ...QUICK_CONSUMER,
      KCAT_TOPIC,
    ]);
    checkConsumed(output, '-G');
  },
};

/** In the order they run: the consumers read what the producers wrote. */
export const KCAT_SESSIONS: readonly ClientSession[] = [
  producerSession('none'),
  producerSession('gzip'),
  consumerSession,
  groupSession,
];
