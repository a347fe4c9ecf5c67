import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mainThreadProfile, shortenUrl, summarizeCpuProfileFile } from './cpu-profile.js';

describe('CPU profile summaries', () => {
  const directory = mkdtempSync(join(tmpdir(), 'sluice-bench-profile-test-'));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('put the function a real profiled process spent its time in at the top', () => {
    const program = `
      function spinForAWhile() { let x = 0; const end = Date.now() + 400; while (Date.now() < end) x += Math.sqrt(x + 1); return x; }
      spinForAWhile();
    `;
    execFileSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', directory, '-e', program]);
    const [file] = readdirSync(directory).filter((name) => name.endsWith('.cpuprofile'));
    const summary = summarizeCpuProfileFile(join(directory, file), 5);
    expect(summary.top[0].location).toMatch(/^spinForAWhile/);
    expect(summary.top[0].selfMs).toBeGreaterThan(150);
    expect(summary.top[0].selfShare).toBeGreaterThan(0.3);
    expect(summary.totalMs).toBeGreaterThanOrEqual(summary.top[0].selfMs);
  });

  it("picks the main thread's profile when a longer-lived worker thread wrote one too", () => {
    const threads = join(directory, 'threads');
    const program = `
      const { Worker } = require('node:worker_threads');
      new Worker('setTimeout(() => {}, 900)', { eval: true }); // outlives the main thread's work
      function mainThreadWork() { let x = 0; const end = Date.now() + 300; while (Date.now() < end) x += Math.sqrt(x + 1); return x; }
      mainThreadWork();
    `;
    execFileSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', threads, '-e', program]);
    expect(readdirSync(threads).filter((name) => name.endsWith('.cpuprofile')).length).toBe(2);
    const chosen = mainThreadProfile(threads)!;
    expect(summarizeCpuProfileFile(chosen, 3).top[0].location).toMatch(/^mainThreadWork/);
    expect(mainThreadProfile(join(directory, 'absent'))).toBeNull();
  });

  it('name files by their package path, not the machine path', () => {
    expect(shortenUrl('file:///work/main/packages/log/dist/index.js')).toBe('packages/log/dist/index.js');
    expect(
      shortenUrl('file:///work/main/node_modules/.pnpm/pino@10.4.0/node_modules/pino/lib/proto.js'),
    ).toBe('pino/lib/proto.js');
    expect(shortenUrl('node:net')).toBe('node:net');
  });
});
