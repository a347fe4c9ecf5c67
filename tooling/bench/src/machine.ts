import { execFileSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem } from 'node:os';

export interface Machine {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly kernel: string;
  /** 1, 5 and 15 minute load averages when the run started. */
  readonly loadAtStart: readonly number[];
  loadAtEnd?: readonly number[];
}

export function describeMachine(): Machine {
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown cpu',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    kernel: release(),
    loadAtStart: currentLoad(),
  };
}

export function currentLoad(): number[] {
  return loadavg().map((load) => Math.round(load * 100) / 100);
}

/** The version dpkg has installed for a Debian package, or null when it is not installed. */
export function debianPackageVersion(name: string): string | null {
  try {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own field syntax, not a template
    const format = '--showformat=${Version}';
    return execFileSync('dpkg-query', ['-W', format, name], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}
