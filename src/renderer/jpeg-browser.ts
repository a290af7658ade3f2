// JPEG images decoded by the browser's own decoder (createImageBitmap), behind src/protocol's
// JpegDecoder interface; decodeJpegImage has already checked the frame header against the image.
import type { Pixels } from '../protocol/pixels/pixels.ts';
import type { JpegDecoder } from '../protocol/codecs/jpeg.ts';
import type { ExpectedSize } from '../protocol/codecs/lz.ts';

export const browserJpegDecoder: JpegDecoder = {
  async decode(jpeg: Uint8Array, expected: ExpectedSize): Promise<Pixels> {
    const bitmap = await createImageBitmap(new Blob([jpeg as Uint8Array<ArrayBuffer>], { type: 'image/jpeg' }), {
      colorSpaceConversion: 'none',
      premultiplyAlpha: 'none',
    });
    try {
      if (bitmap.width !== expected.width || bitmap.height !== expected.height) {
        throw new Error(`the browser decoded ${bitmap.width}×${bitmap.height}, not ${expected.width}×${expected.height}`);
      }
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      const ctx = canvas.getContext('2d', { willReadFrequently: true });
      if (!ctx) throw new Error('no 2D context in this worker');
      ctx.drawImage(bitmap, 0, 0);
      const rgba = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
      const count = bitmap.width * bitmap.height;
      const words = new Uint32Array(count);
      for (let i = 0, s = 0; i < count; i++, s += 4) words[i] = (rgba[s] << 16) | (rgba[s + 1] << 8) | rgba[s + 2];
      return { width: bitmap.width, height: bitmap.height, data: words, hasAlpha: false };
    } finally {
      bitmap.close();
    }
  },
};
