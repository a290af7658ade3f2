// Port channel message parsing: INIT's name by pointer, EVENT, DATA, COMPRESSED_DATA (NONE and
// LZ4), and a clear ProtocolError for every malformed shape.
import { describe, expect, it } from 'vitest';
import { parsePortMessage, PortMsg } from '../../../../src/protocol/channels/port/port-messages.ts';
import { MAX_UNCOMPRESSED } from '../../../../src/protocol/channels/spicevmc/spicevmc-messages.ts';
import { WireWriter } from '../../../../src/protocol/wire/writer.ts';
import { expectProtocolError } from '../../../helpers/expect-protocol-error.ts';
import { lz4Body, portInitBody, uncompressedBody } from './port-bodies.ts';

const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('parsePortMessage', () => {
  it('reads PORT_INIT: the name by its pointer, and opened', () => {
    expect(parsePortMessage(PortMsg.INIT, portInitBody('org.qemu.monitor.qmp.0', true))).toEqual({ kind: 'init', name: 'org.qemu.monitor.qmp.0', opened: true });
    expect(parsePortMessage(PortMsg.INIT, portInitBody('org.spice-space.webdav.0', false))).toEqual({ kind: 'init', name: 'org.spice-space.webdav.0', opened: false });
  });

  it('reads PORT_EVENT and DATA', () => {
    expect(parsePortMessage(PortMsg.EVENT, Uint8Array.of(1))).toEqual({ kind: 'event', event: 1 });
    const m = parsePortMessage(PortMsg.DATA, new TextEncoder().encode('{"QMP":{}}'));
    expect(m.kind === 'data' && text(m.payload)).toBe('{"QMP":{}}');
  });

  it('reads COMPRESSED_DATA uncompressed and LZ4 (with a back reference)', () => {
    const none = parsePortMessage(PortMsg.COMPRESSED_DATA, uncompressedBody(new TextEncoder().encode('plain')));
    expect(none.kind === 'data' && text(none.payload)).toBe('plain');
    const { body, text: expected } = lz4Body('abc', 4, 'xyz');
    const lz4 = parsePortMessage(PortMsg.COMPRESSED_DATA, body);
    expect(lz4.kind === 'data' && text(lz4.payload)).toBe(expected);
    expect(expected).toBe('abcabcabcabcabcxyz');
  });

  it('refuses every malformed body with a ProtocolError that names it', () => {
    const init = (size: number, ptr: number, tail: number[]) => new WireWriter().u32(size).u32(ptr).u8(0).bytes(Uint8Array.from(tail)).finish();
    expectProtocolError(() => parsePortMessage(PortMsg.INIT, new Uint8Array(5)), /PORT_INIT/);
    expectProtocolError(() => parsePortMessage(PortMsg.INIT, init(0, 9, [])), /port name of 0 bytes/);
    expectProtocolError(() => parsePortMessage(PortMsg.INIT, init(4, 9, [0x61, 0x62, 0])), /outside the 12-byte message/);
    expectProtocolError(() => parsePortMessage(PortMsg.INIT, init(3, 0xffffffff, [0x61, 0x62, 0])), /outside/);
    expectProtocolError(() => parsePortMessage(PortMsg.INIT, init(3, 9, [0x61, 0x62, 0x63])), /does not end in NUL/);
    expectProtocolError(() => parsePortMessage(PortMsg.INIT, init(3, 9, [0x61, 0x0a, 0])), /byte 0x0a/);
    expectProtocolError(() => parsePortMessage(PortMsg.INIT, init(1, 9, [0])), /empty/);
    expectProtocolError(() => parsePortMessage(PortMsg.INIT, init(300, 9, Array(300).fill(0x61))), /300 bytes/);
    expectProtocolError(() => parsePortMessage(PortMsg.EVENT, new Uint8Array(0)), /PORT_EVENT/);
    expectProtocolError(() => parsePortMessage(PortMsg.COMPRESSED_DATA, Uint8Array.of(7, 1, 2)), /compression type 7/);
    expectProtocolError(() => parsePortMessage(PortMsg.COMPRESSED_DATA, new WireWriter().u8(1).u32(MAX_UNCOMPRESSED + 1).u8(0).finish()), /uncompressed/);
    expectProtocolError(() => parsePortMessage(PortMsg.COMPRESSED_DATA, new WireWriter().u8(1).u32(0).finish()), /declares 0 uncompressed bytes/);
    // A block that is cut, or that decodes to less or more than declared.
    const { body } = lz4Body('abc', 4, 'xyz');
    expectProtocolError(() => parsePortMessage(PortMsg.COMPRESSED_DATA, body.subarray(0, body.byteLength - 2)), /LZ4 block is corrupt|decodes to \d+ bytes but declares/);
    const short = body.slice();
    new DataView(short.buffer).setUint32(1, 30, true);
    expectProtocolError(() => parsePortMessage(PortMsg.COMPRESSED_DATA, short), /decodes to 18 bytes but declares 30/);
    const long = body.slice();
    new DataView(long.buffer).setUint32(1, 10, true);
    expectProtocolError(() => parsePortMessage(PortMsg.COMPRESSED_DATA, long), /LZ4 block is corrupt/);
    expectProtocolError(() => parsePortMessage(PortMsg.COMPRESSED_DATA, new WireWriter().u8(1).u32(4).u8(0x00).u16(9).finish()), /LZ4 block is corrupt/);
    expectProtocolError(() => parsePortMessage(150, new Uint8Array(0)), /unknown port channel message 150/);
  });
});
