import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from './atomic-file.js';
import { Limits } from './limits.js';

export const META_PROPERTIES_FILE = 'meta.properties';

export interface MetaProperties {
  nodeId: number;
  clusterId: string;
}

export class MetaPropertiesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MetaPropertiesError';
  }
}

/**
 * Parses Java properties text (what Kafka writes to meta.properties): `key=value` or `key: value` lines,
 * `#` and `!` comments, surrounding whitespace ignored, backslash escapes of the common characters.
 */
export function parseProperties(text: string): Map<string, string> {
  const properties = new Map<string, string>();
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trimStart();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const separator = line.search(/[=:]/);
    const key = (separator < 0 ? line : line.slice(0, separator)).trim();
    const value = separator < 0 ? '' : line.slice(separator + 1).trim();
    properties.set(unescapeProperty(key), unescapeProperty(value));
  }
  return properties;
}

function unescapeProperty(text: string): string {
  return text.replace(/\\(.)/g, (_match, character: string) =>
    character === 'n' ? '\n' : character === 't' ? '\t' : character,
  );
}

/** A random cluster id in Kafka's format: 16 random bytes, base64url without padding (22 characters). */
export function randomClusterId(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * meta.properties in log.dirs: node.id and cluster.id (Java properties text); created if missing,
 * refused (clear error) if it names another node id, or another cluster id than `options.clusterId`.
 */
export async function loadOrCreateMetaProperties(
  logDir: string,
  nodeId: number,
  options: { clusterId?: string } = {},
): Promise<MetaProperties> {
  if (!Number.isInteger(nodeId) || nodeId < 0) {
    throw new MetaPropertiesError(`node.id must be a non-negative integer, got ${nodeId}`);
  }
  await fs.promises.mkdir(logDir, { recursive: true });
  const filePath = path.join(logDir, META_PROPERTIES_FILE);
  let text: string | null = null;
  try {
    const stat = await fs.promises.stat(filePath);
    if (stat.size > Limits.MAX_META_PROPERTIES_BYTES) {
      throw new MetaPropertiesError(`${filePath} is ${stat.size} bytes, not a meta.properties file`);
    }
    text = await fs.promises.readFile(filePath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (text !== null) {
    const properties = parseProperties(text);
    const storedNodeId = properties.get('node.id') ?? properties.get('broker.id');
    const clusterId = properties.get('cluster.id');
    if (storedNodeId === undefined || !/^\d+$/.test(storedNodeId)) {
      throw new MetaPropertiesError(`${filePath} has no valid node.id (found ${String(storedNodeId)})`);
    }
    if (Number(storedNodeId) !== nodeId) {
      throw new MetaPropertiesError(
        `${filePath} belongs to node ${storedNodeId}, but this broker is configured as node ${nodeId}: ` +
          "point log.dirs at this node's own directory or fix node.id",
      );
    }
    if (clusterId === undefined || clusterId === '')
      throw new MetaPropertiesError(`${filePath} has no cluster.id`);
    if (options.clusterId !== undefined && options.clusterId !== clusterId) {
      throw new MetaPropertiesError(
        `${filePath} belongs to cluster ${clusterId}, but this broker was asked to join cluster ${options.clusterId}`,
      );
    }
    return { nodeId, clusterId };
  }
  const clusterId = options.clusterId ?? randomClusterId();
  const contents =
    '#\n' +
    `#${new Date().toUTCString()}\n` +
    `node.id=${nodeId}\n` +
    'version=1\n' +
    `cluster.id=${clusterId}\n`;
  await writeFileAtomic(filePath, contents);
  return { nodeId, clusterId };
}
