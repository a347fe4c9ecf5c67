import type { VersionRange } from './advertised-versions.js';
import type { Compression, SentRecord } from './fixture-records.js';

export type ClientName = 'kcat' | 'kafkajs';

/** What a producing session sends: the fixture test checks the captured batches against it. */
export interface ProducedRecords {
  readonly topic: string;
  readonly compression: Compression;
  readonly records: readonly SentRecord[];
}

/**
 * One run of a real client against the capture broker, doing one thing (produce, consume, join a group).
 * `run` resolves once the client has done it and stopped, and rejects if it could not.
 */
export interface ClientSession {
  readonly client: ClientName;
  readonly name: string;
  readonly produced: ProducedRecords | null;
  /**
   * Ranges the broker advertises in place of the README's for this session, and why; null for none.
   * Recorded in the manifest beside the fixtures the session yields.
   */
  readonly advertisedOverrides: { readonly ranges: readonly VersionRange[]; readonly reason: string } | null;
  run(bootstrap: string): Promise<void>;
}
