import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const execFileAsync = promisify(execFile);

/** The benchmark at a small size, so that it keeps working (its figures are not checked: see the README). */
describe('the benchmark script', () => {
  it('runs at its quick size and prints every case with its ratios', async () => {
    const script = fileURLToPath(new URL('../bench/client.bench.ts', import.meta.url));
    const { stdout } = await execFileAsync(process.execPath, ['--import', 'tsx', script, '--quick'], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      timeout: 240_000,
    });
    expect(stdout).toMatch(/^# machine: .+, \d+ cores, node v\d+/m);
    expect(stdout).toContain('# rerun: pnpm --filter @sluice/client bench');
    for (const name of [
      'produce: sluice',
      'produce: kafkajs',
      'produce: kcat',
      'consume: sluice eachBatch',
      'consume: sluice iterator',
      'consume: kafkajs',
      'consume: kcat',
    ]) {
      expect(stdout).toMatch(
        new RegExp(`^\\| ${name} \\| [\\d,]+ \\| [\\d.]+ \\| .+ \\| [\\d.]+x \\| [\\d.]+x \\|$`, 'm'),
      );
    }
  });
});
