import { describe, expect, it } from 'vitest';
import { NATS_JETSTREAM_MINIMUM_VERSION, versionAtLeast } from './nats-server.js';

describe('the nats-server version check', () => {
  it("accepts Debian's JetStream-capable versions and refuses those before 2.2", () => {
    expect(versionAtLeast('2.9.10-1+b3', NATS_JETSTREAM_MINIMUM_VERSION)).toBe(true);
    expect(versionAtLeast('2.2.0', NATS_JETSTREAM_MINIMUM_VERSION)).toBe(true);
    expect(versionAtLeast('1:2.10.1-1', NATS_JETSTREAM_MINIMUM_VERSION)).toBe(true);
    expect(versionAtLeast('2.1.9-2', NATS_JETSTREAM_MINIMUM_VERSION)).toBe(false);
    expect(versionAtLeast('1.4.1', NATS_JETSTREAM_MINIMUM_VERSION)).toBe(false);
  });
});
