import type { KeyValue, WatchEvent } from './coordination-store.js';

/**
 * Copies handed across the store's boundary: the store never shares a value's bytes with a caller, so
 * neither can change what the other holds.
 */
export function copyKeyValue(kv: KeyValue): KeyValue {
  return {
    key: kv.key,
    value: new Uint8Array(kv.value),
    createRevision: kv.createRevision,
    modRevision: kv.modRevision,
    version: kv.version,
    lease: kv.lease,
  };
}

export function copyWatchEvent(event: WatchEvent): WatchEvent {
  if (event.type === 'delete') return { type: 'delete', kv: copyKeyValue(event.kv) };
  return {
    type: 'put',
    kv: copyKeyValue(event.kv),
    previous: event.previous === null ? null : copyKeyValue(event.previous),
  };
}
