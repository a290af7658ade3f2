// zlib for ZLIB_GLZ_RGB images, from node:zlib (src/protocol has no zlib of its own).
import { inflateSync } from 'node:zlib';
import type { Inflater } from '../../protocol/codecs/zlib-glz.ts';

export const nodeInflater: Inflater = {
  inflate(data, expectedSize) {
    // maxOutputLength stops a zlib bomb at the declared size instead of after it.
    const out = inflateSync(data, { maxOutputLength: Math.max(1, expectedSize) });
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  },
};
