import {
  Apis,
  DecodeError,
  decodeRequestFrame,
  encodeResponseFrame,
  readRequestPreamble,
} from '@sluice/protocol';
import type { Broker } from '../broker.js';
import { CloseConnection, type Connection, type RequestResult } from '../network/connection.js';
import { alterConfigsHandler } from './alter-configs.js';
import { apiVersionsHandler, unsupportedApiVersionsResponse } from './api-versions.js';
import { createPartitionsHandler } from './create-partitions.js';
import { createTopicsHandler } from './create-topics.js';
import { deleteGroupsHandler } from './delete-groups.js';
import { deleteRecordsHandler } from './delete-records.js';
import { deleteTopicsHandler } from './delete-topics.js';
import { describeConfigsHandler } from './describe-configs.js';
import { describeGroupsHandler } from './describe-groups.js';
import { fetchHandler } from './fetch.js';
import { findCoordinatorHandler } from './find-coordinator.js';
import type { HandlerDefinition, RequestContext } from './handler.js';
import { heartbeatHandler } from './heartbeat.js';
import { initProducerIdHandler } from './init-producer-id.js';
import { joinGroupHandler } from './join-group.js';
import { leaveGroupHandler } from './leave-group.js';
import { listGroupsHandler } from './list-groups.js';
import { listOffsetsHandler } from './list-offsets.js';
import { metadataHandler } from './metadata.js';
import { offsetCommitHandler } from './offset-commit.js';
import { offsetDeleteHandler } from './offset-delete.js';
import { offsetFetchHandler } from './offset-fetch.js';
import { produceHandler } from './produce.js';
import { syncGroupHandler } from './sync-group.js';

/** Every API this broker serves, with the versions it advertises (../shared/kafka-protocol/README.md). */
export function brokerHandlers(): HandlerDefinition<unknown, unknown>[] {
  const handlers: HandlerDefinition<unknown, unknown>[] = [
    produceHandler,
    fetchHandler,
    listOffsetsHandler,
    metadataHandler,
    createTopicsHandler,
    deleteTopicsHandler,
    deleteRecordsHandler,
    initProducerIdHandler,
    describeConfigsHandler,
    alterConfigsHandler,
    createPartitionsHandler,
    // ---- consumer groups ----
    findCoordinatorHandler,
    joinGroupHandler,
    syncGroupHandler,
    heartbeatHandler,
    leaveGroupHandler,
    offsetCommitHandler,
    offsetFetchHandler,
    listGroupsHandler,
    describeGroupsHandler,
    deleteGroupsHandler,
    offsetDeleteHandler,
    // ---- end of consumer groups ----
  ];
  handlers.push(apiVersionsHandler(() => handlers));
  return handlers;
}

/**
 * Turns one request frame into its response frame: checks the API key and version, decodes, runs the
 * handler, encodes. A request this broker cannot read closes its connection (CloseConnection), except an
 * ApiVersions request at an unknown version, which gets the UNSUPPORTED_VERSION answer.
 */
export function createRequestHandler(
  broker: Broker,
): (connection: Connection, frame: Buffer) => Promise<RequestResult> {
  const handlers = new Map(brokerHandlers().map((handler) => [handler.api.apiKey, handler]));
  const apiVersionsMax = handlers.get(Apis.ApiVersions.apiKey)!.maxVersion;
  const logger = broker.logger.child({ component: 'requests' });
  return async (connection, frame) => {
    let preamble: ReturnType<typeof readRequestPreamble>;
    try {
      preamble = readRequestPreamble(frame);
    } catch {
      throw new CloseConnection('malformed_request', 'request frame shorter than a request header');
    }
    const { apiKey, apiVersion, correlationId } = preamble;
    const handler = handlers.get(apiKey);
    if (!handler) {
      throw new CloseConnection('unsupported_api', `unknown API key ${apiKey}`);
    }
    const name = handler.api.name;
    if (apiVersion < handler.minVersion || apiVersion > handler.maxVersion) {
      broker.metrics.requests.inc({ api: name });
      if (apiKey === Apis.ApiVersions.apiKey) {
        broker.metrics.requestErrors.inc({ api: name, error: 35 });
        return unsupportedApiVersionsResponse(correlationId, apiVersionsMax);
      }
      throw new CloseConnection(
        'unsupported_api',
        `${name} v${apiVersion} is not supported (versions ${handler.minVersion}-${handler.maxVersion})`,
      );
    }
    let decoded: ReturnType<typeof decodeRequestFrame>;
    try {
      decoded = decodeRequestFrame(frame);
    } catch (error) {
      if (DecodeError.isInstance(error))
        throw new CloseConnection('malformed_request', `${name} v${apiVersion}: ${error.message}`);
      throw error;
    }
    broker.metrics.requests.inc({ api: name });
    const context: RequestContext = {
      apiVersion,
      correlationId,
      clientId: decoded.header.clientId,
      connection,
      logger,
      recordError: (code) => broker.metrics.requestErrors.inc({ api: name, error: code }),
    };
    const response = await handler.handle(broker, context, decoded.body);
    if (response === null) return null;
    return encodeResponseFrame(handler.api, apiVersion, correlationId, response);
  };
}
