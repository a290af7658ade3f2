// Parsing every cursor message, and bodies that lie: each must end in a ProtocolError naming the
// message and the offset, never a RangeError and never an allocation sized by the lie.
import { describe, expect, it } from 'vitest';
import { CursorFlags, CursorMsg, CursorType, parseCursorMessage } from '../../../../src/protocol/channels/cursor/cursor-messages.ts';
import { ProtocolError } from '../../../../src/protocol/wire/errors.ts';
import { bytes, initBody, invalOneBody, moveBody, setBody, trailBody, words } from './cursor-bodies.ts';

function errorOf(type: number, body: Uint8Array): ProtocolError {
  try {
    parseCursorMessage(type, body);
  } catch (e) {
    if (e instanceof ProtocolError) return e;
    throw new Error(`expected a ProtocolError, got ${String(e)}`, { cause: e });
  }
  throw new Error(`message ${type} of ${body.byteLength} bytes parsed without error`);
}

// INIT: position 0..3, trail 4..7, visible 8, flags 9..10, unique 11..18, type 19, width 20,
// height 22, hot 24 and 26, data from 28. SET: position 0..3, visible 4, flags 5, header 7, data 24.
const INIT_TYPE_AT = 19;
const INIT_WIDTH_AT = 20;
const INIT_DATA_AT = 28;
const SET_DATA_AT = 24;

const mono3x2 = bytes([0x20, 0xa0], [0x40, 0x80]);

describe('parseCursorMessage', () => {
  it('INIT with a cursor', () => {
    const msg = parseCursorMessage(
      CursorMsg.INIT,
      initBody({ x: -5, y: 700, trailLength: 3, trailFrequency: 9, visible: true, cursor: { flags: CursorFlags.CACHE_ME, unique: 0x1122334455667788n, type: CursorType.MONO, width: 3, height: 2, hotX: 1, hotY: 2, data: mono3x2 } }),
    );
    expect(msg).toMatchObject({ kind: 'init', x: -5, y: 700, trailLength: 3, trailFrequency: 9, visible: true });
    if (msg.kind !== 'init') throw new Error('not init');
    expect(msg.cursor.flags).toBe(CursorFlags.CACHE_ME);
    expect(msg.cursor.header).toEqual({ unique: 0x1122334455667788n, type: CursorType.MONO, width: 3, height: 2, hotX: 1, hotY: 2 });
    expect(Array.from(msg.cursor.data)).toEqual(Array.from(mono3x2));
  });

  it('INIT with no cursor (NONE) and invisible', () => {
    const msg = parseCursorMessage(CursorMsg.INIT, initBody({ visible: false, cursor: 'none' }));
    expect(msg).toMatchObject({ kind: 'init', visible: false, cursor: { flags: CursorFlags.NONE, header: null } });
  });

  it('SET naming a cached cursor carries no data and needs none', () => {
    const msg = parseCursorMessage(CursorMsg.SET, setBody({ x: 10, y: 20, cursor: { flags: CursorFlags.FROM_CACHE, unique: 42n, type: CursorType.ALPHA, width: 64, height: 64 } }));
    expect(msg).toMatchObject({ kind: 'set', x: 10, y: 20, visible: true, cursor: { flags: CursorFlags.FROM_CACHE, header: { unique: 42n } } });
    if (msg.kind !== 'set') throw new Error('not set');
    expect(msg.cursor.data.byteLength).toBe(0);
  });

  it('MOVE (signed), TRAIL, INVAL_ONE and the empty messages', () => {
    expect(parseCursorMessage(CursorMsg.MOVE, moveBody(-1, 32767))).toEqual({ kind: 'move', x: -1, y: 32767 });
    expect(parseCursorMessage(CursorMsg.TRAIL, trailBody(4, 60))).toEqual({ kind: 'trail', length: 4, frequency: 60 });
    expect(parseCursorMessage(CursorMsg.INVAL_ONE, invalOneBody(0xfedcba9876543210n))).toEqual({ kind: 'inval-one', id: 0xfedcba9876543210n });
    expect(parseCursorMessage(CursorMsg.RESET, new Uint8Array(0))).toEqual({ kind: 'reset' });
    expect(parseCursorMessage(CursorMsg.HIDE, new Uint8Array(0))).toEqual({ kind: 'hide' });
    expect(parseCursorMessage(CursorMsg.INVAL_ALL, new Uint8Array(0))).toEqual({ kind: 'inval-all' });
  });

  it('an unknown message number is an error', () => {
    expect(errorOf(140, new Uint8Array(4)).message).toMatch(/unknown cursor message 140/);
  });
});

describe('truncated bodies', () => {
  const cases: [string, number, Uint8Array][] = [
    ['INIT', CursorMsg.INIT, initBody({ cursor: { type: CursorType.MONO, width: 3, height: 2, data: mono3x2 } })],
    ['INIT', CursorMsg.INIT, initBody({ cursor: 'none' })],
    ['SET', CursorMsg.SET, setBody({ cursor: { type: CursorType.COLOR32, width: 2, height: 1, data: bytes(words(1, 2), [0]) } })],
    ['SET', CursorMsg.SET, setBody({ cursor: { flags: CursorFlags.FROM_CACHE, unique: 5n, type: CursorType.ALPHA, width: 1, height: 1 } })],
    ['MOVE', CursorMsg.MOVE, moveBody(1, 2)],
    ['TRAIL', CursorMsg.TRAIL, trailBody(1, 2)],
    ['INVAL_ONE', CursorMsg.INVAL_ONE, invalOneBody(7n)],
  ];
  for (const [name, type, full] of cases) {
    it(`${name} of ${full.byteLength} bytes cut at every shorter length`, () => {
      expect(() => parseCursorMessage(type, full)).not.toThrow();
      for (let len = 0; len < full.byteLength; len++) {
        const e = errorOf(type, full.slice(0, len));
        expect(e.message).toContain(`${name} (${type})`);
        expect(e.message).toContain('cursor channel');
        expect(e.offset).toBeLessThanOrEqual(full.byteLength);
        expect(e.kind).toBe('protocol');
      }
    });
  }
});

describe('lying cursors', () => {
  it('data shorter than the type and size need, pointing at the data', () => {
    const e = errorOf(CursorMsg.INIT, initBody({ cursor: { type: CursorType.ALPHA, width: 64, height: 64, data: new Uint8Array(16) } }));
    expect(e.message).toMatch(/ALPHA cursor 64x64 needs 16384 bytes of data but the message carries 16/);
    expect(e.offset).toBe(INIT_DATA_AT);
  });

  it('a width far beyond the limit, pointing at the width', () => {
    const e = errorOf(CursorMsg.INIT, initBody({ cursor: { type: CursorType.ALPHA, width: 65535, height: 65535, data: new Uint8Array(4) } }));
    expect(e.message).toMatch(/65535x65535, larger than the 1024x1024 accepted/);
    expect(e.offset).toBe(INIT_WIDTH_AT);
  });

  it('an unknown cursor type, pointing at the type', () => {
    const e = errorOf(CursorMsg.INIT, initBody({ cursor: { type: 7, width: 1, height: 1, data: new Uint8Array(64) } }));
    expect(e.message).toMatch(/unknown cursor type 7/);
    expect(e.offset).toBe(INIT_TYPE_AT);
  });

  it('a COLOR8 cursor missing part of its palette', () => {
    const e = errorOf(CursorMsg.SET, setBody({ cursor: { type: CursorType.COLOR8, width: 2, height: 2, data: new Uint8Array(4 + 16 * 4 + 2) } }));
    expect(e.message).toMatch(/SET \(103\)/);
    expect(e.message).toMatch(/COLOR8 cursor 2x2 needs 1030 bytes of data but the message carries 70/);
    expect(e.offset).toBe(SET_DATA_AT);
  });

  it('height one row too many for the data', () => {
    const e = errorOf(CursorMsg.SET, setBody({ cursor: { type: CursorType.MONO, width: 3, height: 3, data: mono3x2 } }));
    expect(e.message).toMatch(/MONO cursor 3x3 needs 6 bytes/);
  });
});
