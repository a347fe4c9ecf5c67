import { describe, expect, it } from 'vitest';
import { describeExit, onPath, runCommand } from './run-command.js';

describe('runCommand', () => {
  it('collects stdout as bytes and stderr as text, and gives the exit code without rejecting', async () => {
    const result = await runCommand('sh', ['-c', 'printf "a\\0b"; echo oops >&2; exit 3']);
    expect(result.stdout).toEqual(Buffer.from([0x61, 0x00, 0x62]));
    expect(result.stderr).toBe('oops\n');
    expect(result.code).toBe(3);
    expect(result.timedOut).toBe(false);
    expect(describeExit(result)).toBe('exited with 3');
  });

  it('feeds the input to stdin and closes it; without input stdin is empty', async () => {
    const fed = await runCommand('cat', [], { input: 'line one\nline two\n' });
    expect(fed.stdout.toString()).toBe('line one\nline two\n');
    expect((await runCommand('cat', [])).stdout.length).toBe(0);
  });

  it('passes the environment and working directory it is given', async () => {
    const result = await runCommand('sh', ['-c', 'echo "$GREETING $(pwd)"'], {
      env: { ...process.env, GREETING: 'hello' },
      cwd: '/',
    });
    expect(result.stdout.toString()).toBe('hello /\n');
  });

  it('stops a command that runs past its timeout, and says so', async () => {
    const started = Date.now();
    const result = await runCommand('sleep', ['30'], { timeoutMs: 200 });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.timedOut).toBe(true);
    expect(result.signal).toBe('SIGTERM');
    expect(describeExit(result)).toBe('timed out');
  });

  it('rejects when the command cannot start', async () => {
    await expect(runCommand('/nonexistent/sluice-command', [])).rejects.toThrow(/ENOENT/);
  });

  it('finds executables on $PATH', () => {
    expect(onPath('sh')).toBe(true);
    expect(onPath('sluice-no-such-command')).toBe(false);
  });
});
