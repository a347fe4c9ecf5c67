import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@sluice/test-support';
import { runDriver, startDriver } from './driver-process.js';
import { removeTrackedDirectory, runProcess, sleep, startProcess, trackDirectory } from './processes.js';
import type { RawCeilingResult } from './raw-ceilings.js';

/** Seconds iperf3 sends for. */
export const IPERF3_SECONDS = 3;

export interface CeilingSample {
  /** iperf3 over loopback, MB/s received. */
  readonly loopbackTcpMBps: number | null;
  /** fio sequential write, 1 MiB blocks, psync, fsync at the end, MB/s. */
  readonly diskWriteMBps: number | null;
  /** A Node process writing 1 MiB chunks to a Node reader over loopback, MB/s. */
  readonly nodeSocketMBps: number;
  /** A Node process appending 1 MiB chunks to a file (page cache), MB/s; and with the final fsync. */
  readonly nodeFileAppendMBps: number;
  readonly nodeFileAppendWithFsyncMBps: number;
}

export async function loopbackTcpCeiling(): Promise<number | null> {
  const port = await freePort();
  const server = startProcess('iperf3 -s', 'iperf3', ['-s', '-1', '-B', '127.0.0.1', '-p', String(port)]);
  try {
    await sleep(500);
    const result = await runProcess('iperf3', [
      '-c',
      '127.0.0.1',
      '-p',
      String(port),
      '-t',
      String(IPERF3_SECONDS),
      '-J',
    ]);
    if (result.code !== 0) return null;
    return (
      (JSON.parse(result.stdout) as { end: { sum_received: { bits_per_second: number } } }).end.sum_received
        .bits_per_second /
      8 /
      1e6
    );
  } finally {
    await server.stop();
  }
}

export async function diskWriteCeiling(directory: string, sizeBytes: number): Promise<number | null> {
  const file = join(directory, 'fio.bin');
  const result = await runProcess('fio', [
    '--name=seqwrite',
    `--filename=${file}`,
    '--rw=write',
    '--bs=1M',
    `--size=${sizeBytes}`,
    '--ioengine=psync',
    '--end_fsync=1',
    '--output-format=json',
  ]);
  rmSync(file, { force: true });
  if (result.code !== 0) return null;
  return (
    (JSON.parse(result.stdout) as { jobs: { write: { bw_bytes: number } }[] }).jobs[0].write.bw_bytes / 1e6
  );
}

export async function nodeSocketCeiling(totalBytes: number): Promise<number> {
  let announce: (port: number) => void = () => {};
  const listening = new Promise<number>((resolve) => {
    announce = resolve;
  });
  const sink = startDriver<never>({ kind: 'socket-sink' }, { onReady: ({ port }) => announce(port ?? 0) });
  try {
    const port = await Promise.race([listening, sink.result]);
    const result = await runDriver<RawCeilingResult>({ kind: 'socket-write', port, totalBytes });
    return result.bytes / 1e6 / (result.elapsedMs / 1000);
  } finally {
    await sink.stop();
    await sink.result.catch(() => {});
  }
}

export async function nodeFileAppendCeiling(
  directory: string,
  totalBytes: number,
): Promise<{ pageCacheMBps: number; withFsyncMBps: number }> {
  const result = await runDriver<RawCeilingResult>({
    kind: 'file-append',
    path: join(directory, 'append.bin'),
    totalBytes,
  });
  return {
    pageCacheMBps: result.bytes / 1e6 / (result.elapsedMs / 1000),
    withFsyncMBps: result.bytes / 1e6 / ((result.elapsedWithFsyncMs ?? result.elapsedMs) / 1000),
  };
}

/** Every ceiling once; iperf3 and fio only when installed (they are installed by the harness). */
export async function measureCeilings(
  bytes: number,
  haveIperf3: boolean,
  haveFio: boolean,
): Promise<CeilingSample> {
  const scratch = trackDirectory(mkdtempSync(join(tmpdir(), 'sluice-bench-ceiling-')));
  try {
    const loopbackTcpMBps = haveIperf3 ? await loopbackTcpCeiling() : null;
    const diskWriteMBps = haveFio ? await diskWriteCeiling(scratch, bytes) : null;
    const nodeSocketMBps = await nodeSocketCeiling(bytes);
    const append = await nodeFileAppendCeiling(scratch, bytes);
    return {
      loopbackTcpMBps,
      diskWriteMBps,
      nodeSocketMBps,
      nodeFileAppendMBps: append.pageCacheMBps,
      nodeFileAppendWithFsyncMBps: append.withFsyncMBps,
    };
  } finally {
    removeTrackedDirectory(scratch);
  }
}
