import type { GroupCoordinator } from '@sluice/coordination';
import type { Broker } from '../broker.js';
import type { RequestContext } from '../handlers/handler.js';

/** The coordinator, or null while the broker starts or stops (the handler answers COORDINATOR_NOT_AVAILABLE). */
export function coordinatorOf(broker: Broker): GroupCoordinator | null {
  return broker.isShuttingDown ? null : broker.groupCoordinator;
}

/** The client's address as Kafka reports it in DescribeGroups: `/host`. */
export function clientHostOf(context: RequestContext): string {
  const address = context.connection.remoteAddress;
  const separator = address.lastIndexOf(':');
  return `/${separator > 0 ? address.slice(0, separator) : address}`;
}

/** Counts a non-zero error code in the metrics and returns it. */
export function counted(context: RequestContext, errorCode: number): number {
  if (errorCode !== 0) context.recordError(errorCode);
  return errorCode;
}
