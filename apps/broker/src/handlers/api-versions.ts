/**
 * ApiVersions, versions 0-3. The versions of every API this broker serves. A request at a version above 3
 * gets the v0-format answer with UNSUPPORTED_VERSION (see unsupportedApiVersionsResponse), as Kafka does,
 * so that the client retries at a version both know.
 */
import {
  Apis,
  type ApiVersionsRequest,
  type ApiVersionsResponse,
  encodeResponseFrame,
} from '@sluice/protocol';
import { defineHandler, type HandlerDefinition } from './handler.js';

export function apiVersionsHandler(all: () => readonly HandlerDefinition<unknown, unknown>[]) {
  return defineHandler<ApiVersionsRequest, ApiVersionsResponse>({
    api: Apis.ApiVersions,
    minVersion: 0,
    maxVersion: 3,
    async handle() {
      return {
        errorCode: 0,
        apiKeys: all()
          .map((handler) => ({
            apiKey: handler.api.apiKey,
            minVersion: handler.minVersion,
            maxVersion: handler.maxVersion,
          }))
          .sort((a, b) => a.apiKey - b.apiKey),
        throttleTimeMs: 0,
      };
    },
  });
}

/** The answer to an ApiVersions request at a version this broker does not know: v0 body, header v0. */
export function unsupportedApiVersionsResponse(correlationId: number, maxVersion: number): Buffer[] {
  return encodeResponseFrame(Apis.ApiVersions, 0, correlationId, {
    errorCode: 35,
    apiKeys: [{ apiKey: Apis.ApiVersions.apiKey, minVersion: 0, maxVersion }],
  });
}
