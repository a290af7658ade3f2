// zlib for ZLIB_GLZ_RGB images in the page's decode worker. The browser's own zlib
// (DecompressionStream) is asynchronous and the image pipeline needs the pixels in order, so this
// uses fflate's synchronous streaming inflater. The input goes in small pieces and the output is
// checked after each, so a zlib bomb stops a few MiB past the declared size instead of filling
// memory (deflate expands at most about 1,032 times).
import { Unzlib } from 'fflate';
import type { Inflater } from '../protocol/codecs/zlib-glz.ts';

const INPUT_PIECE = 4096;

export const browserInflater: Inflater = {
  inflate(data, expectedSize) {
    const out = new Uint8Array(expectedSize);
    let length = 0;
    let ended = false;
    const stream = new Unzlib((chunk, final) => {
      if (length + chunk.length > expectedSize) throw new Error(`more than ${expectedSize} bytes`);
      out.set(chunk, length);
      length += chunk.length;
      if (final) ended = true;
    });
    for (let at = 0; at < data.length; at += INPUT_PIECE) {
      const end = Math.min(data.length, at + INPUT_PIECE);
      stream.push(data.subarray(at, end), end === data.length);
    }
    if (data.length === 0) stream.push(data, true);
    if (!ended) throw new Error('the stream ends early');
    return out.subarray(0, length);
  },
};
