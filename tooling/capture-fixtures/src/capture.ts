import { execFileSync } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { apiByKey } from '@sluice/protocol';
import { ADVERTISED_VERSIONS, advertisedWith } from './advertised-versions.js';
import type { ClientName, ClientSession } from './client-session.js';
import { ConsumerGroups } from './consumer-groups.js';
import { FixtureBroker } from './fixture-broker.js';
import { type CapturedSession, selectFixtures } from './fixture-selection.js';
import { KAFKAJS_SESSIONS } from './kafkajs-sessions.js';
import { KCAT_SESSIONS } from './kcat-sessions.js';
import { MemoryLog } from './memory-log.js';

/**
 * Captures request frames from real Kafka clients (kcat and kafkajs) as they write them to a socket, and
 * stores them as @sluice/protocol's test fixtures with a manifest. See ../README.md.
 */

const usage = `usage: pnpm --filter @sluice/capture-fixtures capture [--out DIR]

Runs kcat and kafkajs against a capture broker on 127.0.0.1 and writes every distinct request they send
to DIR/<client>/<api>-v<version>[-<variant>].bin plus DIR/manifest.json
(default DIR: packages/protocol/test/fixtures).`;

const DEFAULT_OUT = resolve(import.meta.dirname, '../../../packages/protocol/test/fixtures');
const CLIENTS: readonly ClientName[] = ['kcat', 'kafkajs'];

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

function clientVersions(): Record<ClientName, string> {
  const kcatVersion = execFileSync('kcat', ['-V'], { encoding: 'utf8' })
    .split('\n')
    .find((line) => line.startsWith('Version'));
  const kafkajsPackage = createRequire(import.meta.url)('kafkajs/package.json') as { version: string };
  return { kcat: kcatVersion?.trim() ?? 'unknown', kafkajs: kafkajsPackage.version };
}

async function capture(session: ClientSession, log: MemoryLog, groups: ConsumerGroups) {
  const advertised = session.advertisedOverrides
    ? advertisedWith(session.advertisedOverrides.ranges)
    : ADVERTISED_VERSIONS;
  const broker = await FixtureBroker.start(log, groups, advertised);
  const startedAtMs = Date.now();
  let failure: string | null = null;
  try {
    await session.run(broker.bootstrap);
  } catch (error) {
    failure = (error as Error).message;
  } finally {
    await broker.close();
  }
  const problems = failure === null ? broker.problems : [failure, ...broker.problems];
  const sent = broker.frames.map(
    (frame) => `${apiByKey.get(frame.apiKey)?.name ?? frame.apiKey} v${frame.apiVersion}`,
  );
  print(`${session.client} ${session.name}: ${broker.frames.length} requests: ${sent.join(', ')}`);
  const captured: CapturedSession = { session, startedAtMs, frames: broker.frames };
  return { captured, problems };
}

async function main(): Promise<number> {
  // `pnpm … capture -- --out DIR` passes the `--` through.
  const args = process.argv.slice(2).filter((arg, index) => !(index === 0 && arg === '--'));
  const { values } = parseArgs({
    args,
    options: { out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    print(usage);
    return 0;
  }
  const out = resolve(values.out ?? DEFAULT_OUT);
  const log = new MemoryLog();
  const groups = new ConsumerGroups();
  const captured: CapturedSession[] = [];
  const problems: string[] = [];
  for (const session of [...KCAT_SESSIONS, ...KAFKAJS_SESSIONS]) {
    const result = await capture(session, log, groups);
    captured.push(result.captured);
    problems.push(...result.problems.map((problem) => `${session.client} ${session.name}: ${problem}`));
  }
  if (problems.length > 0) {
    console.error(`capture failed, nothing written:\n${problems.join('\n')}`);
    return 1;
  }
  const fixtures = selectFixtures(captured);
  for (const client of CLIENTS) await rm(join(out, client), { recursive: true, force: true });
  for (const fixture of fixtures) {
    const path = join(out, fixture.file);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, fixture.payload);
  }
  const manifest = {
    description:
      'Request frames captured from real Kafka clients by @sluice/capture-fixtures (tooling/capture-fixtures).',
    framing:
      'each .bin file is one request frame as the client wrote it to the socket, without the 4-byte size prefix: request header, then body',
    clients: clientVersions(),
    node: process.version,
    fixtures: fixtures.map(({ payload: _payload, ...fixture }) => fixture),
  };
  await writeFile(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  print(`wrote ${fixtures.length} fixtures and manifest.json to ${out}`);
  for (const fixture of fixtures) print(`  ${fixture.file} (${fixture.sizeBytes} bytes)`);
  return 0;
}

main().then(
  (exitCode) => {
    process.exitCode = exitCode;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
