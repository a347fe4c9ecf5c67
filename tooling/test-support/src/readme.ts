import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { repositoryRoot } from './repository.js';

const execFileAsync = promisify(execFile);
const require = createRequire(import.meta.url);

/** The workspace packages an example may import, linked into its node_modules from packages/. */
const LINKED_PACKAGES = ['protocol', 'network', 'producer', 'consumer', 'admin', 'client'];
const EXAMPLE_TIMEOUT_MS = 60_000;
const TYPECHECK_TIMEOUT_MS = 120_000;

export interface ExampleResult {
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * A package README whose TypeScript examples are checked as programs, the way a user would meet them:
 * each ```ts block is written to a file in a temporary directory whose node_modules links the workspace's
 * @sluice packages (and pino), then type-checked with the repository's compiler, or run with tsx with
 * SLUICE_BOOTSTRAP pointing at a broker the test started.
 */
export class Readme {
  readonly path: string;

  constructor(location: URL | string) {
    this.path = typeof location === 'string' ? location : fileURLToPath(location);
  }

  text(): string {
    return readFileSync(this.path, 'utf8');
  }

  /** The ```ts blocks, in order. */
  examples(): string[] {
    return [...this.text().matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]);
  }

  /** The rows of the Markdown table `expected` that the README lacks (empty when it documents them all). */
  missingTableRows(expected: string): string[] {
    const present = new Set(markdownTableRows(this.text()));
    return markdownTableRows(expected).filter((row) => !present.has(row));
  }

  /**
   * Type-checks every example with the repository's compiler settings (strict, NodeNext), as a user's
   * editor would; rejects with the compiler's messages.
   */
  async typecheckExamples(): Promise<void> {
    const root = repositoryRoot();
    for (const code of this.examples()) {
      const directory = exampleDirectory(code);
      try {
        await execFileAsync(
          process.execPath,
          [
            join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
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
            join(root, 'node_modules', '@types'),
            join(directory, 'example.ts'),
          ],
          { cwd: directory, timeout: TYPECHECK_TIMEOUT_MS },
        ).catch((error: { stdout?: string }) => {
          throw new Error(`README example does not type-check:\n${error.stdout ?? ''}\n${code}`);
        });
      } finally {
        rmSync(directory, { recursive: true, force: true });
      }
    }
  }

  /** Runs the example at `index` to its end against `bootstrap`; rejects on a non-zero exit or after `timeoutMs`. */
  async runExample(index: number, bootstrap: string, timeoutMs = EXAMPLE_TIMEOUT_MS): Promise<ExampleResult> {
    const code = this.examples()[index];
    if (code === undefined) throw new Error(`${this.path} has no example ${index}`);
    const directory = exampleDirectory(code);
    try {
      const { stdout, stderr } = await execFileAsync(
        process.execPath,
        [require.resolve('tsx/cli'), join(directory, 'example.ts')],
        {
          cwd: directory,
          timeout: timeoutMs,
          env: { ...process.env, SLUICE_BOOTSTRAP: bootstrap, SLUICE_LOG_LEVEL: 'error' },
        },
      );
      return { stdout, stderr };
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  }
}

/** A directory holding `code` as example.ts, with the @sluice packages and pino linked into node_modules. */
function exampleDirectory(code: string): string {
  const directory = mkdtempSync(join(tmpdir(), 'sluice-readme-'));
  const packages = join(repositoryRoot(), 'packages');
  mkdirSync(join(directory, 'node_modules', '@sluice'), { recursive: true });
  for (const name of LINKED_PACKAGES) {
    symlinkSync(join(packages, name), join(directory, 'node_modules', '@sluice', name), 'dir');
  }
  symlinkSync(dirname(require.resolve('pino/package.json')), join(directory, 'node_modules', 'pino'), 'dir');
  writeFileSync(join(directory, 'package.json'), JSON.stringify({ type: 'module' }));
  writeFileSync(join(directory, 'example.ts'), code);
  return directory;
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
