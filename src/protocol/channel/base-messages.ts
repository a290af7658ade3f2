// Messages every channel shares (spice.proto `channel BaseChannel`).
import { WireWriter } from '../wire/writer.ts';

export const BaseMsg = {
  MIGRATE: 1,
  MIGRATE_DATA: 2,
  SET_ACK: 3,
  PING: 4,
  WAIT_FOR_CHANNELS: 5,
  DISCONNECTING: 6,
  NOTIFY: 7,
  LIST: 8,
} as const;

export const BaseMsgc = {
  ACK_SYNC: 1,
  ACK: 2,
  PONG: 3,
  MIGRATE_FLUSH_MARK: 4,
  MIGRATE_DATA: 5,
  DISCONNECTING: 6,
} as const;

export const MigrateFlags = { NEED_FLUSH: 1, NEED_DATA_TRANSFER: 2 } as const;

export const NotifySeverity = ['info', 'warn', 'error'] as const;

export function buildPong(id: number, timestamp: bigint): Uint8Array {
  return new WireWriter(12).u32(id).u64(timestamp).finish();
}

export function buildAckSync(generation: number): Uint8Array {
  return new WireWriter(4).u32(generation).finish();
}
