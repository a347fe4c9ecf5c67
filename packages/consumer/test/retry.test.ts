import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Producer } from '@sluice/producer';
import { expect, it } from 'vitest';
import {
  Consumer,
  type ConsumerRecord,
  deserializers,
  InvalidOptionError,
  RetryHeader,
  type RetryPublication,
} from '../src/index.js';
import { describeEachTarget, eventually, testLogger } from './support/group-targets.js';
import { TSX_LOADER } from './support/member-processes.js';

/** Slow suite: retries and dead letters, with members in this process and in killed child processes. */

interface Handled {
  readonly value: string;
  readonly topic: string;
  readonly attempt: number;
  readonly t: number;
}

/** The records of a topic's partitions from the start, until `count` or `waitMs`, read in assign mode. */
async function readTopic(
  bootstrap: string,
  topic: string,
  partitions: number,
  count: number,
  waitMs = 30_000,
) {
  const reader = new Consumer<string, string>({
    bootstrapServers: bootstrap,
    keyDeserializer: deserializers.string,
    valueDeserializer: deserializers.string,
    logger: testLogger,
  });
  reader.assign(
    Array.from({ length: partitions }, (_, partition) => ({ topic, partition, offset: 'earliest' })),
  );
  const records: ConsumerRecord<string, string>[] = [];
  try {
    if (count > 0) {
      for await (const record of reader.records({ signal: AbortSignal.timeout(waitMs) })) {
        records.push(record);
        if (records.length === count) break;
      }
    }
  } finally {
    await reader.close();
  }
  return records;
}

function header(record: ConsumerRecord<unknown, unknown>, key: string): string | undefined {
  return record.headers.find((entry) => entry.key === key)?.value?.toString();
}

async function produce(bootstrap: string, topic: string, values: string[]): Promise<void> {
  const producer = new Producer<string, string>({ bootstrapServers: bootstrap, logger: testLogger });
  await producer.send({
    topic,
    messages: values.map((value) => ({
      key: `key-${value}`,
      value,
      partition: 0,
      headers: { source: 'test' },
    })),
  });
  await producer.close();
}

/** Runs the retry member script; resolves when it exits, with what its handler saw. */
function runRetryMember(config: object, crash: boolean) {
  const script = fileURLToPath(new URL('./support/retry-member-process.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', TSX_LOADER, script], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      SLUICE_RETRY_MEMBER: JSON.stringify(config),
      SLUICE_CRASH_AFTER_REPUBLISH: crash ? '1' : '0',
    },
  });
  const handled: Handled[] = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-10_000);
  });
  createInterface({ input: child.stdout }).on('line', (line) => handled.push(JSON.parse(line) as Handled));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    handled,
    exited,
    stderr: () => stderr,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

describeEachTarget('retries and dead letters', (target) => {
  async function topics(name: string) {
    const main = await target.createTopic(`${name}-main`, 2);
    const retry1 = await target.createTopic(`${name}-retry-1`, 1);
    const retry2 = await target.createTopic(`${name}-retry-2`, 1);
    const dead = await target.createTopic(`${name}-dead`, 1);
    return { main, retry1, retry2, dead };
  }

  it('refuses a retry policy that makes no sense', () => {
    const make = (retry: object) =>
      new Consumer({
        bootstrapServers: target.bootstrap,
        groupId: 'g',
        retry: retry as never,
        logger: testLogger,
      });
    expect(() => make({ topics: [], delaysMs: [1], maxAttempts: 2, deadLetterTopic: 'd' })).toThrow(
      InvalidOptionError,
    );
    expect(() => make({ topics: ['r'], delaysMs: [-1], maxAttempts: 2, deadLetterTopic: 'd' })).toThrow(
      InvalidOptionError,
    );
    expect(() => make({ topics: ['r'], delaysMs: [1], maxAttempts: 0, deadLetterTopic: 'd' })).toThrow(
      InvalidOptionError,
    );
    expect(() => make({ topics: ['r'], delaysMs: [1], maxAttempts: 2, deadLetterTopic: 'r' })).toThrow(
      InvalidOptionError,
    );
    expect(() =>
      make({ topics: ['r'], delaysMs: [1], maxAttempts: 2, deadLetterTopic: 'd', extra: 1 }),
    ).toThrow(InvalidOptionError);
  });

  it('retries a failing record after its delay, sends it to the dead-letter topic after the last attempt, and never holds its partition up', async () => {
    const { main, retry1, retry2, dead } = await topics('flow');
    const values = ['ok-0', 'bad-0', 'ok-1', 'flaky-0', 'ok-2', 'ok-3'];
    await produce(target.bootstrap, main.topic, values);
    const handled: Handled[] = [];
    const publications: RetryPublication[] = [];
    const consumer = new Consumer<string, string>({
      bootstrapServers: target.bootstrap,
      groupId: 'retry-flow',
      autoOffsetReset: 'earliest',
      keyDeserializer: deserializers.string,
      valueDeserializer: deserializers.string,
      sessionTimeoutMs: 6_000,
      heartbeatIntervalMs: 300,
      autoCommitIntervalMs: 100,
      fetchMaxWaitMs: 100,
      retry: {
        topics: [retry1.topic, retry2.topic],
        delaysMs: [400, 800],
        maxAttempts: 3,
        deadLetterTopic: dead.topic,
        onPublished: (publication) => void publications.push(publication),
      },
      logger: testLogger,
    });
    consumer.subscribe([main.topic]);
    const stop = new AbortController();
    const running = consumer.eachRecord(
      (record, context) => {
        handled.push({
          value: record.value!,
          topic: record.topic,
          attempt: context.attempt,
          t: Date.now(),
        });
        if (record.value!.startsWith('bad')) throw new Error(`cannot handle ${record.value}`);
        if (record.value!.startsWith('flaky') && context.attempt === 1) throw new Error('flaky');
      },
      { signal: stop.signal },
    );
    await eventually(
      () => publications.some((publication) => publication.kind === 'dead-letter'),
      'a dead letter',
      60_000,
    );
    await eventually(
      () => handled.some((entry) => entry.value === 'flaky-0' && entry.attempt === 2),
      'the flaky record to succeed on its retry',
    );
    stop.abort();
    await running;
    expect(consumer.subscribed()).toEqual([main.topic, retry1.topic, retry2.topic].sort());
    await consumer.close();

    const attemptsOf = (value: string) => handled.filter((entry) => entry.value === value);
    // Good records once each; the partition went on past the bad record at once.
    for (const value of ['ok-0', 'ok-1', 'ok-2', 'ok-3'])
      expect(attemptsOf(value).map((entry) => entry.attempt)).toEqual([1]);
    const bad = attemptsOf('bad-0');
    expect(bad.map((entry) => [entry.topic, entry.attempt])).toEqual([
      [main.topic, 1],
      [retry1.topic, 2],
      [retry2.topic, 3],
    ]);
    expect(attemptsOf('ok-3')[0].t).toBeLessThan(bad[1].t);
    // Each retry waited for its delay.
    expect(bad[1].t - bad[0].t).toBeGreaterThanOrEqual(400);
    expect(bad[2].t - bad[1].t).toBeGreaterThanOrEqual(800);
    const flaky = attemptsOf('flaky-0');
    expect(flaky.map((entry) => entry.attempt)).toEqual([1, 2]);
    expect(flaky[1].t - flaky[0].t).toBeGreaterThanOrEqual(400);
    expect(
      publications.map((publication) => [publication.kind, publication.topic, publication.failedAttempt]),
    ).toEqual([
      ['retry', retry1.topic, 1],
      ['retry', retry1.topic, 1],
      ['retry', retry2.topic, 2],
      ['dead-letter', dead.topic, 3],
    ]);

    const [letter] = await readTopic(target.bootstrap, dead.topic, dead.partitions, 1);
    const original = (await readTopic(target.bootstrap, main.topic, 1, values.length)).find(
      (record) => record.value === 'bad-0',
    )!;
    expect(letter.key).toBe('key-bad-0');
    expect(letter.value).toBe('bad-0');
    expect(header(letter, 'source')).toBe('test');
    expect(header(letter, RetryHeader.ATTEMPT)).toBe('3');
    expect(header(letter, RetryHeader.ORIGIN_TOPIC)).toBe(main.topic);
    expect(header(letter, RetryHeader.ORIGIN_PARTITION)).toBe('0');
    expect(header(letter, RetryHeader.ORIGIN_OFFSET)).toBe(String(original.offset));
    expect(header(letter, RetryHeader.ERROR)).toBe('Error: cannot handle bad-0');
    // Only the last retry headers are kept.
    expect(letter.headers.filter((entry) => entry.key === RetryHeader.ATTEMPT)).toHaveLength(1);

    // The group's committed offsets cover the whole main partition: nothing is left behind.
    const checker = new Consumer({
      bootstrapServers: target.bootstrap,
      groupId: 'retry-flow',
      logger: testLogger,
    });
    const [committed] = await checker.committed([{ topic: main.topic, partition: 0 }]);
    expect(committed.offset).toBe(values.length);
    await checker.close();
  });

  it('a member killed between a re-publish and its commit re-delivers the record; the duplicate retry is skipped and nothing is lost', async () => {
    const { main, retry1, retry2, dead } = await topics('crash');
    const values = ['ok-0', 'ok-1', 'bad-0', 'ok-2', 'ok-3'];
    await produce(target.bootstrap, main.topic, values);
    const config = {
      bootstrap: target.bootstrap,
      groupId: 'retry-crash',
      topic: main.topic,
      retryTopics: [retry1.topic, retry2.topic],
      deadLetterTopic: dead.topic,
    };
    const crashing = runRetryMember(config, true);
    const crashed = await crashing.exited;
    expect(crashed.signal, crashing.stderr()).toBe('SIGKILL');
    expect(crashing.handled.map((entry) => entry.value)).toContain('bad-0');

    const survivor = runRetryMember(config, false);
    try {
      await eventually(
        () => survivor.handled.some((entry) => entry.value === 'bad-0' && entry.attempt === 3),
        'the bad record to be tried a third time',
        90_000,
      );
      await eventually(
        () => ['ok-2', 'ok-3'].every((value) => survivor.handled.some((entry) => entry.value === value)),
        'the records after the bad one to be handled',
      );
      // Give a duplicate dead letter time to appear, if it were going to.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    } finally {
      await survivor.stop();
    }
    // The retry topic holds the record twice (re-published before and after the crash), same origin.
    const retried = await readTopic(target.bootstrap, retry1.topic, retry1.partitions, 3, 2_000);
    expect(retried.map((record) => record.value)).toEqual(['bad-0', 'bad-0']);
    expect(retried.map((record) => header(record, RetryHeader.ORIGIN_OFFSET))).toEqual(['2', '2']);
    expect(retried.map((record) => header(record, RetryHeader.ATTEMPT))).toEqual(['2', '2']);
    // The survivor handled the second attempt once: the duplicate was recognized by its headers.
    const secondAttempts = survivor.handled.filter((entry) => entry.value === 'bad-0' && entry.attempt === 2);
    expect(secondAttempts).toHaveLength(1);
    const letters = await readTopic(target.bootstrap, dead.topic, dead.partitions, 2, 2_000);
    expect(letters.map((record) => record.value)).toEqual(['bad-0']);
    // Every good record was handled at least once, across both lives.
    const all = [...crashing.handled, ...survivor.handled];
    for (const value of ['ok-0', 'ok-1', 'ok-2', 'ok-3']) {
      expect(all.some((entry) => entry.value === value)).toBe(true);
    }
  });
});
