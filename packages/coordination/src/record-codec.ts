import { Packr } from 'msgpackr';

/**
 * msgpackr settings of the coordination files: plain maps (no shared record structures, so every frame
 * decodes on its own), and decoded byte strings copied out of the file buffer so that values kept in
 * memory do not pin the buffer the whole file was read into.
 */
const packr = new Packr({ useRecords: false, copyBuffers: true, mapsAsObjects: true });

export function packRecord(record: unknown): Buffer {
  return packr.pack(record);
}

export function unpackRecord(payload: Uint8Array): unknown {
  return packr.unpack(payload);
}
