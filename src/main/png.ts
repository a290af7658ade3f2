// PNG output of a surface. Written out here rather than through pngjs because the screenshot is on
// the capture hot path: one pass turns SPICE's 0xAARRGGBB words into filtered RGB scanlines, and
// node:zlib does the deflate and the CRCs.
import { crc32, deflateSync } from 'node:zlib';
import type { SurfaceSnapshot } from '../protocol/channels/display/display-pipeline.ts';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.allocUnsafe(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** RGB scanlines, each preceded by filter type 0 (none). */
function scanlines(surface: SurfaceSnapshot): Buffer {
  const { width, height, data } = surface;
  const rowBytes = 1 + width * 3;
  const out = Buffer.allocUnsafe(rowBytes * height);
  for (let y = 0; y < height; y++) {
    let o = y * rowBytes;
    out[o++] = 0;
    for (let i = y * width, end = i + width; i < end; i++) {
      const p = data[i];
      out[o] = (p >>> 16) & 0xff;
      out[o + 1] = (p >>> 8) & 0xff;
      out[o + 2] = p & 0xff;
      o += 3;
    }
  }
  return out;
}

export function encodeSurfacePng(surface: SurfaceSnapshot): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(surface.width, 0);
  ihdr.writeUInt32BE(surface.height, 4);
  ihdr[8] = 8; // bits per sample
  ihdr[9] = 2; // colour type: RGB
  // Compression 0, filter method 0, no interlace.
  const idat = deflateSync(scanlines(surface), { level: 1 });
  return Buffer.concat([SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]);
}
