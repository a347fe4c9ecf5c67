import { connect } from 'node:net';

export interface ProbeTarget {
  readonly host: string;
  readonly port: number;
}

/** `host:port,host:port` (IPv6 as `[::1]:9092`) as targets; throws a RangeError naming a malformed entry. */
export function parseBootstrap(text: string): ProbeTarget[] {
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(entry);
      const port = match ? Number(match[3]) : Number.NaN;
      if (!match || port < 1 || port > 65_535) {
        throw new RangeError(`"${entry}" is not HOST:PORT (in --bootstrap-server ${text})`);
      }
      return { host: match[1] ?? match[2], port };
    });
}

/**
 * Opens (and closes) a TCP connection to each bootstrap address at once; resolves when one accepts, or
 * rejects with every address's error when none does within timeoutMs. This tells "no broker is running"
 * (connection refused) apart at once, where the client would keep retrying until its timeout.
 */
export function probeBootstrap(targets: readonly ProbeTarget[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const errors: string[] = [];
    let settled = false;
    const sockets = targets.map((target) => {
      const socket = connect({ host: target.host, port: target.port });
      socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer in ${timeoutMs} ms`)));
      socket.once('connect', () => {
        if (!settled) {
          settled = true;
          for (const other of sockets) other.destroy();
          resolve();
        }
      });
      socket.once('error', (error: Error) => {
        errors.push(`${target.host}:${target.port}: ${error.message}`);
        if (errors.length === targets.length && !settled) {
          settled = true;
          reject(new Error(errors.join('; ')));
        }
      });
      return socket;
    });
  });
}
