import type { ApiDefinition, Input } from './codec-support.js';
import { DecodeError } from './decode-error.js';
import { Apis, apiByKey } from './generated/apis.js';
import { decodeRequestHeader, encodeRequestHeader, type RequestHeader } from './generated/request-header.js';
import { decodeResponseHeader, encodeResponseHeader } from './generated/response-header.js';
import { Reader } from './reader.js';
import { Writer } from './writer.js';

/**
 * Framing: every request and response is an int32 size followed by that many bytes: a header, then the body.
 * Request header v2 and response header v1 (with tagged fields) go with flexible API versions, v1 and v0
 * with the others; ApiVersions responses always use header v0 so that any client can read the error in
 * them.
 */

export function isFlexible(api: ApiDefinition<unknown, unknown>, version: number): boolean {
  return api.flexibleMinVersion !== null && version >= api.flexibleMinVersion;
}

export function requestHeaderVersion(api: ApiDefinition<unknown, unknown>, version: number): number {
  return isFlexible(api, version) ? 2 : 1;
}

export function responseHeaderVersion(api: ApiDefinition<unknown, unknown>, version: number): number {
  if (api.apiKey === Apis.ApiVersions.apiKey) return 0;
  return isFlexible(api, version) ? 1 : 0;
}

/** Encodes a whole request frame (size, header, body) as chunks for a vectored write. */
export function encodeRequestFrame<Request, Response>(
  api: ApiDefinition<Request, Response>,
  version: number,
  correlationId: number,
  clientId: string | null,
  body: Input<Request>,
): Buffer[] {
  const writer = new Writer(512);
  const size = writer.reserve(4);
  encodeRequestHeader(writer, requestHeaderVersion(api as ApiDefinition<unknown, unknown>, version), {
    requestApiKey: api.apiKey,
    requestApiVersion: version,
    correlationId,
    clientId,
  });
  api.encodeRequest(writer, version, body);
  size.buffer.writeInt32BE(writer.length - 4, size.offset);
  return writer.toChunks();
}

/** Encodes a whole response frame (size, header, body) as chunks for a vectored write. */
export function encodeResponseFrame<Request, Response>(
  api: ApiDefinition<Request, Response>,
  version: number,
  correlationId: number,
  body: Input<Response>,
): Buffer[] {
  const writer = new Writer(512);
  const size = writer.reserve(4);
  encodeResponseHeader(writer, responseHeaderVersion(api as ApiDefinition<unknown, unknown>, version), {
    correlationId,
  });
  api.encodeResponse(writer, version, body);
  size.buffer.writeInt32BE(writer.length - 4, size.offset);
  return writer.toChunks();
}

/** The first 8 bytes of every request header, readable whatever the API and version. */
export interface RequestPreamble {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
}

/** Reads api key, version and correlation id from a request frame's payload (without the size). */
export function readRequestPreamble(payload: Buffer): RequestPreamble {
  if (payload.length < 8) throw new DecodeError(`request of ${payload.length} bytes has no header`, 0);
  return {
    apiKey: payload.readInt16BE(0),
    apiVersion: payload.readInt16BE(2),
    correlationId: payload.readInt32BE(4),
  };
}

export interface DecodedRequest<Request = unknown> {
  readonly header: RequestHeader;
  readonly api: ApiDefinition<Request, unknown>;
  readonly body: Request;
}

/**
 * Decodes a request frame's payload (without the size prefix). The caller has checked that the API key and
 * version are supported; the body must use every byte of the payload.
 */
export function decodeRequestFrame(payload: Buffer): DecodedRequest {
  const { apiKey, apiVersion } = readRequestPreamble(payload);
  const api = apiByKey.get(apiKey);
  if (!api) throw new DecodeError(`unknown API key ${apiKey}`, 0);
  if (apiVersion < api.minVersion || apiVersion > api.maxVersion) {
    throw new DecodeError(`${api.name} has no version ${apiVersion}`, 2);
  }
  const reader = new Reader(payload);
  const header = decodeRequestHeader(reader, requestHeaderVersion(api, apiVersion));
  const body = api.decodeRequest(reader, apiVersion);
  if (reader.remaining !== 0) {
    throw new DecodeError(
      `${reader.remaining} bytes left after ${api.name} v${apiVersion} request`,
      reader.offset,
    );
  }
  return { header, api, body };
}

/** Decodes a response frame's payload (without the size prefix) for a request of `api` at `version`. */
export function decodeResponseFrame<Request, Response>(
  api: ApiDefinition<Request, Response>,
  version: number,
  payload: Buffer,
): { correlationId: number; body: Response } {
  const reader = new Reader(payload);
  const header = decodeResponseHeader(
    reader,
    responseHeaderVersion(api as ApiDefinition<unknown, unknown>, version),
  );
  const body = api.decodeResponse(reader, version);
  return { correlationId: header.correlationId, body };
}
