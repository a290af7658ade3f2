// The reconnect messages of the bridge: the 'reconnecting' status and DISPLAY_RESET, byte for byte,
// and their malformed forms rejected.
import { describe, expect, it } from 'vitest';
import { BridgeError } from '../../../src/protocol/bridge/bridge-fields.ts';
import { decodeHostMessage, encodeHostMessage } from '../../../src/protocol/bridge/host-codec.ts';

describe('reconnect bridge messages', () => {
  it('DISPLAY_RESET is the single byte 0x10', () => {
    expect(Array.from(encodeHostMessage({ kind: 'display-reset' }))).toEqual([0x10]);
    expect(decodeHostMessage(new Uint8Array([0x10]))).toEqual({ kind: 'display-reset' });
  });

  it('DISPLAY_RESET with anything after the kind is malformed', () => {
    expect(() => decodeHostMessage(new Uint8Array([0x10, 0]))).toThrow(BridgeError);
  });

  it('a reconnecting status: state 4, where, reason, attempt and delay as u32', () => {
    const status = { state: 'reconnecting', where: 'h:1', reason: 'gone', attempt: 3, delayMs: 4000 } as const;
    const bytes = encodeHostMessage({ kind: 'status', status });
    // STATUS, state 4, "h:1" and "gone" as u16-length strings, 3, 4000.
    expect(Array.from(bytes)).toEqual([0x02, 4, 3, 0, 0x68, 0x3a, 0x31, 4, 0, 0x67, 0x6f, 0x6e, 0x65, 3, 0, 0, 0, 0xa0, 0x0f, 0, 0]);
    expect(decodeHostMessage(bytes)).toEqual({ kind: 'status', status });
  });

  it('a reconnecting status cut short is malformed', () => {
    const bytes = encodeHostMessage({ kind: 'status', status: { state: 'reconnecting', where: 'h:1', reason: 'gone', attempt: 1, delayMs: 1000 } });
    expect(() => decodeHostMessage(bytes.subarray(0, bytes.length - 1))).toThrow(/delay/);
  });
});
