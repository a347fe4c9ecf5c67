import { InvalidRequestError } from './errors.js';

/**
 * Sluice's key layout in the coordination store, all under `/sluice/<cluster>/`:
 *
 *   brokers/<id>                 a broker's registration, bound to its session's lease
 *   controller/<leaseId>         candidates of the controller election (see Election); the leader is the oldest
 *   topics/<name>                a topic: partition assignment and configs
 *   partitions/<topic>/<p>       a partition: leader, leader epoch, ISR, partition epoch; changed only by
 *                                compare-and-set on its modRevision
 *
 * The `...Prefix` functions end with '/', so that watching `topics/a/` never sees `topics/ab`.
 */

function segment(value: string, what: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.includes('/')) {
    throw new InvalidRequestError(
      `${what} must be a non-empty string without '/', got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function index(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InvalidRequestError(`${what} must be an integer >= 0, got ${value}`);
  }
  return value;
}

export function clusterPrefix(cluster: string): string {
  return `/sluice/${segment(cluster, 'cluster')}/`;
}

export function brokersPrefix(cluster: string): string {
  return `${clusterPrefix(cluster)}brokers/`;
}

export function brokerKey(cluster: string, brokerId: number): string {
  return `${brokersPrefix(cluster)}${index(brokerId, 'broker id')}`;
}

/** The prefix of the controller election: pass it to `new Election(store, controllerKey(cluster))`. */
export function controllerKey(cluster: string): string {
  return `${clusterPrefix(cluster)}controller`;
}

export function topicsPrefix(cluster: string): string {
  return `${clusterPrefix(cluster)}topics/`;
}

export function topicKey(cluster: string, topic: string): string {
  return `${topicsPrefix(cluster)}${segment(topic, 'topic')}`;
}

/** Every partition of every topic, or of one topic when `topic` is given. */
export function partitionsPrefix(cluster: string, topic?: string): string {
  const all = `${clusterPrefix(cluster)}partitions/`;
  return topic === undefined ? all : `${all}${segment(topic, 'topic')}/`;
}

export function partitionKey(cluster: string, topic: string, partition: number): string {
  return `${partitionsPrefix(cluster, topic)}${index(partition, 'partition')}`;
}
