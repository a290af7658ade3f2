// The software compositor: the surfaces of one display channel and the drawing commands applied
// to them, with spice-common's canvas (canvas_base.c + sw_canvas.c on pixman) as the reference
// for every pixel. Each command paints a region: box ∩ clip ∩ surface bounds, then ∩ mask.
// Images are resolved before anything is skipped, because decoding may fill caches that later
// commands rely on (spice-common "touches" images for the same reason).
import type { Brush, DisplayBase, DrawOp, ImageResolver, QMask, SpiceImage, SurfaceCreate } from '../pixels/draw-ops.ts';
import type { Point, Rect } from '../pixels/geometry.ts';
import type { Bitmask } from '../pixels/pixels.ts';
import { AlphaFlags, CompositeFlags, MaskFlags, ScaleMode, SurfaceFlags } from '../pixels/draw-ops.ts';
import { SurfaceFormat } from '../pixels/formats.ts';
import { SpiceError } from '../wire/errors.ts';
import type { MemoryBudget } from '../wire/memory-budget.ts';
import { drawAlphaBlend } from './alpha-blend.ts';
import { fillRegion, type ResolvedBrush } from './brush.ts';
import { type CompositeLayer, drawComposite } from './composite.ts';
import { blitRegion, copyWithinSurface, scaleRegion } from './copy.ts';
import { applyMask, bitmaskOfSurface } from './mask.ts';
import { intersectRegion } from './region.ts';
import { Rop, ropFromDescriptor } from './rop.ts';
import { drawRop3 } from './rop3.ts';
import { scaleMapForArea } from './scale.ts';
import { type PixelSource, sourceOfSurface } from './source.ts';
import { drawStroke } from './stroke.ts';
import { paintRects, Surface, surfaceHasAlpha } from './surface.ts';
import { drawText } from './text.ts';
import { drawTransparent } from './transparent.ts';

const KNOWN_FORMATS = new Set<number>(Object.values(SurfaceFormat));

/** 8192 x 8192: far beyond any real SPICE surface, small enough to allocate. */
const DEFAULT_MAX_SURFACE_PIXELS = 1 << 26;

function sameSize(a: Rect, b: Rect): boolean {
  return a.right - a.left === b.right - b.left && a.bottom - a.top === b.bottom - b.top;
}

/** Whether a draw reads surface `id` as an image (source, pattern or composite mask). */
function readsSurface(op: DrawOp, id: number): boolean {
  const images: (SpiceImage | null | undefined)[] = [];
  if ('src' in op) images.push(op.src);
  if ('brush' in op && op.brush.type === 'pattern') images.push(op.brush.image);
  if (op.op === 'composite') images.push(op.mask);
  return images.some((image) => image?.body.kind === 'surface' && image.body.surfaceId === id);
}

/** What a draw paints, and how; `split` false for an operation drawn in one piece. */
interface DrawPlan {
  region: Rect[];
  paint: (region: Rect[]) => void;
  split?: false;
}

/** A plan drawn in one piece (a stroke's or a text's cost is bounded by its message's bytes). */
function whole(region: Rect[], paint: () => void): DrawPlan {
  return { region, paint, split: false };
}

/**
 * The region in pieces of at most `maxPixels` pixels, in order: whole rectangles while they fit,
 * a rectangle larger than that in bands of rows (at least one row each).
 */
export function* regionPieces(region: readonly Rect[], maxPixels: number): Generator<Rect[], void, undefined> {
  if (!Number.isFinite(maxPixels)) {
    yield [...region];
    return;
  }
  let piece: Rect[] = [];
  let pixels = 0;
  for (const r of region) {
    const width = r.right - r.left;
    let top = r.top;
    while (top < r.bottom) {
      const rows = Math.max(1, Math.min(r.bottom - top, Math.floor((maxPixels - pixels) / width)));
      if (pixels > 0 && pixels + rows * width > maxPixels) {
        yield piece;
        piece = [];
        pixels = 0;
        continue;
      }
      piece.push(rows === r.bottom - r.top ? r : { left: r.left, right: r.right, top, bottom: top + rows });
      pixels += rows * width;
      top += rows;
    }
  }
  if (piece.length) yield piece;
}

export class Canvas {
  private readonly surfaces = new Map<number, Surface>();
  private readonly maxSurfacePixels: number;
  /** While a draw is planned: the copy of its target taken in pieces (see drawInPieces). */
  private targetCopy: Uint32Array | null = null;
  /** The session's memory budget: each surface's pixels are charged before they are allocated. */
  private readonly budget: MemoryBudget | null;

  constructor(opts: { maxSurfacePixels?: number; budget?: MemoryBudget } = {}) {
    this.maxSurfacePixels = opts.maxSurfacePixels ?? DEFAULT_MAX_SURFACE_PIXELS;
    this.budget = opts.budget ?? null;
  }

  /** A new zero-filled surface; an existing surface with the same id is replaced. */
  createSurface(c: SurfaceCreate): Surface {
    const { surfaceId, width, height, format } = c;
    if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
      throw new SpiceError('protocol', `the server asked for surface ${surfaceId} with an invalid size ${width}x${height}`);
    }
    if (width * height > this.maxSurfacePixels) {
      throw new SpiceError(
        'protocol',
        `the server asked for surface ${surfaceId} of ${width}x${height} pixels, more than the limit of ${this.maxSurfacePixels}`,
      );
    }
    if (!KNOWN_FORMATS.has(format)) {
      throw new SpiceError('protocol', `the server asked for surface ${surfaceId} in unknown format ${format}`);
    }
    // The surface it replaces goes first, so that re-creating a surface at a new size (a mode
    // change) needs only the difference.
    this.destroySurface(surfaceId);
    this.budget?.charge('surfaces', width * height * 4, () => `surface ${surfaceId} of ${width}x${height}`);
    const surface = new Surface(surfaceId, width, height, format, (c.flags & SurfaceFlags.PRIMARY) !== 0);
    this.surfaces.set(surfaceId, surface);
    return surface;
  }

  /** Destroying an unknown surface is ignored, as spice-gtk does. */
  destroySurface(id: number): void {
    const s = this.surfaces.get(id);
    if (!s) return;
    this.surfaces.delete(id);
    this.budget?.release('surfaces', s.data.byteLength);
  }

  /** Drops every surface (the display channel is gone), giving their memory back to the budget. */
  dispose(): void {
    for (const id of [...this.surfaces.keys()]) this.destroySurface(id);
  }

  surface(id: number): Surface | undefined {
    return this.surfaces.get(id);
  }

  /** The surface created with the PRIMARY flag, else surface 0. */
  primary(): Surface | undefined {
    for (const s of this.surfaces.values()) if (s.primary) return s;
    return this.surfaces.get(0);
  }

  /**
   * DISPLAY_RESET: spice-gtk clears the primary surface to zero and keeps the others (it also
   * empties the palette cache, which belongs to the caller).
   */
  reset(): void {
    this.primary()?.data.fill(0);
  }

  /** COPY_BITS: scrolls part of a surface; overlapping source and destination are fine. */
  copyBits(base: DisplayBase, srcPos: Point): void {
    const surface = this.target(base.surfaceId, 'copy-bits');
    const dx = base.box.left - srcPos.x;
    const dy = base.box.top - srcPos.y;
    if (dx === 0 && dy === 0) return;
    // Only destination pixels whose source lies on the surface.
    const region = intersectRegion(paintRects(surface, base.box, base.clip), {
      left: dx,
      top: dy,
      right: dx + surface.width,
      bottom: dy + surface.height,
    });
    if (region.length) copyWithinSurface(surface, region, dx, dy);
  }

  draw(op: DrawOp, images: ImageResolver): void {
    for (const piece of this.drawInPieces(op, images)) void piece;
  }

  /**
   * The same drawing in pieces of at most `piecePixels` destination pixels each (a piece is done
   * when the iterator steps), so that a host can let other work run between them: one 8192x8192
   * composite takes tens of seconds, which must not hold up a deadline. Every operation split here
   * computes each destination pixel from that pixel's source, brush and previous value only (a
   * source that is the target itself is read from a copy taken first), so the pieces give the
   * pixels one call would. Strokes, text and COPY_BITS are not split: their cost is bounded by
   * their message's bytes, or they are a plain memory move.
   */
  *drawInPieces(op: DrawOp, images: ImageResolver, piecePixels = Infinity): Generator<void, void, undefined> {
    // A draw that reads its own target reads a copy taken before it: taken here in pieces too
    // (a 256 MB copy is a long stretch on its own), while nothing else draws.
    const target = this.target(op.base.surfaceId, op.op);
    if (Number.isFinite(piecePixels) && readsSurface(op, target.id)) {
      const copy = new Uint32Array(target.data.length);
      const step = piecePixels * 16;
      for (let at = 0; at < copy.length; at += step) {
        copy.set(target.data.subarray(at, at + step), at);
        yield;
      }
      this.targetCopy = copy;
    }
    let plan: DrawPlan | null;
    try {
      plan = this.plan(op, images);
    } finally {
      this.targetCopy = null;
    }
    if (!plan || !plan.region.length) return;
    if (plan.split === false) {
      plan.paint(plan.region);
      return;
    }
    for (const piece of regionPieces(plan.region, piecePixels)) {
      plan.paint(piece);
      yield;
    }
  }

  /** What a draw paints and how: everything resolved (images, brushes, masks) before any piece. */
  private plan(op: DrawOp, images: ImageResolver): DrawPlan | null {
    const surface = this.target(op.base.surfaceId, op.op);
    const { box, clip } = op.base;
    switch (op.op) {
      case 'fill': {
        const brush = this.brush(op.brush, images, surface);
        const region = this.masked(paintRects(surface, box, clip), op.mask, box, images);
        const rop = ropFromDescriptor(op.ropDescriptor, 'brush', 'dest');
        return { region, paint: (r) => fillRegion(surface, r, brush, rop) };
      }
      case 'copy':
      case 'blend': {
        const src = this.source(op.src, images, surface);
        const region = this.masked(paintRects(surface, box, clip), op.mask, box, images);
        const rop = ropFromDescriptor(op.ropDescriptor, 'src', 'dest');
        if (rop === Rop.NOOP) return null;
        return { region, paint: (r) => this.drawImage(surface, r, src, op.srcArea, box, op.scaleMode, rop) };
      }
      case 'opaque': {
        const src = this.source(op.src, images, surface);
        const brush = this.brush(op.brush, images, surface);
        const region = this.masked(paintRects(surface, box, clip), op.mask, box, images);
        // The brush is combined with the freshly copied source, which plays the destination.
        const rop = ropFromDescriptor(op.ropDescriptor, 'brush', 'src');
        if (rop === Rop.NOOP) return null;
        return {
          region,
          paint: (r) => {
            this.drawImage(surface, r, src, op.srcArea, box, op.scaleMode, Rop.COPY);
            fillRegion(surface, r, brush, rop);
          },
        };
      }
      case 'blackness':
      case 'whiteness':
      case 'invers': {
        const region = this.masked(paintRects(surface, box, clip), op.mask, box, images);
        if (op.op === 'invers') return { region, paint: (r) => fillRegion(surface, r, { kind: 'solid', color: 0 }, Rop.INVERT) };
        const color = op.op === 'blackness' ? 0 : 0xffffffff;
        return { region, paint: (r) => fillRegion(surface, r, { kind: 'solid', color }, Rop.COPY) };
      }
      case 'rop3': {
        const src = this.source(op.src, images, surface);
        const brush = this.brush(op.brush, images, surface);
        const region = this.masked(paintRects(surface, box, clip), op.mask, box, images);
        return { region, paint: (r) => drawRop3(surface, r, { code: op.rop3, src, srcArea: op.srcArea, box, brush, scaleMode: op.scaleMode }) };
      }
      case 'stroke': {
        const brush = this.brush(op.brush, images, surface);
        const rop = ropFromDescriptor(op.foreMode, 'brush', 'dest');
        const region = paintRects(surface, box, clip);
        return whole(region, () => drawStroke(surface, region, op.path, op.attr, brush, rop));
      }
      case 'text': {
        const foreBrush = op.foreBrush.type === 'none' ? null : this.brush(op.foreBrush, images, surface);
        const backBrush = this.brush(op.backBrush, images, surface);
        const region = paintRects(surface, box, clip);
        return whole(region, () =>
          drawText(surface, region, {
            str: op.str,
            backArea: op.backArea,
            foreBrush,
            backBrush,
            foreMode: op.foreMode,
            foreTileHasAlpha: foreBrush?.kind === 'tile' && foreBrush.tile.hasAlpha,
            clearAlpha: surface.format === SurfaceFormat.XRGB32,
          }),
        );
      }
      case 'transparent': {
        const src = this.source(op.src, images, surface);
        return { region: paintRects(surface, box, clip), paint: (r) => drawTransparent(surface, r, src, op.srcArea, box, op.trueColor) };
      }
      case 'alpha-blend': {
        const srcAlpha = (op.alphaFlags & AlphaFlags.SRC_SURFACE_HAS_ALPHA) !== 0;
        const src = this.source(op.src, images, surface, (s) => surfaceHasAlpha(s) || srcAlpha);
        const region = paintRects(surface, box, clip);
        if (op.alpha === 0) return null;
        const params = {
          src,
          srcArea: op.srcArea,
          box,
          alpha: op.alpha & 0xff,
          clearAlpha: surface.format === SurfaceFormat.XRGB32 && !(op.alphaFlags & AlphaFlags.DEST_HAS_ALPHA),
        };
        return { region, paint: (r) => drawAlphaBlend(surface, r, params) };
      }
      case 'composite': {
        const f = op.flags;
        const opaqueSrc = (f & CompositeFlags.SOURCE_OPAQUE) !== 0;
        const src: CompositeLayer = {
          src: this.source(op.src, images, surface, (s) => surfaceHasAlpha(s) && !opaqueSrc),
          transform: f & CompositeFlags.HAS_SRC_TRANSFORM ? op.srcTransform : null,
          filter: (f >> CompositeFlags.SRC_FILTER_SHIFT) & 7,
          repeat: (f >> CompositeFlags.SRC_REPEAT_SHIFT) & 3,
          origin: op.srcOrigin,
        };
        const mask: CompositeLayer | null =
          f & CompositeFlags.HAS_MASK && op.mask
            ? {
                src: this.source(op.mask, images, surface),
                transform: f & CompositeFlags.HAS_MASK_TRANSFORM ? op.maskTransform : null,
                filter: (f >> CompositeFlags.MASK_FILTER_SHIFT) & 7,
                repeat: (f >> CompositeFlags.MASK_REPEAT_SHIFT) & 3,
                origin: op.maskOrigin,
              }
            : null;
        const params = {
          op: f & CompositeFlags.OP_MASK,
          src,
          mask,
          componentAlpha: (f & CompositeFlags.COMPONENT_ALPHA) !== 0,
          box,
          destHasAlpha: surfaceHasAlpha(surface),
        };
        return { region: paintRects(surface, box, clip), paint: (r) => drawComposite(surface, r, params) };
      }
      default: {
        const unknown: never = op;
        throw new SpiceError('internal', `no drawing routine for ${(unknown as { op: string }).op}`);
      }
    }
  }

  private target(id: number, what: string): Surface {
    const surface = this.surfaces.get(id);
    if (!surface) throw new SpiceError('protocol', `the server sent ${what} for surface ${id}, which does not exist`);
    return surface;
  }

  /**
   * The pixels of an image. A 'surface' image reads another surface of this canvas; when it is
   * the destination itself it is read from a snapshot, so that source and destination may overlap.
   */
  private source(image: SpiceImage, images: ImageResolver, target: Surface, alphaOf: (s: Surface) => boolean = surfaceHasAlpha): PixelSource {
    if (image.body.kind !== 'surface') return images.image(image);
    const id = image.body.surfaceId;
    const s = this.surfaces.get(id);
    if (!s) throw new SpiceError('protocol', `the server used surface ${id} as an image, but it does not exist`);
    const src = sourceOfSurface(s, alphaOf(s));
    return s === target ? { ...src, data: this.targetCopy ?? s.data.slice() } : src;
  }

  private brush(brush: Brush, images: ImageResolver, target: Surface): ResolvedBrush {
    switch (brush.type) {
      case 'solid':
        return { kind: 'solid', color: brush.color >>> 0 };
      case 'pattern':
        return { kind: 'tile', tile: this.source(brush.image, images, target), x: brush.pos.x, y: brush.pos.y };
      default:
        return { kind: 'solid', color: 0 };
    }
  }

  private masked(region: Rect[], mask: QMask, box: Rect, images: ImageResolver): Rect[] {
    if (!mask.image) return region;
    let bits: Bitmask;
    if (mask.image.body.kind === 'surface') {
      const id = mask.image.body.surfaceId;
      const s = this.surfaces.get(id);
      if (!s) throw new SpiceError('protocol', `the server used surface ${id} as a mask, but it does not exist`);
      // Read before anything is drawn, so the target itself can serve as its own mask.
      bits = bitmaskOfSurface(s);
    } else {
      bits = images.mask(mask.image);
    }
    return applyMask(region, bits, box, mask.pos, (mask.flags & MaskFlags.INVERS) !== 0);
  }

  /** The copy family: same size is a blit, otherwise a scale with the command's filter. */
  private drawImage(surface: Surface, region: Rect[], src: PixelSource, srcArea: Rect, box: Rect, scaleMode: number, rop: number): void {
    if (sameSize(srcArea, box)) {
      blitRegion(surface, region, src, box.left - srcArea.left, box.top - srcArea.top, rop);
      return;
    }
    // spice-common refuses (draws nothing for) any other scale mode.
    if (scaleMode !== ScaleMode.NEAREST && scaleMode !== ScaleMode.INTERPOLATE) return;
    const map = scaleMapForArea(srcArea, box, scaleMode === ScaleMode.INTERPOLATE);
    if (map) scaleRegion(surface, region, src, map, rop);
  }
}
