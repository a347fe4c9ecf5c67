import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startedForSuite } from './started-for-suite.js';
import { TcpProxy } from './tcp-proxy.js';

function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

describe('startedForSuite', () => {
  let portSeen = 0;
  let stoodIn: TcpProxy | undefined;

  describe('within the suite', () => {
    const proxy = startedForSuite(() => TcpProxy.start());
    stoodIn = proxy;

    it('has started it before the tests, and reads its properties and methods through', async () => {
      portSeen = proxy.port;
      expect(portSeen).toBeGreaterThan(0);
      expect(await refusesConnections(portSeen)).toBe(false);
      expect(proxy.dropConnections()).toBe(0);
    });
  });

  it('stops it after the suite, and refuses to read it then', async () => {
    expect(portSeen).toBeGreaterThan(0);
    expect(await refusesConnections(portSeen)).toBe(true);
    expect(() => stoodIn!.port).toThrow(/has not started \(or has stopped\)/);
  });
});
