import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { ProducerMessage } from '@sluice/client';
import { Arguments } from '../arguments.js';
import type { CommandDefinition } from '../command.js';
import { CLI_LIMITS } from '../limits.js';
import { splitLines } from '../line-splitter.js';
import { ACKS_OPTION, COMPRESSION_OPTION, readAcks, readCompression } from './shared-options.js';

type Message = ProducerMessage<Buffer, Buffer>;

export const produceCommand: CommandDefinition = {
  kind: 'command',
  path: ['produce'],
  summary: 'write records from stdin or a file, one per line',
  description: [
    'Each line is one record (the newline is not part of it). With --key-separator, the text before the',
    'first separator is the key and the rest the value; a line without the separator has no key. Records',
    'are batched and sent as they are read; the command ends when the input ends and every record is',
    'acknowledged, and reports the count on stderr.',
  ].join('\n'),
  positionals: [{ name: 'topic', description: 'the topic to write to', required: true }],
  options: {
    file: { type: 'string', short: 'f', value: 'PATH', description: 'read this file instead of stdin' },
    'key-separator': {
      type: 'string',
      short: 'K',
      value: 'SEP',
      description: 'split each line into key SEP value',
    },
    header: {
      type: 'string',
      short: 'H',
      multiple: true,
      value: 'KEY=VALUE',
      description: 'a header added to every record',
    },
    partition: {
      type: 'string',
      short: 'p',
      value: 'N',
      description: 'write every record to this partition',
      defaultText: 'by key, or sticky',
    },
    acks: ACKS_OPTION,
    compression: COMPRESSION_OPTION,
    'linger-ms': {
      type: 'string',
      value: 'MS',
      description: 'how long a batch waits for more records',
      defaultText: '5',
    },
  },
  examples: [
    { command: "echo 'hello' | sluice produce greetings", description: 'one record' },
    {
      command: "printf 'user-1:login\\nuser-2:logout\\n' | sluice produce events --key-separator :",
      description: 'keyed records',
    },
    {
      command: 'sluice produce events -f events.txt -H source=backfill -z zstd --acks 1',
      description: 'a file, with a header on each record, compressed, leader acks only',
    },
  ],
  async run(context, input) {
    const a = new Arguments(this, input);
    const [topic] = a.positionals();
    const file = a.string('file');
    const separatorText = a.string('key-separator');
    if (separatorText === '') throw a.usage('--key-separator must not be empty');
    const separator = separatorText === undefined ? undefined : Buffer.from(separatorText);
    const headers = Object.fromEntries(a.pairs('header'));
    const hasHeaders = Object.keys(headers).length > 0;
    const partition = a.integer('partition', { min: 0 });
    const acks = readAcks(a);
    const compression = readCompression(a);
    const lingerMs = a.integer('linger-ms', { min: 0, max: 60_000 }) ?? 5;

    await context.connect();
    const producer = context.client().producer<Buffer, Buffer>({
      acks,
      compression,
      lingerMs,
      maxBlockMs: context.timeoutMs,
    });
    const source: Readable = file === undefined || file === '-' ? context.stdin : createReadStream(file);
    const stopReading = () => source.destroy();
    context.signal.addEventListener('abort', stopReading, { once: true });

    const inFlight: Promise<unknown>[] = [];
    let sent = 0;
    let failure: unknown;
    const send = (messages: Message[]) => {
      const sending = producer.send({ topic, messages });
      sending.catch((error: unknown) => {
        failure ??= error;
      });
      inFlight.push(sending);
      sent += messages.length;
    };
    try {
      for await (const lines of splitLines(source, CLI_LIMITS.MAX_LINE_BYTES)) {
        let messages: Message[] = [];
        for (const line of lines) {
          messages.push(toMessage(line, separator, hasHeaders ? headers : undefined, partition));
          if (messages.length === CLI_LIMITS.PRODUCE_RECORDS_PER_SEND) {
            send(messages);
            messages = [];
          }
        }
        if (messages.length > 0) send(messages);
        while (inFlight.length > CLI_LIMITS.PRODUCE_SENDS_IN_FLIGHT)
          await inFlight.shift()!.catch(() => undefined);
        if (failure !== undefined) break;
      }
    } catch (error) {
      // Reading stopped: an interrupted stdin ends the input; anything else is a failure.
      if (!context.signal.aborted) failure ??= error;
    } finally {
      context.signal.removeEventListener('abort', stopReading);
    }
    await Promise.allSettled(inFlight);
    await producer.close();
    if (failure !== undefined) throw failure;
    context.output.note(`Produced ${sent} record${sent === 1 ? '' : 's'} to ${topic}.`);
  },
};

function toMessage(
  line: Buffer,
  separator: Buffer | undefined,
  headers: Record<string, string> | undefined,
  partition: number | undefined,
): Message {
  let key: Buffer | null = null;
  let value = line;
  if (separator !== undefined) {
    const index = line.indexOf(separator);
    if (index >= 0) {
      key = line.subarray(0, index);
      value = line.subarray(index + separator.length);
    }
  }
  const message: Message = { key, value };
  if (headers !== undefined) message.headers = headers;
  if (partition !== undefined) message.partition = partition;
  return message;
}
