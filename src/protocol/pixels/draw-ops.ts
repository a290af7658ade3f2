// Parsed display-channel drawing commands: the contract between the message parser
// (channels/display/display-messages.ts) and the software compositor that draws them
// (src/protocol/canvas). It sits below both so that neither imports the other. Images stay
// compressed here; decoding is the drawer's job (through ImageResolver).
// Field names follow spice-common's spice.proto; every integer is as read from the wire.
import type { BitmapBody, PaletteRef } from './formats.ts';
import type { Clip, Point, Rect, Transform } from './geometry.ts';
import type { Bitmask, Pixels } from './pixels.ts';

export interface DisplayBase {
  surfaceId: number;
  box: Rect;
  clip: Clip;
}

export const ImageType = {
  BITMAP: 0,
  QUIC: 1,
  LZ_PLT: 100,
  LZ_RGB: 101,
  GLZ_RGB: 102,
  FROM_CACHE: 103,
  SURFACE: 104,
  JPEG: 105,
  FROM_CACHE_LOSSLESS: 106,
  ZLIB_GLZ_RGB: 107,
  JPEG_ALPHA: 108,
  LZ4: 109,
} as const;

export const ImageFlags = { CACHE_ME: 1, HIGH_BITS_SET: 2, CACHE_REPLACE_ME: 4 } as const;

export interface ImageDescriptor {
  id: bigint;
  type: number;
  flags: number;
  width: number;
  height: number;
}

export type SpiceImageBody =
  | { kind: 'bitmap'; bitmap: BitmapBody }
  | { kind: 'quic'; data: Uint8Array }
  | { kind: 'lz-rgb'; data: Uint8Array }
  | { kind: 'glz-rgb'; data: Uint8Array }
  | { kind: 'lz-plt'; flags: number; paletteRef: PaletteRef; data: Uint8Array }
  | { kind: 'from-cache' }
  | { kind: 'from-cache-lossless' }
  | { kind: 'surface'; surfaceId: number }
  | { kind: 'jpeg'; data: Uint8Array }
  | { kind: 'zlib-glz-rgb'; glzDataSize: number; data: Uint8Array }
  | { kind: 'jpeg-alpha'; flags: number; jpegSize: number; data: Uint8Array }
  | { kind: 'lz4'; data: Uint8Array };

export interface SpiceImage {
  descriptor: ImageDescriptor;
  body: SpiceImageBody;
}

export type Brush =
  | { type: 'none' }
  | { type: 'solid'; color: number }
  | { type: 'pattern'; image: SpiceImage; pos: Point };

export const MaskFlags = { INVERS: 1 } as const;

export interface QMask {
  flags: number;
  pos: Point;
  /** null when the message carries no mask. */
  image: SpiceImage | null;
}

/** ROP descriptor bits (spice.proto `ropd`). */
export const Ropd = {
  INVERS_SRC: 1 << 0,
  INVERS_BRUSH: 1 << 1,
  INVERS_DEST: 1 << 2,
  OP_PUT: 1 << 3,
  OP_OR: 1 << 4,
  OP_AND: 1 << 5,
  OP_XOR: 1 << 6,
  OP_BLACKNESS: 1 << 7,
  OP_WHITENESS: 1 << 8,
  OP_INVERS: 1 << 9,
  INVERS_RES: 1 << 10,
} as const;

export const ScaleMode = { INTERPOLATE: 0, NEAREST: 1 } as const;

export const PathFlags = { BEGIN: 1 << 0, END: 1 << 1, CLOSE: 1 << 3, BEZIER: 1 << 4 } as const;

export interface PathSegment {
  flags: number;
  /** Points in fixed 28.4 as read from the wire (divide by 16 for pixels). */
  points: Point[];
}

export const LineFlags = { START_WITH_GAP: 1 << 2, STYLED: 1 << 3 } as const;

export interface LineAttr {
  flags: number;
  /** Dash pattern in fixed 28.4, present when flags has STYLED. */
  style: number[];
}

export const StringFlags = { RASTER_A1: 1, RASTER_A4: 2, RASTER_A8: 4, RASTER_TOP_DOWN: 8 } as const;

export interface RasterGlyph {
  renderPos: Point;
  glyphOrigin: Point;
  width: number;
  height: number;
  /** image_size(bpp, width, height) bytes, bpp from the string's flags. */
  data: Uint8Array;
}

export interface SpiceString {
  flags: number;
  glyphs: RasterGlyph[];
}

export const AlphaFlags = { DEST_HAS_ALPHA: 1, SRC_SURFACE_HAS_ALPHA: 2 } as const;

export const CompositeFlags = {
  OP_MASK: 0xff,
  SRC_FILTER_SHIFT: 8,
  MASK_FILTER_SHIFT: 11,
  SRC_REPEAT_SHIFT: 14,
  MASK_REPEAT_SHIFT: 16,
  COMPONENT_ALPHA: 1 << 18,
  HAS_MASK: 1 << 19,
  HAS_SRC_TRANSFORM: 1 << 20,
  HAS_MASK_TRANSFORM: 1 << 21,
  SOURCE_OPAQUE: 1 << 22,
  MASK_OPAQUE: 1 << 23,
  DEST_OPAQUE: 1 << 24,
} as const;

export type DrawOp =
  | { op: 'fill'; base: DisplayBase; brush: Brush; ropDescriptor: number; mask: QMask }
  | {
      op: 'opaque';
      base: DisplayBase;
      src: SpiceImage;
      srcArea: Rect;
      brush: Brush;
      ropDescriptor: number;
      scaleMode: number;
      mask: QMask;
    }
  | { op: 'copy' | 'blend'; base: DisplayBase; src: SpiceImage; srcArea: Rect; ropDescriptor: number; scaleMode: number; mask: QMask }
  | { op: 'blackness' | 'whiteness' | 'invers'; base: DisplayBase; mask: QMask }
  | { op: 'rop3'; base: DisplayBase; src: SpiceImage; srcArea: Rect; brush: Brush; rop3: number; scaleMode: number; mask: QMask }
  | { op: 'stroke'; base: DisplayBase; path: PathSegment[]; attr: LineAttr; brush: Brush; foreMode: number; backMode: number }
  | {
      op: 'text';
      base: DisplayBase;
      str: SpiceString;
      backArea: Rect;
      foreBrush: Brush;
      backBrush: Brush;
      foreMode: number;
      backMode: number;
    }
  | { op: 'transparent'; base: DisplayBase; src: SpiceImage; srcArea: Rect; srcColor: number; trueColor: number }
  | { op: 'alpha-blend'; base: DisplayBase; alphaFlags: number; alpha: number; src: SpiceImage; srcArea: Rect }
  | {
      op: 'composite';
      base: DisplayBase;
      flags: number;
      src: SpiceImage;
      mask: SpiceImage | null;
      srcTransform: Transform | null;
      maskTransform: Transform | null;
      srcOrigin: Point;
      maskOrigin: Point;
    };

export const SurfaceFlags = { PRIMARY: 1, STREAMING_MODE: 2 } as const;

export interface SurfaceCreate {
  surfaceId: number;
  width: number;
  height: number;
  format: number;
  flags: number;
}

/**
 * Turns a SpiceImage into pixels: caches, palettes and codecs live behind this, in the session.
 * Both throw a ProtocolError (or SpiceError) for an image they cannot decode.
 */
export interface ImageResolver {
  image(image: SpiceImage): Pixels;
  mask(image: SpiceImage): Bitmask;
}
