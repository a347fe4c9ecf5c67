import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The parts of a V8 .cpuprofile (node --cpu-prof) the summary reads. */
interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: {
      readonly functionName: string;
      readonly url: string;
      readonly lineNumber: number;
    };
  }[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface HotFunction {
  /** `name (file:line)`, the file shortened to its package-relative path. */
  readonly location: string;
  readonly selfMs: number;
  /** Share of the profile's busy time (everything but idle). */
  readonly selfShare: number;
}

export interface ProfileSummary {
  readonly totalMs: number;
  readonly idleMs: number;
  readonly top: readonly HotFunction[];
}

/** Shortens a script URL to what identifies it: the path from the package or node_modules folder on. */
export function shortenUrl(url: string): string {
  if (!url) return '';
  const path = url.replace(/^file:\/\//, '');
  const modules = path.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const rest = path.slice(modules + '/node_modules/'.length).replace(/^\.pnpm\/[^/]+\/node_modules\//, '');
    return rest;
  }
  const match = path.match(/\/(packages|apps|tooling)\/(.+)$/);
  return match ? `${match[1]}/${match[2]}` : path;
}

/** Self time per function (samples × their intervals), the `limit` largest first. */
export function summarizeCpuProfile(profile: CpuProfile, limit = 15): ProfileSummary {
  const locations = new Map<number, string>();
  for (const node of profile.nodes) {
    const frame = node.callFrame;
    const name = frame.functionName || '(anonymous)';
    const file = shortenUrl(frame.url);
    locations.set(node.id, file ? `${name} (${file}:${frame.lineNumber + 1})` : name);
  }
  const selfUs = new Map<string, number>();
  let totalUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    if (delta <= 0) continue;
    const location = locations.get(profile.samples[i]) ?? '(unknown)';
    selfUs.set(location, (selfUs.get(location) ?? 0) + delta);
    totalUs += delta;
  }
  const idleUs = selfUs.get('(idle)') ?? 0;
  const busyUs = Math.max(1, totalUs - idleUs);
  const top = [...selfUs.entries()]
    .filter(([location]) => location !== '(idle)')
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([location, us]) => ({ location, selfMs: us / 1000, selfShare: us / busyUs }));
  return { totalMs: totalUs / 1000, idleMs: idleUs / 1000, top };
}

export function summarizeCpuProfileFile(path: string, limit = 15): ProfileSummary {
  return summarizeCpuProfile(JSON.parse(readFileSync(path, 'utf8')) as CpuProfile, limit);
}

/**
 * The main thread's profile among those one process wrote into `directory`: node --cpu-prof writes one per
 * thread, named `CPU.<date>.<time>.<pid>.<thread id>.<sequence>.cpuprofile`, and the main thread is thread 0
 * (a loader-hooks worker, such as tsx's, lives as long as the main thread, so sample counts cannot tell them
 * apart). Null when there is none.
 */
export function mainThreadProfile(directory: string): string | null {
  let names: string[];
  try {
    names = readdirSync(directory).filter((name) => name.endsWith('.cpuprofile'));
  } catch {
    return null;
  }
  const main = names.find((name) => name.split('.')[4] === '0');
  return main === undefined ? null : join(directory, main);
}
