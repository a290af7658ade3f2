import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../src/protocol/wire/errors.ts';
import { WireReader } from '../../../src/protocol/wire/reader.ts';
import { WireWriter } from '../../../src/protocol/wire/writer.ts';

describe('WireReader', () => {
  it('reads little-endian integers of every width', () => {
    const bytes = new WireWriter().u8(0xfe).u16(0x1234).u32(0xdeadbeef).i32(-2).u64(0x0102030405060708n).i16(-300).finish();
    expect(Array.from(bytes.subarray(0, 3))).toEqual([0xfe, 0x34, 0x12]);
    const r = new WireReader(bytes);
    expect(r.u8()).toBe(0xfe);
    expect(r.u16()).toBe(0x1234);
    expect(r.u32()).toBe(0xdeadbeef);
    expect(r.i32()).toBe(-2);
    expect(r.u64()).toBe(0x0102030405060708n);
    expect(r.i16()).toBe(-300);
    expect(r.remaining).toBe(0);
  });

  it('throws a ProtocolError naming channel, message and offset on a short read', () => {
    const r = new WireReader(new Uint8Array(3), 0, { channel: 'display', messageType: 302, messageName: 'DRAW_FILL' });
    r.u16();
    try {
      r.u32();
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ProtocolError);
      const pe = e as ProtocolError;
      expect(pe.offset).toBe(2);
      expect(pe.kind).toBe('protocol');
      expect(pe.message).toContain('display channel');
      expect(pe.message).toContain('DRAW_FILL (302)');
      expect(pe.message).toContain('offset 2');
    }
  });

  it('rejects pointers outside the message', () => {
    const r = new WireReader(new Uint8Array(8));
    expect(() => r.at(9)).toThrow(ProtocolError);
    expect(() => r.at(-1)).toThrow(ProtocolError);
    expect(r.at(8).remaining).toBe(0);
  });

  it('checks a lying count against the remaining bytes before anything is allocated', () => {
    const r = new WireReader(new WireWriter().u32(0xffffffff).u32(1).finish());
    const n = r.u32();
    expect(() => r.count(n, 16, 'clip rects')).toThrow(/clip rects claims 4294967295 entries/);
    expect(r.count(1, 4, 'words')).toBe(1);
  });

  it('take() returns a view, not a copy, and text() stops at NUL', () => {
    const bytes = new Uint8Array([104, 105, 0, 120, 7]);
    const r = new WireReader(bytes);
    expect(r.text(4)).toBe('hi');
    const v = r.take(1);
    bytes[4] = 9;
    expect(v[0]).toBe(9);
  });
});

describe('printableText', () => {
  it('replaces C0, DEL, C1 and bidirectional controls, and keeps other text', () => {
    const bytes = new TextEncoder().encode('a\tb\u001bc\u007fd\u009be\u2066f\u2069 Grüße 名前\0junk');
    expect(new WireReader(bytes).printableText(bytes.byteLength)).toBe('a\ufffdb\ufffdc\ufffdd\ufffde\ufffdf\ufffd Grüße 名前');
  });
});

describe('WireWriter', () => {
  it('grows and patches', () => {
    const w = new WireWriter(1);
    w.u32(0);
    for (let i = 0; i < 100; i++) w.u8(i);
    w.patchU32(0, 100);
    const out = w.finish();
    expect(out.byteLength).toBe(104);
    expect(new WireReader(out).u32()).toBe(100);
    expect(out[103]).toBe(99);
  });
});
