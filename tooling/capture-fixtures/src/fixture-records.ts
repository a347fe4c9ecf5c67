/**
 * The records each producer session sends: fixed contents, written to the manifest beside the captured
 * bytes so that the protocol tests can check that the batches decode to exactly these records.
 */

export type Compression = 'none' | 'gzip';

export interface SentHeader {
  readonly key: string;
  readonly value: string;
}

/** One record as sent. Strings are UTF-8; `timestamp` is null when the client stamps the time itself. */
export interface SentRecord {
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: readonly SentHeader[];
  readonly timestampMs: number | null;
}

export const KCAT_TOPIC = 'kcat-fixtures';
export const KAFKAJS_TOPIC = 'kafkajs-fixtures';
export const KCAT_GROUP = 'kcat-fixtures-group';
export const KAFKAJS_GROUP = 'kafkajs-fixtures-group';

/** kcat adds the same headers (`-H`) to every record it produces, and stamps each with the send time. */
export const KCAT_HEADERS: readonly SentHeader[] = [
  { key: 'origin', value: 'kcat' },
  { key: 'fixture', value: 'sluice' },
];

/** kcat reads `key:value` lines (`-K :`). */
function kcatRecords(entries: readonly [string, string][]): SentRecord[] {
  return entries.map(([key, value]) => ({ key, value, headers: KCAT_HEADERS, timestampMs: null }));
}

// Values long and repetitive enough that gzip shrinks them: librdkafka sends a batch uncompressed when
// compressing would not make it smaller.
const REPEATED = 'the quick brown fox jumps over the lazy dog; '.repeat(8);

export const KCAT_RECORDS: Record<Compression, readonly SentRecord[]> = {
  none: kcatRecords([
    ['k1', 'first value'],
    ['k2', 'second value'],
    ['ключ-3', 'ünïcødé välue ✓'],
    ['k4', 'fourth value'],
  ]),
  gzip: kcatRecords([
    ['gz1', `one ${REPEATED}`],
    ['gz2', `two ${REPEATED}`],
    ['gz3', `three ${REPEATED}`],
  ]),
};

/** kafkajs lets us set everything: keys (or none), values (or a tombstone), headers and timestamps. */
export const KAFKAJS_RECORDS: Record<Compression, readonly SentRecord[]> = {
  none: [
    {
      key: 'alpha',
      value: 'first value',
      headers: [
        { key: 'origin', value: 'kafkajs' },
        { key: 'sequence', value: '1' },
      ],
      timestampMs: 1_700_000_000_000,
    },
    { key: null, value: 'a record without a key', headers: [], timestampMs: 1_700_000_000_001 },
    {
      key: 'tombstone',
      value: null,
      headers: [{ key: 'origin', value: 'kafkajs' }],
      timestampMs: 1_700_000_000_002,
    },
    {
      key: 'ключ',
      value: 'ünïcødé välue ✓',
      headers: [{ key: 'hëader', value: 'välue' }],
      timestampMs: 1_699_999_999_000,
    },
  ],
  gzip: [
    {
      key: 'gz-a',
      value: `a ${REPEATED}`,
      headers: [{ key: 'codec', value: 'gzip' }],
      timestampMs: 1_700_000_001_000,
    },
    { key: 'gz-b', value: `b ${REPEATED}`, headers: [], timestampMs: 1_700_000_001_500 },
    {
      key: null,
      value: `c ${REPEATED}`,
      headers: [{ key: 'codec', value: 'gzip' }],
      timestampMs: 1_700_000_002_000,
    },
  ],
};
