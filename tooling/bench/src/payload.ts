import { seededRandom } from '@sluice/client';

/** How many distinct record values a run cycles through (all seeded, so every run sends the same bytes). */
export const DISTINCT_VALUES = 256;

/**
 * Seeded record values of `recordBytes` each: random bytes, so nothing compresses them and every system
 * stores the same data. Drivers cycle through them.
 */
export function recordValues(recordBytes: number, seed: number): Buffer[] {
  const random = seededRandom(seed);
  return Array.from({ length: DISTINCT_VALUES }, () => {
    const value = Buffer.allocUnsafe(recordBytes);
    for (let i = 0; i < recordBytes; i++) value[i] = Math.floor(random() * 256);
    return value;
  });
}

/** Bytes a latency record needs at its front: the send time (u64 ns, monotonic) and a sequence number. */
export const LATENCY_STAMP_BYTES = 12;

/**
 * A copy of `template` carrying its send time (process.hrtime, the machine's monotonic clock, which every
 * process on the machine shares) and its sequence number in its first 12 bytes.
 */
export function stampedValue(template: Buffer, sequence: number, sentAtNs: bigint): Buffer {
  if (template.length < LATENCY_STAMP_BYTES) throw new RangeError('record too small for a latency stamp');
  const value = Buffer.from(template);
  value.writeBigUInt64BE(sentAtNs, 0);
  value.writeUInt32BE(sequence, 8);
  return value;
}

export interface Stamp {
  readonly sentAtNs: bigint;
  readonly sequence: number;
}

export function readStamp(value: Uint8Array): Stamp {
  const view = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return { sentAtNs: view.readBigUInt64BE(0), sequence: view.readUInt32BE(8) };
}
