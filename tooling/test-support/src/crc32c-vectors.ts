/** The iSCSI SCSI Read (10) command PDU of RFC 3720, appendix B.4. */
const ISCSI_READ_COMMAND_PDU = Buffer.from(
  '01c00000000000000000000000000000' +
    '14000000000004000000001400000018' +
    '28000000000000000200000000000000',
  'hex',
);

export interface Crc32cVector {
  readonly name: string;
  readonly bytes: Buffer;
  readonly crc: number;
}

/** Published CRC-32C values: the catalogue check value, and RFC 3720 appendix B.4. */
export const CRC32C_VECTORS: readonly Crc32cVector[] = [
  { name: '"123456789" (check value)', bytes: Buffer.from('123456789'), crc: 0xe3069283 },
  { name: '32 bytes of zeros', bytes: Buffer.alloc(32), crc: 0x8a9136aa },
  { name: '32 bytes of 0xff', bytes: Buffer.alloc(32, 0xff), crc: 0x62a8ab43 },
  {
    name: '32 incrementing bytes',
    bytes: Buffer.from(Array.from({ length: 32 }, (_, i) => i)),
    crc: 0x46dd794e,
  },
  {
    name: '32 decrementing bytes',
    bytes: Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i)),
    crc: 0x113fdb5c,
  },
  { name: 'an iSCSI read command PDU', bytes: ISCSI_READ_COMMAND_PDU, crc: 0xd9963a56 },
  { name: 'no bytes', bytes: Buffer.alloc(0), crc: 0 },
];
