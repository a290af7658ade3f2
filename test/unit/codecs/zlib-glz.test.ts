import { deflateSync, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { GlzWindow } from '../../../src/protocol/codecs/glz-window.ts';
import { decodeZlibGlz, type Inflater } from '../../../src/protocol/codecs/zlib-glz.ts';
import { ProtocolError } from '../../../src/protocol/wire/errors.ts';
import { bgr, GlzWriter, LzType } from './lz-streams.ts';

const nodeInflater: Inflater = {
  inflate: (data, expectedSize) => new Uint8Array(inflateSync(data, { maxOutputLength: expectedSize })),
};

const glz = new GlzWriter(LzType.RGB32, 3, 1, true, 0n, 0).literals([bgr(0x010203)]).match(2, 1, 0, 0).build();

describe('ZLIB_GLZ_RGB', () => {
  it('inflates with the injected inflater and decodes the GLZ inside into the window', () => {
    const window = new GlzWindow();
    const p = decodeZlibGlz({ glzDataSize: glz.length, data: deflateSync(glz) }, nodeInflater, window, { width: 3, height: 1 });
    if (p instanceof Promise) throw new Error('expected a synchronous decode');
    expect(Array.from(p.data)).toEqual([0x010203, 0x010203, 0x010203]);
    expect(window.has(0n)).toBe(true);
  });

  it('checks the declared size before inflating, and the inflated size after', () => {
    let called = false;
    const spy: Inflater = {
      inflate: (d, n) => {
        called = true;
        return nodeInflater.inflate(d, n);
      },
    };
    const data = deflateSync(glz);
    expect(() => decodeZlibGlz({ glzDataSize: 1 << 30, data }, spy, new GlzWindow(), { width: 3, height: 1 })).toThrow(/at most/);
    expect(called).toBe(false);
    expect(() => decodeZlibGlz({ glzDataSize: glz.length + 5, data }, nodeInflater, new GlzWindow(), { width: 3, height: 1 })).toThrow(
      `inflates to ${glz.length} bytes, not the declared ${glz.length + 5}`,
    );
    expect(() => decodeZlibGlz({ glzDataSize: glz.length - 1, data }, nodeInflater, new GlzWindow(), { width: 3, height: 1 })).toThrow(
      ProtocolError,
    );
  });

  it('turns a corrupt zlib stream into a ProtocolError', () => {
    const data = deflateSync(glz);
    data[4] ^= 0xff;
    expect(() => decodeZlibGlz({ glzDataSize: glz.length, data }, nodeInflater, new GlzWindow(), { width: 3, height: 1 })).toThrow(/zlib/);
    expect(() => decodeZlibGlz({ glzDataSize: glz.length, data: data.subarray(0, 5) }, nodeInflater, new GlzWindow(), { width: 3, height: 1 })).toThrow(
      ProtocolError,
    );
  });
});
