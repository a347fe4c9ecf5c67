import { describeExit, onPath, runCommand } from './run-command.js';

/** Why kcat cannot run here, or null. */
export function kcatUnavailableReason(): string | null {
  return onPath('kcat') ? null : 'kcat is not installed';
}

/**
 * kcat against `bootstrap`, with `input` on its stdin. Resolves with what it printed on stdout; rejects,
 * quoting its stderr, unless it exits with 0.
 */
export async function kcat(
  bootstrap: string,
  args: readonly string[],
  input?: string | Buffer,
): Promise<Buffer> {
  const result = await runCommand('kcat', ['-b', bootstrap, ...args], { input });
  if (result.code !== 0) throw new Error(`kcat ${args.join(' ')} ${describeExit(result)}: ${result.stderr}`);
  return result.stdout;
}
