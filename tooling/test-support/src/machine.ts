import { cpus, loadavg } from 'node:os';

export interface MachineLineOptions {
  /** Add the 1, 5 and 15 minute load averages. */
  readonly loadAverage?: boolean;
}

/**
 * The machine a benchmark runs on, for its output: "<cpu model>, <cores> cores, node <version>", and the
 * load averages when asked (the machine may be shared: they say how busy it was).
 */
export function machineLine(options: MachineLineOptions = {}): string {
  const cpuList = cpus();
  const line = `${cpuList[0]?.model ?? 'unknown cpu'}, ${cpuList.length} cores, node ${process.version}`;
  if (!options.loadAverage) return line;
  return `${line}, load average ${loadavg()
    .map((load) => load.toFixed(2))
    .join(' ')}`;
}
