import { runProcess } from './processes.js';

/** A program the harness runs, and the Debian package that brings it. */
export interface DebianProgram {
  readonly command: string;
  readonly debianPackage: string;
}

export const PROGRAMS = {
  rabbitmq: { command: '/usr/lib/rabbitmq/bin/rabbitmq-server', debianPackage: 'rabbitmq-server' },
  nats: { command: 'nats-server', debianPackage: 'nats-server' },
  redis: { command: 'redis-server', debianPackage: 'redis-server' },
  iperf3: { command: 'iperf3', debianPackage: 'iperf3' },
  fio: { command: 'fio', debianPackage: 'fio' },
  kcat: { command: 'kcat', debianPackage: 'kcat' },
} as const satisfies Record<string, DebianProgram>;

export async function programInstalled(program: DebianProgram): Promise<boolean> {
  return (await runProcess('sh', ['-c', `command -v ${program.command}`])).code === 0;
}

/**
 * Installs the Debian packages of the missing programs with apt-get (as root; with sudo otherwise). The
 * services' init scripts are not started (RUNLEVEL=1 and the image's policy-rc.d): the harness starts its
 * own servers. Returns what it could not install, with why.
 */
export async function installMissing(programs: readonly DebianProgram[]): Promise<Map<string, string>> {
  const missing: DebianProgram[] = [];
  for (const program of programs) if (!(await programInstalled(program))) missing.push(program);
  const failures = new Map<string, string>();
  if (missing.length === 0) return failures;
  const packages = [...new Set(missing.map((program) => program.debianPackage))];
  process.stderr.write(`installing Debian packages: ${packages.join(' ')}\n`);
  const asRoot = process.getuid?.() === 0;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive', RUNLEVEL: '1' };
  const prefix = asRoot ? [] : ['sudo', '-E'];
  const run = (args: string[]) =>
    prefix.length
      ? runProcess(prefix[0], [...prefix.slice(1), ...args], 900_000, env)
      : runProcess(args[0], args.slice(1), 900_000, env);
  const update = await run(['apt-get', 'update', '-qq']);
  if (update.code !== 0) process.stderr.write(`apt-get update failed: ${update.stderr.slice(-500)}\n`);
  const install = await run(['apt-get', 'install', '-y', '-qq', ...packages]);
  for (const program of missing) {
    if (!(await programInstalled(program)))
      failures.set(program.debianPackage, `apt-get install failed: ${install.stderr.trim().slice(-300)}`);
  }
  return failures;
}
