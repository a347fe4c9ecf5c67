/**
 * A consumer-group member with a retry policy, as a child process: its handler fails every record whose
 * value starts with "bad". With SLUICE_CRASH_AFTER_REPUBLISH=1 it kills itself (SIGKILL) right after its
 * first re-publish is acknowledged, before the original record's offset can be committed. Reports each
 * handler call as a JSON line on stdout: { value, topic, attempt, t }.
 */
import { pino } from 'pino';
import { Consumer } from '../../src/index.js';
import { QUICK_MEMBER_OPTIONS } from './quick-member-options.js';

const { bootstrap, groupId, topic, retryTopics, deadLetterTopic } = JSON.parse(
  process.env.SLUICE_RETRY_MEMBER ?? '{}',
) as {
  bootstrap: string;
  groupId: string;
  topic: string;
  retryTopics: string[];
  deadLetterTopic: string;
};
const crash = process.env.SLUICE_CRASH_AFTER_REPUBLISH === '1';

const consumer = new Consumer<string, string>({
  bootstrapServers: bootstrap,
  groupId,
  ...QUICK_MEMBER_OPTIONS,
  retry: {
    topics: retryTopics,
    delaysMs: [300, 300],
    maxAttempts: 3,
    deadLetterTopic,
    onPublished: () => {
      if (crash) process.kill(process.pid, 'SIGKILL');
    },
  },
  logger: pino({ level: process.env.SLUICE_TEST_LOG_LEVEL ?? 'silent' }, pino.destination(2)),
});
consumer.subscribe([topic]);
const stop = new AbortController();
process.on('SIGTERM', () => stop.abort());
await consumer.eachRecord(
  (record, context) => {
    process.stdout.write(
      `${JSON.stringify({ value: record.value, topic: record.topic, attempt: context.attempt, t: Date.now() })}\n`,
    );
    if (record.value?.startsWith('bad')) throw new Error(`cannot handle ${record.value}`);
  },
  { signal: stop.signal },
);
await consumer.close();
process.exit(0);
