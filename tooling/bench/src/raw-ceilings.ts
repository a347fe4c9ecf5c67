import { open, rm } from 'node:fs/promises';
import { connect, createServer } from 'node:net';

/** Bytes per write of the raw socket writer and the raw file appender. */
export const RAW_WRITE_BYTES = 1 << 20;

export interface RawCeilingResult {
  readonly bytes: number;
  readonly elapsedMs: number;
  /** For the file appender: including the fsync at the end. */
  readonly elapsedWithFsyncMs?: number;
}

/**
 * A TCP server on 127.0.0.1 that reads and discards everything, and closes each connection once its
 * writer has ended. Runs until the process is stopped.
 */
export function socketSink(ready: (port: number) => void): Promise<never> {
  return new Promise((_, reject) => {
    const server = createServer((socket) => {
      socket.on('data', () => {});
      socket.on('end', () => socket.destroy());
      socket.on('error', () => socket.destroy());
    });
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      ready(typeof address === 'object' && address ? address.port : 0);
    });
  });
}

/**
 * The fastest a Node process moves bytes over loopback TCP: 1 MiB writes, waiting for 'drain' when the
 * socket's buffer is full, timed until the reader (another process) has read everything and closed.
 */
export async function socketWriterCeiling(port: number, totalBytes: number): Promise<RawCeilingResult> {
  const chunk = Buffer.alloc(RAW_WRITE_BYTES, 0x5a);
  const socket = connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const started = performance.now();
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  let written = 0;
  while (written < totalBytes) {
    const bytes = Math.min(chunk.length, totalBytes - written);
    written += bytes;
    if (!socket.write(bytes === chunk.length ? chunk : chunk.subarray(0, bytes))) {
      await new Promise((resolve) => socket.once('drain', resolve));
    }
  }
  socket.end();
  await closed;
  return { bytes: written, elapsedMs: performance.now() - started };
}

/**
 * The fastest a Node process appends to a file: sequential 1 MiB writes through a FileHandle (the page
 * cache, as a log append with the OS flushing), then one fsync, timed with and without it.
 */
export async function appendFileCeiling(path: string, totalBytes: number): Promise<RawCeilingResult> {
  const chunk = Buffer.alloc(RAW_WRITE_BYTES, 0x5a);
  const file = await open(path, 'a');
  try {
    const started = performance.now();
    let written = 0;
    while (written < totalBytes) {
      const bytes = Math.min(chunk.length, totalBytes - written);
      await file.write(chunk, 0, bytes);
      written += bytes;
    }
    const elapsedMs = performance.now() - started;
    await file.sync();
    return { bytes: written, elapsedMs, elapsedWithFsyncMs: performance.now() - started };
  } finally {
    await file.close();
    await rm(path, { force: true });
  }
}
