import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { BenchReport } from './results.js';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

describe('the harness, at a smoke size', () => {
  const outDir = mkdtempSync(join(tmpdir(), 'sluice-bench-smoke-'));
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('starts a Sluice broker and Redis, measures both, writes the reports and stops what it started', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        '--import',
        'tsx',
        MAIN,
        '--quick',
        '--systems',
        'sluice,redis',
        '--records',
        '3000',
        '--rates',
        '2000',
        '--no-ceilings',
        '--no-install',
        '--out',
        outDir,
      ],
      { timeout: 240_000, maxBuffer: 16 * 2 ** 20 },
    );
    expect(stdout).toContain('rerun: pnpm --filter @sluice/bench bench -- --records 3000');
    expect(stdout).toMatch(/machine: .+, \d+ cores, node v\d+/);
    const report = JSON.parse(readFileSync(join(outDir, 'peer-bench.json'), 'utf8')) as BenchReport;
    const sluice = report.systems.find((system) => system.id === 'sluice')!;
    for (const size of ['100', '1024']) {
      const cell = sluice.cells[size];
      expect(cell.failures).toEqual([]);
      expect(cell.produce[0].records).toBe(3000);
      expect(cell.consume[0].records).toBe(3000);
      expect(cell.consume[0].bytes).toBe(3000 * Number(size));
      const [latency] = cell.latency['2000'];
      expect(latency.latency.received).toBe(4000);
      expect(latency.latency.p99Ms).toBeGreaterThan(0);
      expect(latency.latency.p50Ms).toBeLessThanOrEqual(latency.latency.p99Ms);
    }
    const redis = report.systems.find((system) => system.id === 'redis')!;
    // Without --no-install the harness installs redis-server; here it is measured when present, else skipped with why.
    if (redis.skipped) expect(redis.skipped).toMatch(/not installed/);
    else expect(redis.cells['100'].consume[0].records).toBe(3000);
    expect(readFileSync(join(outDir, 'peer-bench.md'), 'utf8')).toContain(
      '## Targets (Sluice, one broker, acks=1)',
    );
    expect(readFileSync(join(outDir, 'peer-bench.svg'), 'utf8')).toMatch(/^<svg [^>]+>/);
    expect(existsSync(join(outDir, 'quick'))).toBe(false);
  });
});
