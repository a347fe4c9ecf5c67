import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * Runs the TypeScript examples of a package README as programs, the way a user would: each ```ts block is
 * written to a file in a temporary directory whose node_modules links the workspace's @sluice packages, and
 * run with tsx, with SLUICE_BOOTSTRAP pointing at a broker the test started.
 */

const execFileAsync = promisify(execFile);
const PACKAGES_DIRECTORY = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const LINKED = ['protocol', 'network', 'producer', 'consumer', 'admin', 'client'];

/** The ```ts blocks of a README, in order. */
export function readmeExamples(readmePath: string): string[] {
  const text = readFileSync(readmePath, 'utf8');
  return [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]);
}

export interface ExampleResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** A directory holding the example as example.ts, with the @sluice packages linked into node_modules. */
function exampleDirectory(code: string): string {
  const directory = mkdtempSync(join(tmpdir(), 'sluice-readme-'));
  mkdirSync(join(directory, 'node_modules', '@sluice'), { recursive: true });
  for (const name of LINKED) {
    symlinkSync(join(PACKAGES_DIRECTORY, name), join(directory, 'node_modules', '@sluice', name), 'dir');
  }
  symlinkSync(
    join(PACKAGES_DIRECTORY, 'network', 'node_modules', 'pino'),
    join(directory, 'node_modules', 'pino'),
    'dir',
  );
  writeFileSync(join(directory, 'package.json'), JSON.stringify({ type: 'module' }));
  writeFileSync(join(directory, 'example.ts'), code);
  return directory;
}

/**
 * Type-checks examples with the repository's compiler settings (strict, NodeNext), as a user's editor
 * would; rejects with the compiler's messages.
 */
export async function typecheckExamples(examples: string[]): Promise<void> {
  for (const code of examples) {
    const directory = exampleDirectory(code);
    try {
      const tsc = join(PACKAGES_DIRECTORY, '..', 'node_modules', 'typescript', 'bin', 'tsc');
      await execFileAsync(
        process.execPath,
        [
          tsc,
          '--noEmit',
          '--strict',
          '--module',
          'nodenext',
          '--moduleResolution',
          'nodenext',
          '--target',
          'es2022',
          '--skipLibCheck',
          '--types',
          'node',
          '--typeRoots',
          join(PACKAGES_DIRECTORY, '..', 'node_modules', '@types'),
          join(directory, 'example.ts'),
        ],
        { cwd: directory, timeout: 120_000 },
      ).catch((error: { stdout?: string }) => {
        throw new Error(`README example does not type-check:\n${error.stdout ?? ''}\n${code}`);
      });
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  }
}

/** Runs one example to completion (rejecting on a non-zero exit or after `timeoutMs`). */
export async function runExample(
  code: string,
  bootstrap: string,
  timeoutMs = 60_000,
): Promise<ExampleResult> {
  const directory = exampleDirectory(code);
  try {
    const file = join(directory, 'example.ts');
    const tsx = join(PACKAGES_DIRECTORY, 'network', 'node_modules', 'tsx', 'dist', 'cli.mjs');
    const { stdout, stderr } = await execFileAsync(process.execPath, [tsx, file], {
      cwd: directory,
      timeout: timeoutMs,
      env: { ...process.env, SLUICE_BOOTSTRAP: bootstrap, SLUICE_LOG_LEVEL: 'error' },
    });
    return { stdout, stderr };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

/** The rows of the Markdown tables in `text`, cells trimmed, separator rows left out (so alignment does not matter). */
export function markdownTableRows(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('|') && !/^\|[\s|:-]+\|$/.test(line))
    .map((line) =>
      line
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim())
        .join('|'),
    );
}

/** The table rows of `expected` that `readme` lacks (empty when the README documents them all). */
export function missingTableRows(readme: string, expected: string): string[] {
  const present = new Set(markdownTableRows(readme));
  return markdownTableRows(expected).filter((row) => !present.has(row));
}
