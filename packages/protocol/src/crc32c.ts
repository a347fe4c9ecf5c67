import { createRequire } from 'node:module';
import { nativeCrc32c } from '@sluice/native';

/**
 * CRC-32C (Castagnoli, polynomial 0x1EDC6F41, reflected 0x82F63B78), the checksum of Kafka's record batch v2.
 * Node's `zlib.crc32` is the IEEE CRC-32 and gives different values.
 *
 * `crc32c` uses the first of these that loads (`crc32cImplementation` says which):
 * - '@sluice/native': Sluice's addon, three interleaved crc32 instruction streams (SSE4.2 on x86-64, the
 *   CRC32 extension on aarch64), 20-58 GB/s here (carry-less-multiply folding where AVX-512 VPCLMULQDQ exists);
 * - '@node-rs/crc32': its prebuilt binary, one instruction stream, about 5.5 GB/s;
 * - 'portable': the slicing-by-8 JavaScript below, about 0.5-0.8 GB/s.
 * SLUICE_NATIVE=off skips the addon (for all of Sluice); SLUICE_CRC32C=portable forces the JavaScript.
 */

const POLYNOMIAL_REFLECTED = 0x82f63b78;
const TABLES = buildTables();

function buildTables(): Int32Array[] {
  const tables = Array.from({ length: 8 }, () => new Int32Array(256));
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ POLYNOMIAL_REFLECTED : crc >>> 1;
    tables[0][byte] = crc;
  }
  for (let byte = 0; byte < 256; byte++) {
    let crc = tables[0][byte];
    for (let slice = 1; slice < 8; slice++) {
      crc = tables[0][crc & 0xff] ^ (crc >>> 8);
      tables[slice][byte] = crc;
    }
  }
  return tables;
}

/**
 * CRC-32C of `bytes[start, end)`, continuing from `crc` (the value of an earlier call, 0 to begin).
 * Returns an unsigned 32-bit number.
 */
export function crc32cPortable(bytes: Uint8Array, start = 0, end = bytes.length, crc = 0): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES;
  let c = ~crc;
  let i = start;
  const end8 = start + ((end - start) & ~7);
  while (i < end8) {
    const low = c ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24));
    c =
      t7[low & 0xff] ^
      t6[(low >>> 8) & 0xff] ^
      t5[(low >>> 16) & 0xff] ^
      t4[low >>> 24] ^
      t3[bytes[i + 4]] ^
      t2[bytes[i + 5]] ^
      t1[bytes[i + 6]] ^
      t0[bytes[i + 7]];
    i += 8;
  }
  while (i < end) c = t0[(c ^ bytes[i++]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

type Crc32c = (bytes: Uint8Array, start?: number, end?: number, crc?: number) => number;
type NodeRsCrc32c = (input: Buffer, initialState?: number) => number;

function loadNodeRs(): NodeRsCrc32c | null {
  try {
    const nodeRs = createRequire(import.meta.url)('@node-rs/crc32') as { crc32c?: NodeRsCrc32c };
    const check = nodeRs.crc32c?.(Buffer.from('123456789'));
    return check === 0xe3069283 ? (nodeRs.crc32c as NodeRsCrc32c) : null;
  } catch {
    return null;
  }
}

function fromNodeRs(nodeRs: NodeRsCrc32c): Crc32c {
  return (bytes, start = 0, end = bytes.length, crc = 0) => {
    const view =
      start === 0 && end === bytes.length && Buffer.isBuffer(bytes)
        ? bytes
        : Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start);
    return nodeRs(view, crc) >>> 0;
  };
}

function choose(): { implementation: '@sluice/native' | '@node-rs/crc32' | 'portable'; crc32c: Crc32c } {
  if (process.env.SLUICE_CRC32C !== 'portable') {
    const native = nativeCrc32c;
    if (native !== null) {
      return {
        implementation: '@sluice/native',
        crc32c: (bytes, start = 0, end = bytes.length, crc = 0) => native(bytes, start, end, crc),
      };
    }
    const nodeRs = loadNodeRs();
    if (nodeRs !== null) return { implementation: '@node-rs/crc32', crc32c: fromNodeRs(nodeRs) };
  }
  return { implementation: 'portable', crc32c: crc32cPortable };
}

const chosen = choose();

/** Which implementation `crc32c` uses. */
export const crc32cImplementation: '@sluice/native' | '@node-rs/crc32' | 'portable' = chosen.implementation;

/** CRC-32C of `bytes[start, end)`, continuing from `crc` (0 to begin). Returns an unsigned 32-bit number. */
export const crc32c: Crc32c = chosen.crc32c;
