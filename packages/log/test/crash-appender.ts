/**
 * Child process of the crash test: appends to a log with flush-before-acknowledge (flush.messages=1)
 * and reports each acknowledged append on stdout as `ack <firstOffset> <lastOffset>`, until killed.
 *
 *   node --import tsx test/crash-appender.ts <directory> <seed> <concurrency>
 *
 * Every record's value names its own offset (valueForOffset), so the parent can check that what it finds
 * after a kill -9 is exactly a prefix of what was written. Batches come from one idempotent producer whose
 * sequence continues from the recovered producer state: a wrong recovery makes the append fail.
 */

import { seededRandom } from '@sluice/test-support';
import { DEFAULT_LOG_CONFIG, Log } from '../src/index.js';
import { batchForOffsets } from './record-batch-builder.js';
import { testLogger } from './temp-directory.js';

const [directory, seedText, concurrencyText] = process.argv.slice(2);
const random = seededRandom(Number(seedText));
const concurrency = Number(concurrencyText);
const PRODUCER_ID = 77;

const log = await Log.open({
  directory,
  topic: 'crash',
  partition: 0,
  config: { ...DEFAULT_LOG_CONFIG, flushMessages: 1, segmentBytes: 48 * 1024, indexIntervalBytes: 512 },
  hadCleanShutdown: false,
  logger: testLogger,
});
const state = log.producerStateOf(PRODUCER_ID);
let nextSequence = state === undefined ? 0 : state.batches[state.batches.length - 1].lastSequence + 1;
process.stdout.write(`ready ${log.logEndOffset}\n`);

let inFlight = 0;
// Appends made together take effect later, in order (AppendPipeline): count the offsets they will get.
let nextOffset = log.logEndOffset;
function appendOne(): void {
  const firstOffset = nextOffset;
  const count = 1 + Math.floor(random() * 8);
  nextOffset += count;
  const batch = batchForOffsets(firstOffset, count, {
    producerId: PRODUCER_ID,
    producerEpoch: 0,
    baseSequence: nextSequence,
  });
  nextSequence += count;
  inFlight++;
  log.appendAsLeader(batch, 1).then(
    (info) => {
      if (info.firstOffset !== firstOffset || info.duplicate) {
        process.stderr.write(`unexpected append result ${JSON.stringify(info)} for offset ${firstOffset}\n`);
        process.exit(2);
      }
      process.stdout.write(`ack ${info.firstOffset} ${info.lastOffset}\n`);
      inFlight--;
      fill();
    },
    (error: unknown) => {
      process.stderr.write(`append failed: ${String(error)}\n`);
      process.exit(3);
    },
  );
}

function fill(): void {
  while (inFlight < concurrency) appendOne();
}

fill();
