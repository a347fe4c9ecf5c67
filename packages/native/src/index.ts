import { createRequire } from 'node:module';

export { RecordWalkProblem } from './record-walk-problem.js';

/**
 * Sluice's optional native fast paths, a Node-API addon in C (addon/, built by node-gyp at install time):
 * - CRC-32C with three interleaved crc32 instruction streams (SSE4.2 on x86-64, the CRC32 extension on
 *   aarch64), chosen at run time by a CPU check, else slicing-by-8 tables;
 * - the walk over the records of an uncompressed record batch, with the exact checks of @sluice/log's
 *   JavaScript walk.
 *
 * The addon is optional: when it did not build (no C compiler) or does not load, every export here is
 * null or false, and callers use their JavaScript paths. SLUICE_NATIVE=off turns it off.
 */

/** CRC-32C of `bytes[start, end)` continuing from `initial` (0 to begin); an unsigned 32-bit number. */
export type NativeCrc32c = (bytes: Uint8Array, start: number, end: number, initial: number) => number;

/**
 * Walks the `recordCount` records of the uncompressed batch at `batchStart` (`sizeBytes` long). Returns a
 * RecordWalkProblem, NONE when the records exactly fill the batch; for a problem, writes [record index,
 * offending value, second value] to `details` (a Float64Array of 3). `buffer` must be shorter than 2 GiB.
 */
export type NativeWalkRecords = (
  buffer: Uint8Array,
  batchStart: number,
  sizeBytes: number,
  recordCount: number,
  requireKeys: boolean,
  details: Float64Array,
) => number;

/** How the addon computes CRC-32C on this CPU. */
export type NativeCrc32cMethod = 'sse4.2' | 'armv8-crc' | 'table';

/** What addon/addon.c exports. */
interface Addon {
  crc32c: NativeCrc32c;
  crc32cTable: NativeCrc32c;
  walkRecords: NativeWalkRecords;
  crc32cMethod: NativeCrc32cMethod;
}

/** Where node-gyp puts the addon, from dist/ and src/ alike. */
const ADDON_PATH = '../build/Release/sluice_native.node';
/** The CRC-32C check value: of "123456789". */
const CHECK_INPUT = Buffer.from('123456789');
const CHECK_CRC = 0xe3069283;

type Loaded = { addon: Addon; unavailableReason: null } | { addon: null; unavailableReason: string };

function loadAddon(): Loaded {
  if (process.env.SLUICE_NATIVE === 'off') return { addon: null, unavailableReason: 'SLUICE_NATIVE=off' };
  try {
    const addon = createRequire(import.meta.url)(ADDON_PATH) as Addon;
    const check = addon.crc32c(CHECK_INPUT, 0, CHECK_INPUT.length, 0);
    if (check !== CHECK_CRC) {
      return {
        addon: null,
        unavailableReason: `the addon's CRC-32C of "123456789" is ${check}, not ${CHECK_CRC}`,
      };
    }
    return { addon, unavailableReason: null };
  } catch (error) {
    return { addon: null, unavailableReason: error instanceof Error ? error.message : String(error) };
  }
}

const loaded = loadAddon();

/** Whether the addon loaded. */
export const nativeAvailable: boolean = loaded.addon !== null;

/** Why the addon is not available (a load error, or SLUICE_NATIVE=off), or null when it is. */
export const nativeUnavailableReason: string | null = loaded.unavailableReason;

/** CRC-32C with the fastest method of this CPU, or null without the addon. */
export const nativeCrc32c: NativeCrc32c | null = loaded.addon?.crc32c ?? null;

/** CRC-32C with the addon's portable tables whatever the CPU (for tests and benchmarks), or null. */
export const nativeCrc32cTable: NativeCrc32c | null = loaded.addon?.crc32cTable ?? null;

/** The method `nativeCrc32c` uses, or null without the addon. */
export const nativeCrc32cMethod: NativeCrc32cMethod | null = loaded.addon?.crc32cMethod ?? null;

/** The record walk, or null without the addon. */
export const nativeWalkRecords: NativeWalkRecords | null = loaded.addon?.walkRecords ?? null;
