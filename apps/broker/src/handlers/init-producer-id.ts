/**
 * InitProducerId, versions 0-1: a new producer id (epoch 0) for an idempotent producer, from a block of ids
 * reserved in the coordination store. Transactional ids need a transaction coordinator, which Sluice does
 * not have yet: they get INVALID_REQUEST.
 */
import { Apis, type InitProducerIdRequest, type InitProducerIdResponse } from '@sluice/protocol';
import { defineHandler, errorCodeOf } from './handler.js';

const ERROR_INVALID_REQUEST = 42;

export const initProducerIdHandler = defineHandler<InitProducerIdRequest, InitProducerIdResponse>({
  api: Apis.InitProducerId,
  minVersion: 0,
  maxVersion: 1,
  async handle(broker, context, request) {
    if (request.transactionalId !== null) {
      context.logger.info({ transactionalId: request.transactionalId }, 'transactional producer refused');
      context.recordError(ERROR_INVALID_REQUEST);
      return { throttleTimeMs: 0, errorCode: ERROR_INVALID_REQUEST, producerId: -1n, producerEpoch: -1 };
    }
    try {
      return {
        throttleTimeMs: 0,
        errorCode: 0,
        producerId: await broker.allocateProducerId(),
        producerEpoch: 0,
      };
    } catch (error) {
      return {
        throttleTimeMs: 0,
        errorCode: errorCodeOf(error, context),
        producerId: -1n,
        producerEpoch: -1,
      };
    }
  },
});
