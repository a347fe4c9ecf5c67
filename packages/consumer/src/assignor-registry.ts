import type { PartitionAssignor, RebalanceProtocol } from './assignor.js';
import { cooperativeStickyAssignor } from './cooperative-sticky-assignor.js';
import { rangeAssignor } from './range-assignor.js';
import { kafkajsRoundRobinAssignor, roundRobinAssignor } from './round-robin-assignor.js';

/** The assignment strategies a consumer may offer, by protocol name. */
export const ASSIGNORS: ReadonlyMap<string, PartitionAssignor> = new Map(
  [rangeAssignor, roundRobinAssignor, cooperativeStickyAssignor, kafkajsRoundRobinAssignor].map(
    (assignor) => [assignor.name, assignor],
  ),
);

export type AssignorName = 'range' | 'roundrobin' | 'cooperative-sticky' | 'RoundRobinAssigner';

export const ASSIGNOR_NAMES: readonly AssignorName[] = [
  'range',
  'roundrobin',
  'cooperative-sticky',
  'RoundRobinAssigner',
];

export function assignorsNamed(names: readonly string[]): PartitionAssignor[] {
  return names.map((name) => {
    const assignor = ASSIGNORS.get(name);
    if (assignor === undefined) throw new RangeError(`no assignor is named ${JSON.stringify(name)}`);
    return assignor;
  });
}

/**
 * The rebalance protocol of a consumer offering these assignors: cooperative only when every one of them
 * supports it (as Kafka's Java consumer decides), so that a group moving from `range` to
 * `cooperative-sticky` one member at a time stays eager until every member offers only cooperative ones.
 */
export function rebalanceProtocolOf(assignors: readonly PartitionAssignor[]): RebalanceProtocol {
  return assignors.every((assignor) => assignor.rebalanceProtocol === 'cooperative')
    ? 'cooperative'
    : 'eager';
}
