import {
  boundRelation,
  clientOptionRelations,
  INT32_MAX,
  integerOption,
  type NetworkOptions,
  networkOptionTable,
  type OptionRelation,
  type OptionTable,
  type ResolvedNetworkOptions,
} from '@sluice/network';

/** Admin options as given; each maps to one Kafka admin client config and defaults to Kafka's default. */
export interface AdminConfigOptions extends NetworkOptions {
  defaultApiTimeoutMs?: number;
}

export interface ResolvedAdminOptions extends ResolvedNetworkOptions {
  defaultApiTimeoutMs: number;
}

export const adminOptionTable: OptionTable<ResolvedAdminOptions> = {
  ...networkOptionTable,
  defaultApiTimeoutMs: integerOption({
    kafkaName: 'default.api.timeout.ms',
    defaultValue: 60_000,
    min: 1,
    max: INT32_MAX,
    unit: 'ms',
    description:
      'how long an admin operation may take, retries included, unless it is given its own timeoutMs',
  }),
};

export const adminOptionRelations: OptionRelation<ResolvedAdminOptions>[] = clientOptionRelations(
  boundRelation('defaultApiTimeoutMs', 'at least', ['requestTimeoutMs']),
);
