// Planar YUV pictures (what libvpx decodes VP8 and VP9 to) as 0xAARRGGBB words. spice-server's
// GStreamer encoders get BGRx from the screen and videoconvert turns it into YUV with BT.601
// coefficients and limited range (Y 16-235, U and V 16-240) at these sizes, so that is the way back.
import type { Pixels } from '../../protocol/pixels/pixels.ts';
import { SpiceError } from '../../protocol/wire/errors.ts';

export interface PlanarYuv {
  /** The three planes (Y, U, V) somewhere in one buffer. */
  data: Uint8Array;
  /** Per plane: where it starts in `data`, and the bytes from one row to the next. */
  layout: readonly { offset: number; stride: number }[];
  width: number;
  height: number;
  /** log2 of the chroma subsampling: 1,1 for 4:2:0; 1,0 for 4:2:2; 0,0 for 4:4:4. */
  chromaShiftX: number;
  chromaShiftY: number;
}

// BT.601 limited range in 8.8 fixed point: R = 1.164(Y-16) + 1.596(V-128),
// G = 1.164(Y-16) - 0.391(U-128) - 0.813(V-128), B = 1.164(Y-16) + 2.018(U-128).
const Y_TERM = new Int32Array(256);
const R_FROM_V = new Int32Array(256);
const G_FROM_U = new Int32Array(256);
const G_FROM_V = new Int32Array(256);
const B_FROM_U = new Int32Array(256);
for (let i = 0; i < 256; i++) {
  Y_TERM[i] = 298 * (i - 16) + 128;
  R_FROM_V[i] = 409 * (i - 128);
  G_FROM_U[i] = -100 * (i - 128);
  G_FROM_V[i] = -208 * (i - 128);
  B_FROM_U[i] = 516 * (i - 128);
}

/** 0..255 from a value in 8.8 fixed point that may have left that range. */
const CLAMP_OFFSET = 1024;
const CLAMP = new Uint8Array(CLAMP_OFFSET * 2 + 256);
for (let i = 0; i < CLAMP.length; i++) CLAMP[i] = Math.max(0, Math.min(255, i - CLAMP_OFFSET));

/** The picture as opaque 0xAARRGGBB words, top row first. Throws SpiceError when its planes do not fit `data`. */
export function planarYuvToArgb(p: PlanarYuv): Pixels {
  const { data, layout, width, height, chromaShiftX, chromaShiftY } = p;
  if (layout.length < 3) throw new SpiceError('protocol', `a decoded picture has ${layout.length} planes, not 3 (Y, U, V)`);
  const [yPlane, uPlane, vPlane] = layout;
  const chromaWidth = (width + (1 << chromaShiftX) - 1) >> chromaShiftX;
  const chromaHeight = (height + (1 << chromaShiftY) - 1) >> chromaShiftY;
  const fits = (plane: { offset: number; stride: number }, w: number, h: number): boolean =>
    plane.offset >= 0 && plane.stride >= w && plane.offset + plane.stride * (h - 1) + w <= data.length;
  if (width <= 0 || height <= 0 || !fits(yPlane, width, height) || !fits(uPlane, chromaWidth, chromaHeight) || !fits(vPlane, chromaWidth, chromaHeight)) {
    throw new SpiceError('protocol', `a decoded ${width}x${height} picture's planes do not fit its ${data.length} bytes`);
  }
  const out = new Uint32Array(width * height);
  let to = 0;
  for (let y = 0; y < height; y++) {
    const yRow = yPlane.offset + y * yPlane.stride;
    const cy = y >> chromaShiftY;
    const uRow = uPlane.offset + cy * uPlane.stride;
    const vRow = vPlane.offset + cy * vPlane.stride;
    for (let x = 0; x < width; x++) {
      const cx = x >> chromaShiftX;
      const u = data[uRow + cx];
      const v = data[vRow + cx];
      const luma = Y_TERM[data[yRow + x]];
      const r = CLAMP[((luma + R_FROM_V[v]) >> 8) + CLAMP_OFFSET];
      const g = CLAMP[((luma + G_FROM_U[u] + G_FROM_V[v]) >> 8) + CLAMP_OFFSET];
      const b = CLAMP[((luma + B_FROM_U[u]) >> 8) + CLAMP_OFFSET];
      out[to++] = 0xff000000 | (r << 16) | (g << 8) | b;
    }
  }
  return { width, height, data: out, hasAlpha: false };
}
