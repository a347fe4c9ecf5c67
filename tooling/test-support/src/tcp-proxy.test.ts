import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TcpProxy } from './tcp-proxy.js';

/** A server that answers every chunk with the same bytes. */
async function startEchoServer(): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

function connectTo(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

function nextData(socket: Socket): Promise<string> {
  return new Promise((resolve) => socket.once('data', (chunk: Buffer) => resolve(chunk.toString())));
}

function closed(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) resolve();
    else socket.once('close', () => resolve());
  });
}

describe('TcpProxy', () => {
  const cleanups: (() => Promise<void>)[] = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function proxyToEcho(): Promise<TcpProxy> {
    const echo = await startEchoServer();
    cleanups.push(() => new Promise<void>((resolve) => echo.server.close(() => resolve())));
    const proxy = await TcpProxy.start();
    cleanups.push(() => proxy.stop());
    proxy.setTarget('127.0.0.1', echo.port);
    return proxy;
  }

  it('forwards bytes both ways to its target', async () => {
    const proxy = await proxyToEcho();
    const socket = await connectTo(proxy.port);
    const answer = nextData(socket);
    socket.write('ping');
    expect(await answer).toBe('ping');
    expect(proxy.accepted).toBe(1);
    socket.destroy();
  });

  it('cuts every open connection on dropConnections', async () => {
    const proxy = await proxyToEcho();
    const sockets = [await connectTo(proxy.port), await connectTo(proxy.port)];
    await Promise.all(
      sockets.map(async (socket) => {
        const answer = nextData(socket);
        socket.write('x');
        await answer;
      }),
    );
    expect(proxy.dropConnections()).toBe(2);
    await Promise.all(sockets.map(closed));
    expect(proxy.openConnections).toBe(0);
  });

  it('holds the bytes of new connections until release', async () => {
    const proxy = await proxyToEcho();
    proxy.hold();
    const socket = await connectTo(proxy.port);
    let answered = false;
    const answer = nextData(socket).then((data) => {
      answered = true;
      return data;
    });
    socket.write('held');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(answered).toBe(false);
    proxy.release();
    expect(await answer).toBe('held');
    socket.destroy();
  });

  it('refuses connections while it has no target', async () => {
    const proxy = await TcpProxy.start();
    cleanups.push(() => proxy.stop());
    const socket = await connectTo(proxy.port);
    await closed(socket);
    expect(proxy.accepted).toBe(1);
  });
});
