import { percentile } from '@sluice/test-support';
import type { ClientDriver } from './drivers/client-driver.js';
import { LATENCY_STAMP_BYTES, readStamp, stampedValue } from './payload.js';

/** Records per send call in the throughput runs (one publish batch, pipeline or produce call). */
export const RECORDS_PER_SEND = 1_000;
/** Send calls a throughput run keeps unacknowledged at once (32,000 records in flight). */
export const SENDS_IN_FLIGHT = 32;
/** The pacer wakes up this often and sends what is due. */
export const PACER_TICK_MS = 1;
/** The pacer never has more than this many seconds' worth of records unacknowledged. */
export const PACER_MAX_UNACKNOWLEDGED_SECONDS = 2;

export interface ThroughputResult {
  readonly records: number;
  readonly bytes: number;
  readonly elapsedMs: number;
}

/** Sends `count` records cycling through `values`, SENDS_IN_FLIGHT calls of RECORDS_PER_SEND at a time. */
export async function produceAll(
  driver: ClientDriver,
  destination: string,
  values: readonly Buffer[],
  count: number,
): Promise<ThroughputResult> {
  const chunks: Buffer[][] = [];
  for (let first = 0; first < count; first += RECORDS_PER_SEND) {
    const chunk: Buffer[] = [];
    for (let i = first; i < Math.min(count, first + RECORDS_PER_SEND); i++)
      chunk.push(values[i % values.length]);
    chunks.push(chunk);
  }
  const started = performance.now();
  const inFlight = new Set<Promise<void>>();
  for (const chunk of chunks) {
    const sending: Promise<void> = driver.send(destination, chunk).then(() => {
      inFlight.delete(sending);
    });
    inFlight.add(sending);
    if (inFlight.size >= SENDS_IN_FLIGHT) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  const elapsedMs = performance.now() - started;
  return { records: count, bytes: count * values[0].length, elapsedMs };
}

/**
 * Reads `count` records from the start of `destination`; the clock starts when reading is asked for and
 * stops at the last record. Checks that every record has the size that was produced.
 */
export async function consumeAll(
  driver: ClientDriver,
  destination: string,
  count: number,
  recordBytes: number,
  timeoutMs: number,
): Promise<ThroughputResult> {
  let records = 0;
  let bytes = 0;
  let wrongSizes = 0;
  const timeout = AbortSignal.timeout(timeoutMs);
  const started = performance.now();
  let finishedAt = 0;
  await driver.consume(
    destination,
    (value) => {
      records++;
      bytes += value.length;
      if (value.length !== recordBytes) wrongSizes++;
      if (records < count) return false;
      finishedAt = performance.now();
      return true;
    },
    timeout,
  );
  if (records < count) throw new Error(`read ${records} of ${count} records within ${timeoutMs} ms`);
  if (wrongSizes > 0) throw new Error(`${wrongSizes} records did not have ${recordBytes} bytes`);
  return { records, bytes, elapsedMs: finishedAt - started };
}

export interface PacedResult {
  readonly sent: number;
  /** From the first send to the last record handed to the client. */
  readonly sendingMs: number;
  readonly achievedRate: number;
}

/**
 * Sends `count` records at `rate` per second: every PACER_TICK_MS it hands the client what is due by then,
 * each record stamped with the time it was handed over. The unacknowledged backlog is bounded; when the
 * system cannot keep up the pacer falls behind, and the achieved rate says so.
 */
export async function producePaced(
  driver: ClientDriver,
  destination: string,
  values: readonly Buffer[],
  count: number,
  rate: number,
): Promise<PacedResult> {
  if (values[0].length < LATENCY_STAMP_BYTES) throw new RangeError('records too small to carry a timestamp');
  const maxUnacknowledged = Math.max(RECORDS_PER_SEND, rate * PACER_MAX_UNACKNOWLEDGED_SECONDS);
  const inFlight = new Set<Promise<void>>();
  let unacknowledged = 0;
  let failure: unknown;
  let sent = 0;
  const started = performance.now();
  while (sent < count) {
    if (failure) throw failure;
    const due = Math.min(count, Math.floor(((performance.now() - started) / 1000) * rate));
    const batch = Math.min(due - sent, RECORDS_PER_SEND, maxUnacknowledged - unacknowledged);
    if (batch > 0) {
      const now = process.hrtime.bigint();
      const chunk: Buffer[] = new Array(batch);
      for (let i = 0; i < batch; i++)
        chunk[i] = stampedValue(values[(sent + i) % values.length], sent + i, now);
      sent += batch;
      unacknowledged += batch;
      const sending: Promise<void> = driver.send(destination, chunk).then(
        () => {
          unacknowledged -= batch;
          inFlight.delete(sending);
        },
        (error: unknown) => {
          failure = error;
        },
      );
      inFlight.add(sending);
      continue;
    }
    await new Promise((resolve) => setTimeout(resolve, PACER_TICK_MS));
  }
  const sendingMs = performance.now() - started;
  await Promise.all(inFlight);
  if (failure) throw failure;
  return { sent, sendingMs, achievedRate: sent / (sendingMs / 1000) };
}

export interface LatencyResult {
  readonly received: number;
  /** Records counted (those after the warm-up). */
  readonly measured: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
}

/** Latencies in ms of the records with sequence ≥ warmupCount; the whole distribution's percentiles. */
export function latencySummary(latenciesMs: Float64Array, received: number): LatencyResult {
  const sorted = latenciesMs.slice().sort();
  if (sorted.length === 0) throw new Error('no latency samples');
  return {
    received,
    measured: sorted.length,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    p999Ms: percentile(sorted, 0.999),
    maxMs: sorted[sorted.length - 1],
  };
}

/**
 * Receives the paced records and measures, for each, the time from being handed to the producing client to
 * being handed to this consumer. Calls `ready` once it is reading, so the producer starts after it.
 */
export async function consumeLatencies(
  driver: ClientDriver,
  destination: string,
  count: number,
  warmupCount: number,
  timeoutMs: number,
  ready: () => void,
): Promise<LatencyResult> {
  const latenciesMs = new Float64Array(count - warmupCount);
  let measured = 0;
  let received = 0;
  await driver.consume(
    destination,
    (value) => {
      const now = process.hrtime.bigint();
      const stamp = readStamp(value);
      received++;
      if (stamp.sequence >= warmupCount && measured < latenciesMs.length)
        latenciesMs[measured++] = Number(now - stamp.sentAtNs) / 1e6;
      return received >= count;
    },
    AbortSignal.timeout(timeoutMs),
    ready,
  );
  if (received < count)
    throw new Error(`received ${received} of ${count} paced records within ${timeoutMs} ms`);
  return latencySummary(latenciesMs.subarray(0, measured), received);
}
