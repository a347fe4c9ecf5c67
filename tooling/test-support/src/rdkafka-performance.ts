import { runCommand } from './run-command.js';

/** How long one rdkafka_performance run may take. */
const RDKAFKA_PERFORMANCE_TIMEOUT_MS = 600_000;

/**
 * Runs rdkafka_performance with `args` (its mode, -P or -C, first), statistics on and quiet (-u -q), and
 * returns the last statistics row it printed; rejects, quoting the end of its stderr, unless it exits
 * with 0.
 */
export async function runRdkafkaPerformance(
  binary: string,
  args: readonly string[],
  timeoutMs = RDKAFKA_PERFORMANCE_TIMEOUT_MS,
): Promise<Record<string, number>> {
  const result = await runCommand(binary, [...args, '-u', '-q'], { timeoutMs });
  if (result.code !== 0)
    throw new Error(`rdkafka_performance ${args[0]} failed: ${result.stderr.slice(-2000)}`);
  return lastStatisticsRow(result.stdout.toString() + result.stderr);
}

/**
 * The last statistics row that `rdkafka_performance -u` printed, as { column: value }: its table has a
 * header row naming the columns (one of them "elapsed") and one row per report.
 */
export function lastStatisticsRow(output: string): Record<string, number> {
  const lines = output.split('\n').filter((line) => line.startsWith('|'));
  const header = lines.find((line) => line.includes('elapsed'));
  const rows = lines.filter((line) => !line.includes('elapsed'));
  if (!header || rows.length === 0)
    throw new Error(`no statistics in rdkafka_performance output:\n${output.slice(-2000)}`);
  const cells = (line: string) =>
    line
      .split('|')
      .map((cell) => cell.trim())
      .filter(Boolean);
  const values = cells(rows[rows.length - 1]);
  return Object.fromEntries(cells(header).map((name, i) => [name, Number(values[i])]));
}
