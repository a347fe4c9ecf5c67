import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const execFileAsync = promisify(execFile);

/** The benchmark at a small size, so that it keeps working (its figures are not checked: see the README). */
describe('the groups benchmark script', () => {
  it('runs at its quick size and prints every case', async () => {
    const script = fileURLToPath(new URL('../bench/groups.bench.ts', import.meta.url));
    const { stdout } = await execFileAsync(process.execPath, ['--import', 'tsx', script, '--quick'], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      timeout: 240_000,
    });
    expect(stdout).toMatch(/^# machine: .+, \d+ cores, node v\d+/m);
    expect(stdout).toContain('# rerun: pnpm --filter @sluice/consumer bench');
    for (const members of [1, 3]) {
      expect(stdout).toMatch(
        new RegExp(`^\\| ${members} \\| \\d+ \\| [\\d /]+ \\| [\\d.]+x \\| \\d+ \\|$`, 'm'),
      );
      expect(stdout).toMatch(
        new RegExp(
          `^\\| group of ${members} \\| [\\d,]+ \\| [\\d.]+ \\| [\\d /]+ \\| [\\d.]+x \\| [\\d,]+ \\| [\\d.]+x \\|$`,
          'm',
        ),
      );
    }
    expect(stdout).toMatch(
      /^\| assign mode, 1 consumer \(baseline\) \| [\d,]+ \| [\d.]+ \| [\d /]+ \| 1\.00x \| [\d,]+ \| 1\.00x \|$/m,
    );
  });
});
