import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { markdownTableRows, Readme } from './readme.js';
import { removeDirectory, temporaryDirectory } from './temporary-directory.js';

const FENCE = '```';

const README = `# A package

| option | default | meaning |
| :--- | ---: | --- |
| \`lingerMs\` | 0 | how long to wait |
| \`pipe\\|name\` | - | a cell holding a pipe |

${FENCE}ts
import { pino } from 'pino';

const logger = pino({ level: 'silent' });
logger.info('unseen');
console.log(\`bootstrap \${process.env.SLUICE_BOOTSTRAP}\`);
${FENCE}

${FENCE}ts
const count: number = 'not a number';
console.log(count);
${FENCE}

${FENCE}sh
echo not TypeScript
${FENCE}
`;

describe('Readme', () => {
  let directory: string;
  let readme: Readme;

  beforeAll(() => {
    directory = temporaryDirectory('sluice-test-support-');
    writeFileSync(join(directory, 'README.md'), README);
    readme = new Readme(new URL(`file://${join(directory, 'README.md')}`));
  });

  afterAll(() => removeDirectory(directory));

  it('finds the TypeScript examples, in order', () => {
    const examples = readme.examples();
    expect(examples).toHaveLength(2);
    expect(examples[0]).toContain("import { pino } from 'pino';");
    expect(examples[1]).toContain("'not a number'");
  });

  it('compares table rows by their cells, whatever the alignment and padding', () => {
    expect(markdownTableRows(readme.text())).toEqual([
      '|option|default|meaning|',
      '|`lingerMs`|0|how long to wait|',
      '|`pipe\\|name`|-|a cell holding a pipe|',
    ]);
    expect(
      readme.missingTableRows('|option|default|meaning|\n|-|-|-|\n|   `lingerMs` |0|how long to wait|'),
    ).toEqual([]);
    expect(readme.missingTableRows('| `lingerMs` | 5 | how long to wait |')).toEqual([
      '|`lingerMs`|5|how long to wait|',
    ]);
  });

  it('runs an example with its packages linked and SLUICE_BOOTSTRAP set', async () => {
    const { stdout } = await readme.runExample(0, '127.0.0.1:9092');
    expect(stdout).toBe('bootstrap 127.0.0.1:9092\n');
  });

  it('rejects examples that do not type-check, quoting the compiler', async () => {
    await expect(readme.typecheckExamples()).rejects.toThrow(
      /does not type-check:[\s\S]*Type 'string' is not assignable to type 'number'/,
    );
  });

  it('says when there is no example at that index', async () => {
    await expect(readme.runExample(2, '127.0.0.1:9092')).rejects.toThrow(/has no example 2/);
  });
});
