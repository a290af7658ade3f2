import { describe, expect, it } from 'vitest';
import { HostKind } from '../../../src/protocol/bridge/kinds.ts';
import { decodeHostPacket, encodeHostMessage, encodeHostPacket, HostPacketBuilder } from '../../../src/protocol/bridge/host-codec.ts';

describe('HostPacketBuilder', () => {
  it('writes a display body with its header and length in the documented layout', () => {
    const builder = new HostPacketBuilder();
    builder.addBody('display', 2, 0x0130, 0x0102030405060708n, new Uint8Array([9, 8, 7]));
    const packet = builder.take();
    expect(packet && Array.from(packet)).toEqual([
      15, 0, 0, 0, // length: 12-byte header + 3-byte body
      HostKind.DISPLAY, 2, 0x30, 0x01, 8, 7, 6, 5, 4, 3, 2, 1,
      9, 8, 7,
    ]);
  });

  it('gives the bytes of encodeHostPacket over encodeHostMessage for a mix of encoded messages and referenced bodies', () => {
    const hello = encodeHostMessage({ kind: 'hello', version: 4 });
    const status = encodeHostMessage({ kind: 'status', status: { state: 'closed', reason: 'bye' } });
    const bodies = [new Uint8Array([1, 2, 3, 4, 5]), new Uint8Array(0), new Uint8Array(300).fill(0xab)];
    const builder = new HostPacketBuilder();
    builder.addEncoded(hello);
    builder.addBody('display', 0, 302, 123456789012n, bodies[0]);
    builder.addBody('cursor', 1, 101, 1n, bodies[1]);
    builder.addEncoded(status);
    builder.addBody('display', 3, 0xffff, 0xffffffffffffffffn, bodies[2]);
    const expected = encodeHostPacket([
      hello,
      encodeHostMessage({ kind: 'display', channelId: 0, type: 302, serial: 123456789012n, body: bodies[0] }),
      encodeHostMessage({ kind: 'cursor', channelId: 1, type: 101, serial: 1n, body: bodies[1] }),
      status,
      encodeHostMessage({ kind: 'display', channelId: 3, type: 0xffff, serial: 0xffffffffffffffffn, body: bodies[2] }),
    ]);
    expect(builder.byteLength).toBe(expected.byteLength);
    expect(builder.messageCount).toBe(5);
    const packet = builder.take();
    expect(packet).not.toBeNull();
    expect(Buffer.from(packet!).equals(Buffer.from(expected))).toBe(true);
    expect(decodeHostPacket(packet!).map((m) => m.kind)).toEqual(['hello', 'display', 'cursor', 'status', 'display']);
  });

  it('batches sound packets by reference as encodeAudioHostMessage would write them, and a cut batch is refused', () => {
    const opus = [new Uint8Array(120).fill(0x11), new Uint8Array(97).fill(0x22), new Uint8Array(1)];
    const builder = new HostPacketBuilder();
    opus.forEach((body, i) => builder.addBody('playback', 0, 101, BigInt(1000 + i), body));
    const expected = encodeHostPacket(opus.map((body, i) => encodeHostMessage({ kind: 'playback', channelId: 0, type: 101, serial: BigInt(1000 + i), body })));
    const packet = builder.take()!;
    expect(Buffer.from(packet).equals(Buffer.from(expected))).toBe(true);
    const decoded = decodeHostPacket(packet);
    expect(decoded.map((m) => (m.kind === 'playback' ? [m.serial, m.body.byteLength] : m.kind))).toEqual([
      [1000n, 120],
      [1001n, 97],
      [1002n, 1],
    ]);
    for (let n = 1; n < packet.byteLength; n++) {
      if (n === 4 + 12 + 120 || n === 4 + 12 + 120 + 4 + 12 + 97) continue; // whole messages: a shorter, valid batch
      expect(() => decodeHostPacket(packet.subarray(0, n)), `cut at ${n}`).toThrow(/./);
    }
  });

  it('starts empty after take, and gives null when nothing was added', () => {
    const builder = new HostPacketBuilder();
    expect(builder.take()).toBeNull();
    builder.addEncoded(new Uint8Array([HostKind.DISPLAY_RESET]));
    expect(builder.take()?.byteLength).toBe(5);
    expect(builder.byteLength).toBe(0);
    expect(builder.take()).toBeNull();
    builder.addBody('display', 0, 1, 1n, new Uint8Array([7]));
    expect(Array.from(builder.take()!)).toEqual([13, 0, 0, 0, HostKind.DISPLAY, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 7]);
  });

  it('writes into the buffer its allocator gives, at that view’s offset', () => {
    const backing = new Uint8Array(64).fill(0xee);
    const builder = new HostPacketBuilder((n) => backing.subarray(8, 8 + n));
    builder.addBody('display', 1, 2, 3n, new Uint8Array([4]));
    const packet = builder.take()!;
    expect(packet.byteOffset).toBe(8);
    expect(Array.from(backing.subarray(0, 8))).toEqual(new Array(8).fill(0xee));
    expect(Array.from(packet)).toEqual([13, 0, 0, 0, HostKind.DISPLAY, 1, 2, 0, 3, 0, 0, 0, 0, 0, 0, 0, 4]);
    expect(backing[8 + 17]).toBe(0xee);
  });
});
