// The drawing messages of the display channel (DRAW_FILL .. DRAW_COMPOSITE) and the small
// structures they share (Rect, Clip, DisplayBase, Brush, QMask, Path, LineAttr, String), read in
// spice.proto field order. Every count is checked against the bytes left before anything is
// allocated for it; every pointer is followed exactly once per use and no pointed-to structure
// holds a pointer deeper than image -> palette, so a hostile body cannot make parsing loop.
import type { WireReader } from '../../wire/reader.ts';
import { CompositeFlags, LineFlags, StringFlags, type Brush, type DisplayBase, type DrawOp, type LineAttr, type PathSegment, type QMask, type RasterGlyph, type SpiceString } from '../../pixels/draw-ops.ts';
import type { Clip, Point, Rect, Transform } from '../../pixels/geometry.ts';
import { MAX_CLIP_RECTS } from '../../pixels/limits.ts';
import { followPointer, imageSize, readImagePointer, readRequiredImagePointer } from './display-images.ts';

const CLIP_NONE = 0;
const CLIP_RECTS = 1;
const BRUSH_NONE = 0;
const BRUSH_SOLID = 1;
const BRUSH_PATTERN = 2;

const RECT_BYTES = 16;
const POINT_FIX_BYTES = 8;
/** u8 flags + u32 count: the smallest a path segment can be. */
const PATH_SEGMENT_MIN_BYTES = 5;
/** Point render_pos + Point glyph_origin + u16 width + u16 height. */
const GLYPH_HEADER_BYTES = 20;

export function readPoint(r: WireReader): Point {
  const x = r.i32();
  return { x, y: r.i32() };
}

export function readPoint16(r: WireReader): Point {
  const x = r.i16();
  return { x, y: r.i16() };
}

export function readRect(r: WireReader): Rect {
  r.need(RECT_BYTES, 'rect');
  const top = r.i32();
  const left = r.i32();
  const bottom = r.i32();
  return { top, left, bottom, right: r.i32() };
}

/** spice.proto Clip: u8 type, and for RECTS an inline u32 count and the rectangles. */
export function readClip(r: WireReader): Clip {
  const typeOffset = r.offset;
  const type = r.u8();
  if (type === CLIP_NONE) return null;
  if (type !== CLIP_RECTS) r.fail(`unknown clip type ${type}`, typeOffset);
  const countOffset = r.offset;
  const count = r.count(r.u32(), RECT_BYTES, 'clip rects');
  if (count > MAX_CLIP_RECTS) r.fail(`${count} clip rectangles; at most ${MAX_CLIP_RECTS} are accepted`, countOffset);
  const rects: Rect[] = new Array(count);
  for (let i = 0; i < count; i++) rects[i] = readRect(r);
  return rects;
}

export function readDisplayBase(r: WireReader): DisplayBase {
  const surfaceId = r.u32();
  const box = readRect(r);
  return { surfaceId, box, clip: readClip(r) };
}

export function readBrush(r: WireReader, what = 'brush'): Brush {
  const typeOffset = r.offset;
  const type = r.u8();
  switch (type) {
    case BRUSH_NONE:
      return { type: 'none' };
    case BRUSH_SOLID:
      return { type: 'solid', color: r.u32() };
    case BRUSH_PATTERN: {
      const image = readRequiredImagePointer(r, `${what} pattern`);
      return { type: 'pattern', image, pos: readPoint(r) };
    }
    default:
      return r.fail(`${what} has unknown type ${type}`, typeOffset);
  }
}

export function readQMask(r: WireReader): QMask {
  const flags = r.u8();
  const pos = readPoint(r);
  return { flags, pos, image: readImagePointer(r, 'mask image') };
}

/** spice.proto Path behind a non-NULL pointer: u32 segment count, then the segments inline. */
function readPathPointer(r: WireReader): PathSegment[] {
  const fieldOffset = r.offset;
  const path = followPointer(r, 'path');
  if (!path) return r.fail('path pointer is NULL', fieldOffset);
  const segmentCount = path.count(path.u32(), PATH_SEGMENT_MIN_BYTES, 'path segments');
  const segments: PathSegment[] = new Array(segmentCount);
  for (let s = 0; s < segmentCount; s++) {
    const flags = path.u8();
    const pointCount = path.count(path.u32(), POINT_FIX_BYTES, 'path segment points');
    const points: Point[] = new Array(pointCount);
    for (let i = 0; i < pointCount; i++) points[i] = readPoint(path);
    segments[s] = { flags, points };
  }
  return segments;
}

/** spice.proto LineAttr: u8 flags; when STYLED, u8 style_nseg and a pointer to the dashes. */
function readLineAttr(r: WireReader): LineAttr {
  const flags = r.u8();
  if (!(flags & LineFlags.STYLED)) return { flags, style: [] };
  const segmentCount = r.u8();
  const fieldOffset = r.offset;
  const target = followPointer(r, 'line style');
  if (!target) {
    if (segmentCount > 0) r.fail(`line style of ${segmentCount} dashes has a NULL pointer`, fieldOffset);
    return { flags, style: [] };
  }
  target.count(segmentCount, 4, 'line style dashes');
  const style: number[] = new Array(segmentCount);
  for (let i = 0; i < segmentCount; i++) style[i] = target.i32();
  return { flags, style };
}

/** Bits per pixel of a String's glyphs, chosen as spice-common does: A1, then A4, then A8. */
function glyphBitsPerPixel(flags: number): number {
  if (flags & StringFlags.RASTER_A1) return 1;
  if (flags & StringFlags.RASTER_A4) return 4;
  if (flags & StringFlags.RASTER_A8) return 8;
  return 0;
}

/** spice.proto String behind a non-NULL pointer: u16 glyph count, u8 flags, the glyphs inline. */
function readStringPointer(r: WireReader): SpiceString {
  const fieldOffset = r.offset;
  const str = followPointer(r, 'string');
  if (!str) return r.fail('string pointer is NULL', fieldOffset);
  const lengthOffset = str.offset;
  const length = str.u16();
  const flags = str.u8();
  const bitsPerPixel = glyphBitsPerPixel(flags);
  if (bitsPerPixel === 0) {
    if (length > 0) str.fail(`string of ${length} glyphs has no raster format in flags 0x${flags.toString(16)}`, lengthOffset);
    return { flags, glyphs: [] };
  }
  str.count(length, GLYPH_HEADER_BYTES, 'string glyphs');
  const glyphs: RasterGlyph[] = new Array(length);
  for (let i = 0; i < length; i++) {
    const renderPos = readPoint(str);
    const glyphOrigin = readPoint(str);
    const width = str.u16();
    const height = str.u16();
    const data = str.take(imageSize(bitsPerPixel, width, height), `glyph ${i} (${width}×${height})`);
    glyphs[i] = { renderPos, glyphOrigin, width, height, data };
  }
  return { flags, glyphs };
}

function readTransform(r: WireReader): Transform {
  r.need(24, 'transform');
  // spice.proto declares the entries uint32, but they are pixman_fixed_t (signed 16.16).
  return [r.i32(), r.i32(), r.i32(), r.i32(), r.i32(), r.i32()];
}

export function parseDrawFill(r: WireReader): DrawOp {
  const base = readDisplayBase(r);
  const brush = readBrush(r);
  const ropDescriptor = r.u16();
  return { op: 'fill', base, brush, ropDescriptor, mask: readQMask(r) };
}

export function parseDrawOpaque(r: WireReader): DrawOp {
  const base = readDisplayBase(r);
  const src = readRequiredImagePointer(r, 'source image');
  const srcArea = readRect(r);
  const brush = readBrush(r);
  const ropDescriptor = r.u16();
  const scaleMode = r.u8();
  return { op: 'opaque', base, src, srcArea, brush, ropDescriptor, scaleMode, mask: readQMask(r) };
}

function parseCopyLike(r: WireReader, op: 'copy' | 'blend'): DrawOp {
  const base = readDisplayBase(r);
  const src = readRequiredImagePointer(r, 'source image');
  const srcArea = readRect(r);
  const ropDescriptor = r.u16();
  const scaleMode = r.u8();
  return { op, base, src, srcArea, ropDescriptor, scaleMode, mask: readQMask(r) };
}

export function parseDrawCopy(r: WireReader): DrawOp {
  return parseCopyLike(r, 'copy');
}

export function parseDrawBlend(r: WireReader): DrawOp {
  return parseCopyLike(r, 'blend');
}

function parseMaskOnly(r: WireReader, op: 'blackness' | 'whiteness' | 'invers'): DrawOp {
  const base = readDisplayBase(r);
  return { op, base, mask: readQMask(r) };
}

export function parseDrawBlackness(r: WireReader): DrawOp {
  return parseMaskOnly(r, 'blackness');
}

export function parseDrawWhiteness(r: WireReader): DrawOp {
  return parseMaskOnly(r, 'whiteness');
}

export function parseDrawInvers(r: WireReader): DrawOp {
  return parseMaskOnly(r, 'invers');
}

export function parseDrawRop3(r: WireReader): DrawOp {
  const base = readDisplayBase(r);
  const src = readRequiredImagePointer(r, 'source image');
  const srcArea = readRect(r);
  const brush = readBrush(r);
  const rop3 = r.u8();
  const scaleMode = r.u8();
  return { op: 'rop3', base, src, srcArea, brush, rop3, scaleMode, mask: readQMask(r) };
}

export function parseDrawStroke(r: WireReader): DrawOp {
  const base = readDisplayBase(r);
  const path = readPathPointer(r);
  const attr = readLineAttr(r);
  const brush = readBrush(r);
  const foreMode = r.u16();
  return { op: 'stroke', base, path, attr, brush, foreMode, backMode: r.u16() };
}

export function parseDrawText(r: WireReader): DrawOp {
  const base = readDisplayBase(r);
  const str = readStringPointer(r);
  const backArea = readRect(r);
  const foreBrush = readBrush(r, 'fore brush');
  const backBrush = readBrush(r, 'back brush');
  const foreMode = r.u16();
  return { op: 'text', base, str, backArea, foreBrush, backBrush, foreMode, backMode: r.u16() };
}

export function parseDrawTransparent(r: WireReader): DrawOp {
  const base = readDisplayBase(r);
  const src = readRequiredImagePointer(r, 'source image');
  const srcArea = readRect(r);
  const srcColor = r.u32();
  return { op: 'transparent', base, src, srcArea, srcColor, trueColor: r.u32() };
}

export function parseDrawAlphaBlend(r: WireReader): DrawOp {
  const base = readDisplayBase(r);
  const alphaFlags = r.u8();
  const alpha = r.u8();
  const src = readRequiredImagePointer(r, 'source image');
  return { op: 'alpha-blend', base, alphaFlags, alpha, src, srcArea: readRect(r) };
}

export function parseDrawComposite(r: WireReader): DrawOp {
  const base = readDisplayBase(r);
  const flags = r.u32();
  const src = readRequiredImagePointer(r, 'source image');
  const mask = flags & CompositeFlags.HAS_MASK ? readImagePointer(r, 'mask image') : null;
  const srcTransform = flags & CompositeFlags.HAS_SRC_TRANSFORM ? readTransform(r) : null;
  const maskTransform = flags & CompositeFlags.HAS_MASK_TRANSFORM ? readTransform(r) : null;
  const srcOrigin = readPoint16(r);
  const maskOrigin = readPoint16(r);
  return { op: 'composite', base, flags, src, mask, srcTransform, maskTransform, srcOrigin, maskOrigin };
}
