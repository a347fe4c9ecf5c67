import { describe, expect, it } from 'vitest';
import { kcat } from './kcat.js';
import { mockClusterUnavailableReason } from './librdkafka-tools.js';
import { startMockCluster } from './mock-cluster.js';

const unavailable = mockClusterUnavailableReason();

describe.skipIf(unavailable !== null)(
  `librdkafka's mock cluster and kcat${unavailable ? ` (skipped: ${unavailable})` : ''}`,
  () => {
    it('starts a mock cluster of three brokers that kcat can produce to and read from', async () => {
      const mock = await startMockCluster(60);
      try {
        expect(mock.bootstrap.split(',')).toHaveLength(3);
        await kcat(mock.bootstrap, ['-P', '-t', 't', '-p', '0'], 'one\ntwo\n');
        const read = await kcat(mock.bootstrap, ['-C', '-t', 't', '-p', '0', '-o', 'beginning', '-e', '-q']);
        expect(read.toString()).toBe('one\ntwo\n');
      } finally {
        await mock.stop();
      }
    }, 300_000);

    it('rejects with what kcat printed when kcat fails', async () => {
      await expect(kcat('127.0.0.1:1', ['-L', '-m', '1'])).rejects.toThrow(/kcat -L -m 1 exited with 1: .+/s);
    });
  },
);
