// IPC validation in main: what a page may send, and the malformed, oversized and hostile shapes
// that must be rejected without throwing.
import { describe, expect, it } from 'vitest';
import { MAX_SCREENSHOT_PIXELS, MAX_SCREENSHOT_SIDE, validateToMain } from '../../../../src/main/electron/ipc.ts';
import { ToMain } from '../../../../src/main/electron/ipc-channels.ts';

const pixels = (w: number, h: number): Uint8Array => new Uint8Array(w * h * 4);
const shot = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ id: 7, width: 2, height: 3, rgba: pixels(2, 3), ...extra });

function rejected(channel: unknown, args: unknown[]): string {
  const v = validateToMain(channel, args);
  if (v.ok) throw new Error(`accepted ${JSON.stringify(v.message.channel)}`);
  return v.why;
}

describe('validateToMain', () => {
  it('accepts a bridge request with no arguments', () => {
    expect(validateToMain(ToMain.openBridge, [])).toEqual({ ok: true, message: { channel: 'spicedesk:open-bridge', payload: {} } });
    expect(validateToMain(ToMain.openInputPort, [])).toEqual({ ok: true, message: { channel: 'spicedesk:open-input-port', payload: {} } });
  });

  it('accepts a screenshot reply with exactly width*height*4 bytes', () => {
    const rgba = pixels(2, 3);
    rgba[5] = 99;
    const v = validateToMain(ToMain.screenshot, [{ id: 7, width: 2, height: 3, rgba }]);
    expect(v).toEqual({ ok: true, message: { channel: 'spicedesk:screenshot', payload: { id: 7, width: 2, height: 3, rgba } } });
  });

  it('accepts a screenshot error reply', () => {
    const v = validateToMain(ToMain.screenshot, [{ id: 3, error: 'nothing drawn' }]);
    expect(v).toEqual({ ok: true, message: { channel: 'spicedesk:screenshot', payload: { id: 3, error: 'nothing drawn' } } });
  });

  it('rejects unknown channels, non-string channels and inherited names', () => {
    expect(rejected('spicedesk:exec', [])).toMatch(/unknown channel "spicedesk:exec"/);
    expect(rejected(42, [])).toMatch(/unknown channel number/);
    expect(rejected('toString', [])).toMatch(/unknown channel/);
    expect(rejected('__proto__', [])).toMatch(/unknown channel/);
  });

  it('rejects arguments where none are taken, and a missing or second argument', () => {
    expect(rejected(ToMain.openBridge, [{}])).toMatch(/takes no arguments/);
    expect(rejected(ToMain.openInputPort, ['x'])).toMatch(/takes no arguments/);
    expect(rejected(ToMain.screenshot, [])).toMatch(/takes one argument/);
    expect(rejected(ToMain.screenshot, [shot(), shot()])).toMatch(/takes one argument/);
  });

  it('rejects wrong types', () => {
    expect(rejected(ToMain.screenshot, ['7'])).toMatch(/must be an object/);
    expect(rejected(ToMain.screenshot, [null])).toMatch(/must be an object/);
    expect(rejected(ToMain.screenshot, [[7, 2, 3]])).toMatch(/must be an object/);
    expect(rejected(ToMain.screenshot, [shot({ id: '7' })])).toMatch(/id must be a whole number/);
    expect(rejected(ToMain.screenshot, [shot({ id: 7.5 })])).toMatch(/id must be a whole number/);
    expect(rejected(ToMain.screenshot, [shot({ id: NaN })])).toMatch(/id must be a whole number/);
    expect(rejected(ToMain.screenshot, [shot({ id: 0 })])).toMatch(/id must be a whole number/);
    expect(rejected(ToMain.screenshot, [shot({ width: -2 })])).toMatch(/width must be a whole number/);
    expect(rejected(ToMain.screenshot, [shot({ height: Infinity })])).toMatch(/height must be a whole number/);
    expect(rejected(ToMain.screenshot, [shot({ rgba: Array.from(pixels(2, 3)) })])).toMatch(/rgba must be a Uint8Array/);
    expect(rejected(ToMain.screenshot, [shot({ rgba: new Uint16Array(12) })])).toMatch(/rgba must be a Uint8Array/);
    expect(rejected(ToMain.screenshot, [{ id: 1, error: 5 }])).toMatch(/error must be a string/);
  });

  it('rejects extra and missing fields', () => {
    expect(rejected(ToMain.screenshot, [shot({ path: '/etc/passwd' })])).toMatch(/unexpected field path/);
    expect(rejected(ToMain.screenshot, [{ id: 7, width: 2, height: 3 }])).toMatch(/lacks rgba/);
    expect(rejected(ToMain.screenshot, [{ id: 7, error: 'x', width: 2 }])).toMatch(/unexpected field width/);
    expect(rejected(ToMain.screenshot, [{ ...shot(), [Symbol('s')]: 1 }])).toMatch(/unexpected field Symbol\(s\)/);
  });

  it('rejects pixel buffers of the wrong size, and sizes beyond a screen', () => {
    expect(rejected(ToMain.screenshot, [shot({ rgba: pixels(2, 2) })])).toMatch(/rgba has 16 bytes, not 2x3x4/);
    expect(rejected(ToMain.screenshot, [shot({ width: MAX_SCREENSHOT_SIDE + 1, rgba: new Uint8Array(0) })])).toMatch(/width must be a whole number from 1 to 16384/);
    const side = MAX_SCREENSHOT_SIDE;
    expect(side * side).toBeGreaterThan(MAX_SCREENSHOT_PIXELS);
    // Refused on the numbers, before anything looks at (or allocates for) the bytes.
    expect(rejected(ToMain.screenshot, [shot({ width: side, height: side, rgba: new Uint8Array(0) })])).toMatch(/more than 67108864 pixels/);
  });

  it('rejects huge strings', () => {
    expect(rejected(ToMain.screenshot, [{ id: 1, error: 'x'.repeat(1001) }])).toMatch(/error is longer than 1000 characters/);
    const longKey = 'k'.repeat(100_000);
    const why = rejected(ToMain.screenshot, [{ ...shot(), [longKey]: 1 }]);
    expect(why.length).toBeLessThan(200);
  });

  it('rejects prototype pollution attempts and leaves Object.prototype alone', () => {
    // As JSON.parse and structured clone make them: "__proto__" as an own key.
    const polluted = JSON.parse('{"id":7,"width":2,"height":3,"rgba":0,"__proto__":{"polluted":true}}') as Record<string, unknown>;
    polluted.rgba = pixels(2, 3);
    expect(rejected(ToMain.screenshot, [polluted])).toMatch(/unexpected field __proto__/);
    expect(rejected(ToMain.screenshot, [{ ...shot(), constructor: { prototype: { polluted: true } } }])).toMatch(/unexpected field constructor/);
    // An object whose prototype carries the fields (nothing of its own) is not a plain object.
    expect(rejected(ToMain.screenshot, [Object.create(shot())])).toMatch(/plain object/);
    expect(rejected(ToMain.screenshot, [new (class Reply { id = 7; width = 2; height = 3; rgba = pixels(2, 3) })()])).toMatch(/plain object/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('does not run getters of the sender', () => {
    let read = false;
    const sneaky = shot();
    Object.defineProperty(sneaky, 'id', { enumerable: true, get: () => ((read = true), 7) });
    expect(rejected(ToMain.screenshot, [sneaky])).toMatch(/id must be a plain value/);
    expect(read).toBe(false);
  });

  it('accepts an object without a prototype (as some serializers make them)', () => {
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, shot());
    expect(validateToMain(ToMain.screenshot, [bare]).ok).toBe(true);
  });
});
