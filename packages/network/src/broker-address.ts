import { Limits } from './limits.js';

/** Where a broker listens. */
export interface BrokerAddress {
  readonly host: string;
  readonly port: number;
}

export function formatAddress(address: BrokerAddress): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

/**
 * Parses one `host:port` (IPv6 hosts in brackets, `[::1]:9092`; a `PLAINTEXT://` prefix is allowed).
 * Returns a message instead when the text is not an address.
 */
export function parseAddress(text: string): BrokerAddress | { invalid: string } {
  const trimmed = text.trim().replace(/^plaintext:\/\//i, '');
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(trimmed);
  if (!match) return { invalid: `"${text}" is not host:port` };
  const port = Number(match[3]);
  if (port < 1 || port > 65535) return { invalid: `"${text}" has port ${port}, outside 1-65535` };
  return { host: match[1] ?? match[2], port };
}

/** A bootstrap list: a comma-separated string or an array of `host:port`, at least one. */
export function parseBootstrapServers(value: unknown): BrokerAddress[] | { invalid: string } {
  const items =
    typeof value === 'string'
      ? value.split(',')
      : Array.isArray(value) && value.every((item) => typeof item === 'string')
        ? (value as string[])
        : null;
  if (items === null) return { invalid: 'must be "host:port,host:port" or an array of "host:port"' };
  const nonEmpty = items.map((item) => item.trim()).filter((item) => item.length > 0);
  if (nonEmpty.length === 0) return { invalid: 'must name at least one broker' };
  if (nonEmpty.length > Limits.MAX_BOOTSTRAP_SERVERS) {
    return { invalid: `may name at most ${Limits.MAX_BOOTSTRAP_SERVERS} brokers` };
  }
  const addresses: BrokerAddress[] = [];
  for (const item of nonEmpty) {
    const address = parseAddress(item);
    if ('invalid' in address) return address;
    addresses.push(address);
  }
  return addresses;
}
