import { createRequire } from 'node:module';

export { RecordWalkProblem } from './record-walk-problem.js';

/**
 * Sluice's optional native fast paths, a Node-API addon in C (addon/, built by node-gyp at install time):
 * - CRC-32C with three interleaved crc32 instruction streams (SSE4.2 on x86-64, the CRC32 extension on
 *   aarch64), chosen at run time by a CPU check, else slicing-by-8 tables;
 * - the walk over the records of an uncompressed record batch, with the exact checks of @sluice/log's
 *   JavaScript walk;
 * - both fused: one pass over a batch that computes its CRC-32C and walks its records, a large batch
 *   split between the calling thread and a persistent helper thread on another core, or the whole pass
 *   on the helper thread while the caller does something else (nativeBatchCheck).
 *
 * The addon is optional: when it did not build (no C compiler) or does not load, every export here is
 * null or false, and callers use their JavaScript paths. SLUICE_NATIVE=off turns it off;
 * SLUICE_NATIVE_SPLIT=never|when-free|always sets `setNativeSplit` at load.
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

/**
 * The CRC-32C of the batch's [attributes, end) and the walk of its `recordCount` records in one pass:
 * returns the walk's RecordWalkProblem (as NativeWalkRecords does) and writes [record index, offending
 * value, second value] of a problem to `details[0..2]` and the CRC-32C to `details[BATCH_CRC_DETAIL]`
 * (a Float64Array of at least 4). The batch must lie inside `buffer` (shorter than 2 GiB) and hold a
 * whole header (61 bytes).
 */
export type NativeValidateBatch = (
  buffer: Uint8Array,
  batchStart: number,
  sizeBytes: number,
  recordCount: number,
  requireKeys: boolean,
  details: Float64Array,
) => number;

/**
 * Starts NativeValidateBatch of one batch on the helper thread and returns at once: true when it started,
 * false when the helper is taken (by a check of this thread not finished yet, a split, or another thread
 * of the process) and nothing started. After a true, whoever started the check calls
 * NativeFinishBatchCheck, and keeps `buffer` alive and unchanged until then. `lingerMicros` (0 to
 * 10,000) keeps the helper spinning that long after the check, ready for the next one without the cost
 * of waking it: for a caller with more checks coming. Argument errors throw, as NativeValidateBatch's do.
 */
export type NativeStartBatchCheck = (
  buffer: Uint8Array,
  batchStart: number,
  sizeBytes: number,
  recordCount: number,
  requireKeys: boolean,
  lingerMicros: number,
) => boolean;

/**
 * The outcome of the check NativeStartBatchCheck started, as NativeValidateBatch returns it (the problem,
 * with details and the CRC-32C in `details`): waits for the helper if it is still at it, or does the check
 * on the calling thread if the helper had not begun it.
 */
export type NativeFinishBatchCheck = (details: Float64Array) => number;

/** Where NativeValidateBatch writes the CRC-32C in `details`. */
export const BATCH_CRC_DETAIL = 3;

/** The CRC-32C of the batch's [attributes, end) alone, with the same split for large batches. */
export type NativeBatchCrc = (buffer: Uint8Array, batchStart: number, sizeBytes: number) => number;

/**
 * When validateBatch and batchCrc split a batch with the helper thread: 'never' (the default);
 * 'when-free', batches of at least `nativeSplitMinBytes` when no other thread of the process is using the
 * helper (and backing off for 32 batches after a split where the helper started late or kept the caller
 * waiting); 'always', every batch in halves with the caller waiting for the helper to start (to test that
 * path). A setting for the whole process. 'never' is the default because on the machine this was measured
 * on the split sped up validation alone but slowed the append it is part of (see the README).
 */
export type NativeSplit = 'never' | 'when-free' | 'always';

/** Counters of the fused validation since the process started, for benchmarks. */
export interface NativeValidationStatistics {
  /** Batches split with the helper thread. */
  splits: number;
  /** Splits whose second part the helper walked from a record start it guessed right. */
  guessesTaken: number;
  /** Splits whose second part the caller walked: no guess, or a wrong one. */
  guessesMissed: number;
  /**
   * Splits that went badly (the helper started too late, or the caller waited long for it), after each
   * of which the next 32 large batches were validated on one thread.
   */
  backoffs: number;
  /** Second parts offered to the helper, and those the caller took back because it had not started. */
  helperPosts: number;
  helperTakenBack: number;
  /** Posts that had to wake the helper, and the total time from post to the helper starting. */
  helperWakeups: number;
  helperStartDelayNs: number;
  /** Joins that waited for the helper to finish, and the total time they waited. */
  helperWaits: number;
  helperWaitNs: number;
}

/** How the addon computes CRC-32C on this CPU (AVX-512 VPCLMULQDQ folding, the crc32 instruction, tables). */
export type NativeCrc32cMethod = 'avx512-vpclmulqdq' | 'sse4.2' | 'armv8-crc' | 'table';

/** What addon/addon.c exports. */
interface Addon {
  crc32c: NativeCrc32c;
  crc32cTable: NativeCrc32c;
  crc32cInstruction: NativeCrc32c;
  walkRecords: NativeWalkRecords;
  validateBatch: NativeValidateBatch;
  startBatchCheck: NativeStartBatchCheck;
  finishBatchCheck: NativeFinishBatchCheck;
  batchCrc: NativeBatchCrc;
  setSplit: (mode: number) => void;
  validationStatistics: () => NativeValidationStatistics;
  crc32cMethod: NativeCrc32cMethod;
  splitMinBytes: number;
}

const SPLIT_MODES: Record<NativeSplit, number> = { never: 0, 'when-free': 1, always: 2 };

/** Where node-gyp puts the addon, from dist/ and src/ alike. */
const ADDON_PATH = '../build/Release/sluice_native.node';
/** The CRC-32C check value: of "123456789". */
const CHECK_INPUT = Buffer.from('123456789');
const CHECK_CRC = 0xe3069283;

type Loaded = { addon: Addon; unavailableReason: null } | { addon: null; unavailableReason: string };

function isSplit(value: string): value is NativeSplit {
  return Object.hasOwn(SPLIT_MODES, value);
}

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
    const split = process.env.SLUICE_NATIVE_SPLIT;
    if (split !== undefined && split !== '') {
      if (!isSplit(split)) {
        throw new Error(`SLUICE_NATIVE_SPLIT must be never, when-free or always, not "${split}"`);
      }
      addon.setSplit(SPLIT_MODES[split]);
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

/**
 * CRC-32C with the crc32 instruction (three streams) where the CPU has it, even where folding is the
 * fastest; else the tables (for tests and benchmarks), or null.
 */
export const nativeCrc32cInstruction: NativeCrc32c | null = loaded.addon?.crc32cInstruction ?? null;

/** The method `nativeCrc32c` uses, or null without the addon. */
export const nativeCrc32cMethod: NativeCrc32cMethod | null = loaded.addon?.crc32cMethod ?? null;

/** The record walk, or null without the addon. */
export const nativeWalkRecords: NativeWalkRecords | null = loaded.addon?.walkRecords ?? null;

/** The fused CRC-32C and record walk of a batch, or null without the addon. */
export const nativeValidateBatch: NativeValidateBatch | null = loaded.addon?.validateBatch ?? null;

/**
 * The fused CRC-32C and record walk of one batch on the helper thread, started and finished apart (so
 * that the caller can do something else meanwhile), or null without the addon.
 */
export const nativeBatchCheck: { start: NativeStartBatchCheck; finish: NativeFinishBatchCheck } | null =
  loaded.addon === null
    ? null
    : { start: loaded.addon.startBatchCheck, finish: loaded.addon.finishBatchCheck };

/** The CRC-32C of a batch's [attributes, end), split like nativeValidateBatch, or null without the addon. */
export const nativeBatchCrc: NativeBatchCrc | null = loaded.addon?.batchCrc ?? null;

/** Batches from this size on are split with the helper thread ('when-free'); null without the addon. */
export const nativeSplitMinBytes: number | null = loaded.addon?.splitMinBytes ?? null;

/** Sets when batches are split with the helper thread (see NativeSplit); does nothing without the addon. */
export function setNativeSplit(mode: NativeSplit): void {
  loaded.addon?.setSplit(SPLIT_MODES[mode]);
}

/** The counters of the fused validation, or null without the addon. */
export function nativeValidationStatistics(): NativeValidationStatistics | null {
  return loaded.addon?.validationStatistics() ?? null;
}
