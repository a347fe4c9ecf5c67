import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DO_NOT_EDIT, generate } from './generate.js';
import { readErrorCodes, readMessageSpecs } from './schema.js';

const here = dirname(fileURLToPath(import.meta.url));
const usage = `Usage: protocol-codegen [--messages DIR] [--out DIR] [--check]

Generates @sluice/protocol's codecs from Kafka's message JSON.
  --messages DIR  the schemas (default: $SLUICE_KAFKA_MESSAGES, else ../shared/kafka-protocol/messages
                  beside the repository)
  --out DIR       where to write (default: packages/protocol/src/generated)
  --check         write nothing; exit 1 if the files on disk differ from what would be generated`;

const { values } = parseArgs({
  options: {
    messages: { type: 'string' },
    out: { type: 'string' },
    check: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}
const repository = resolve(here, '../../..');
const messages = resolve(
  values.messages ??
    process.env.SLUICE_KAFKA_MESSAGES ??
    join(repository, '../shared/kafka-protocol/messages'),
);
const out = resolve(values.out ?? join(repository, 'packages/protocol/src/generated'));

const files = generate(readMessageSpecs(messages), readErrorCodes(messages));
if (values.check) {
  const expected = new Map(files.map((file) => [file.path, file.text]));
  const present = readdirSync(out).filter((name) => name.endsWith('.ts'));
  const problems: string[] = [];
  for (const name of present) {
    const text = readFileSync(join(out, name), 'utf8');
    if (!expected.has(name)) problems.push(`${name}: not generated any more`);
    else if (expected.get(name) !== text) problems.push(`${name}: differs from what the schemas generate`);
  }
  for (const name of expected.keys()) if (!present.includes(name)) problems.push(`${name}: missing`);
  if (problems.length > 0) {
    process.stderr.write(`generated code is not current (run pnpm generate):\n  ${problems.join('\n  ')}\n`);
    process.exit(1);
  }
  process.stdout.write(`generated code is current: ${files.length} files from ${messages}\n`);
} else {
  for (const name of readdirSync(out, { withFileTypes: true })) {
    if (name.isFile() && name.name.endsWith('.ts')) {
      const text = readFileSync(join(out, name.name), 'utf8');
      if (text.startsWith(DO_NOT_EDIT)) rmSync(join(out, name.name));
    }
  }
  mkdirSync(out, { recursive: true });
  for (const file of files) writeFileSync(join(out, file.path), file.text);
  process.stdout.write(`wrote ${files.length} files to ${out}\n`);
}
