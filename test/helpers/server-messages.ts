// Builds server-to-client data messages for tests.
import { MainMsg } from '../../src/protocol/channels/main/main-messages.ts';
import { WireWriter } from '../../src/protocol/wire/writer.ts';

export function miniMessage(type: number, body: Uint8Array = new Uint8Array(0)): Uint8Array {
  return new WireWriter(6 + body.byteLength).u16(type).u32(body.byteLength).bytes(body).finish();
}

export function fullMessage(serial: bigint, type: number, body: Uint8Array, subList = 0): Uint8Array {
  return new WireWriter().u64(serial).u16(type).u32(body.byteLength).u32(subList).bytes(body).finish();
}

/** MAIN_INIT with this session id and display hint (server mouse mode, no agent). */
export function mainInit(sessionId: number, displays: number): Uint8Array {
  return miniMessage(MainMsg.INIT, new WireWriter().u32(sessionId).u32(displays).u32(1).u32(1).u32(0).u32(10).u32(0).u32(0).finish());
}

/** CHANNELS_LIST of these [type, id] pairs. */
export function channelsList(list: readonly (readonly [number, number])[]): Uint8Array {
  const w = new WireWriter().u32(list.length);
  for (const [t, i] of list) w.u8(t).u8(i);
  return miniMessage(MainMsg.CHANNELS_LIST, w.finish());
}

/** Splits what the client wrote (mini headers) into messages. */
export function parseClientMiniMessages(bytes: Uint8Array): { type: number; body: Uint8Array }[] {
  const out: { type: number; body: Uint8Array }[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let o = 0;
  while (o + 6 <= bytes.byteLength) {
    const type = view.getUint16(o, true);
    const size = view.getUint32(o + 2, true);
    out.push({ type, body: bytes.subarray(o + 6, o + 6 + size) });
    o += 6 + size;
  }
  return out;
}
