import { type ApiDefinition, apiByKey, UnsupportedVersionError } from '@sluice/protocol';
import { CLIENT_API_VERSIONS } from './supported-versions.js';

export interface ApiVersionRange {
  readonly apiKey: number;
  readonly minVersion: number;
  readonly maxVersion: number;
}

/**
 * What one broker supports, from its ApiVersions answer, and the version this client uses for each API: the
 * highest version in both ranges. An API the broker lacks, or whose range does not meet the client's, has
 * no version; using it throws UnsupportedVersionError naming both ranges.
 */
export class ApiVersionTable {
  /** Negotiated version per API key; absent when there is none in common. */
  private readonly negotiated = new Map<number, number>();
  /** The broker's ranges, by API key. */
  readonly brokerRanges: ReadonlyMap<number, ApiVersionRange>;

  constructor(
    ranges: readonly ApiVersionRange[],
    clientRanges: ReadonlyMap<number, { minVersion: number; maxVersion: number }> = CLIENT_API_VERSIONS,
  ) {
    const byKey = new Map<number, ApiVersionRange>();
    for (const range of ranges) byKey.set(range.apiKey, range);
    this.brokerRanges = byKey;
    for (const [apiKey, client] of clientRanges) {
      const broker = byKey.get(apiKey);
      if (broker === undefined) continue;
      const version = Math.min(client.maxVersion, broker.maxVersion);
      if (version >= client.minVersion && version >= broker.minVersion) this.negotiated.set(apiKey, version);
    }
  }

  /** The version to use for `api`, or undefined when the broker and client have none in common. */
  versionOf<Request, Response>(api: ApiDefinition<Request, Response>): number | undefined {
    return this.negotiated.get(api.apiKey);
  }

  /** The version to use for `api`; throws UnsupportedVersionError when there is none. */
  require<Request, Response>(api: ApiDefinition<Request, Response>, broker: string): number {
    const version = this.negotiated.get(api.apiKey);
    if (version !== undefined) return version;
    const client = CLIENT_API_VERSIONS.get(api.apiKey);
    const brokerRange = this.brokerRanges.get(api.apiKey);
    const clientText = client ? `v${client.minVersion}-${client.maxVersion}` : 'no version';
    const brokerText = brokerRange ? `v${brokerRange.minVersion}-${brokerRange.maxVersion}` : 'no version';
    throw new UnsupportedVersionError(
      `${api.name}: broker ${broker} supports ${brokerText}, this client ${clientText}`,
    );
  }

  /** Every negotiated version, by API name (for logs). */
  summary(): Record<string, number> {
    const result: Record<string, number> = {};
    for (const [apiKey, version] of this.negotiated) {
      result[apiByKey.get(apiKey)?.name ?? String(apiKey)] = version;
    }
    return result;
  }
}
