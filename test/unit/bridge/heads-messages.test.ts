import { describe, expect, it } from 'vitest';
import { BRIDGE_MAGIC, BRIDGE_VERSION } from '../../../src/protocol/bridge/kinds.ts';
import { decodeHostMessage, encodeHostMessage } from '../../../src/protocol/bridge/host-codec.ts';
import { decodeUiMessage, encodeUiMessage } from '../../../src/protocol/bridge/ui-codec.ts';
import { headTokenFromHex, headTokenToHex } from '../../../src/protocol/bridge/heads-messages.ts';
import { WireWriter } from '../../../src/protocol/wire/writer.ts';

const token = Uint8Array.from({ length: 32 }, (_, i) => i * 7);

describe('heads bridge messages', () => {
  it('round-trips HEADS and HEAD_TOKEN', () => {
    const heads = { kind: 'heads' as const, maxHeads: 2, enabled: 3, joined: 2, heads: [{ head: 0, channelId: 0, x: 0, y: 0, width: 800, height: 600 }, { head: 1, channelId: 0, x: 800, y: 0, width: 640, height: 480 }] };
    expect(decodeHostMessage(encodeHostMessage(heads))).toEqual(heads);
    expect(decodeHostMessage(encodeHostMessage({ kind: 'head-token', token }))).toEqual({ kind: 'head-token', token });
    expect(encodeHostMessage(heads)[0]).toBe(0x20);
  });

  it('round-trips HEAD_JOIN and HEAD_ENABLE, in the heads range', () => {
    const join = { kind: 'head-join' as const, version: BRIDGE_VERSION, target: 0, head: 1, token };
    const bytes = encodeUiMessage(join);
    expect(bytes[0]).toBe(0xa0);
    expect(decodeUiMessage(bytes, BRIDGE_VERSION)).toEqual(join);
    expect(decodeUiMessage(encodeUiMessage({ kind: 'head-enable', head: 3, enabled: false }), BRIDGE_VERSION)).toEqual({ kind: 'head-enable', head: 3, enabled: false });
  });

  it('round-trips INPUT_JOIN, and refuses one with another magic, version or token size', () => {
    const join = { kind: 'input-join' as const, version: BRIDGE_VERSION, target: 2, token };
    const bytes = encodeUiMessage(join);
    expect(bytes[0]).toBe(0xa2);
    expect(decodeUiMessage(bytes, BRIDGE_VERSION)).toEqual(join);
    const raw = (magic = BRIDGE_MAGIC, version = BRIDGE_VERSION, tokenBytes = 32) => new WireWriter(64).u8(0xa2).u32(magic).u16(version).u16(0).bytes(new Uint8Array(tokenBytes)).finish();
    expect(() => decodeUiMessage(raw(0x12345678), BRIDGE_VERSION)).toThrow(/magic is 0x12345678/);
    expect(() => decodeUiMessage(raw(BRIDGE_MAGIC, BRIDGE_VERSION - 1), BRIDGE_VERSION)).toThrow(/reload the page/);
    expect(() => decodeUiMessage(raw(BRIDGE_MAGIC, BRIDGE_VERSION, 31), BRIDGE_VERSION)).toThrow(/token needs 1 bytes/);
    expect(() => decodeUiMessage(raw(BRIDGE_MAGIC, BRIDGE_VERSION, 33), BRIDGE_VERSION)).toThrow(/1 unexpected bytes/);
  });

  it('refuses malformed ones', () => {
    const join = (head: number, tokenBytes = 32, version = BRIDGE_VERSION) =>
      new WireWriter(64).u8(0xa0).u32(BRIDGE_MAGIC).u16(version).u16(0).u8(head).bytes(new Uint8Array(tokenBytes)).finish();
    expect(() => decodeUiMessage(join(0), BRIDGE_VERSION)).toThrow(/head is 0, outside 1\.\.3/);
    expect(() => decodeUiMessage(join(4), BRIDGE_VERSION)).toThrow(/outside 1\.\.3/);
    expect(() => decodeUiMessage(join(1, 31), BRIDGE_VERSION)).toThrow(/token needs 1 bytes/);
    expect(() => decodeUiMessage(join(1, 33), BRIDGE_VERSION)).toThrow(/1 unexpected bytes/);
    expect(() => decodeUiMessage(join(1, 32, BRIDGE_VERSION + 1), BRIDGE_VERSION)).toThrow(/reload the page/);
    expect(() => decodeUiMessage(Uint8Array.of(0xa1, 1, 2), BRIDGE_VERSION)).toThrow(/enabled is 2/);
    expect(() => decodeHostMessage(Uint8Array.of(0x20, 5, 1, 0, 0))).toThrow(/max heads is 5/);
    expect(() => decodeHostMessage(Uint8Array.of(0x20, 2, 0x10, 0, 0))).toThrow(/enabled heads 0x10/);
    expect(() => decodeHostMessage(Uint8Array.of(0x20, 2, 1, 0, 1))).toThrow(/needs 1 bytes/);
  });

  it('writes the token as 64 hex digits and reads only that back', () => {
    const hex = headTokenToHex(token);
    expect(hex).toMatch(/^[0-9a-f]{64}$/);
    expect(headTokenFromHex(hex)).toEqual(token);
    expect(headTokenFromHex(hex.slice(1))).toBeNull();
    expect(headTokenFromHex(`${hex.slice(1)}g`)).toBeNull();
  });
});
