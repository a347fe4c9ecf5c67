/**
 * UUIDs (topic ids) are 16 bytes on the wire; Sluice represents them as the canonical lower-case string
 * `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`. The all-zero UUID means "no id" in Kafka's protocol.
 */
export const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}

/** Reads 16 bytes at `offset` as a UUID string. The caller checks the bytes are there. */
export function uuidFromBytes(buffer: Uint8Array, offset = 0): string {
  let text = '';
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) text += '-';
    text += HEX[buffer[offset + i]];
  }
  return text;
}

/** Writes a UUID string as 16 bytes at `offset`. Throws a TypeError for anything but a UUID string. */
export function uuidToBytes(value: string, target: Uint8Array, offset = 0): void {
  if (!UUID_PATTERN.test(value)) throw new TypeError(`not a UUID: ${JSON.stringify(value)}`);
  const hex = value.replaceAll('-', '');
  for (let i = 0; i < 16; i++) target[offset + i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
}
