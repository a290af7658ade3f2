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

export class Canvas {
  private readonly surfaces = new Map<number, Surface>();
  private readonly maxSurfacePixels: number;
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
    const surface = this.target(op.base.surfaceId, op.op);
    const { box, clip } = op.base;
    switch (op.op) {
      case 'fill': {
        const brush = this.brush(op.brush, images, surface);
        const region = this.masked(paintRects(surface, box, clip), op.mask, box, images);
        const rop = ropFromDescriptor(op.ropDescriptor, 'brush', 'dest');
        if (region.length) fillRegion(surface, region, brush, rop);
        return;
      }
      case 'copy':
      case 'blend': {
        const src = this.source(op.src, images, surface);
        const region = this.masked(paintRects(surface, box, clip), op.mask, box, images);
        const rop = ropFromDescriptor(op.ropDescriptor, 'src', 'dest');
        if (region.length && rop !== Rop.NOOP) this.drawImage(surface, region, src, op.srcArea, box, op.scaleMode, rop);
        return;
      }
      case 'opaque': {
        const src = this.source(op.src, images, surface);
        const brush = this.brush(op.brush, images, surface);
        const region = this.masked(paintRects(surface, box, clip), op.mask, box, images);
        // The brush is combined with the freshly copied source, which plays the destination.
        const rop = ropFromDescriptor(op.ropDescriptor, 'brush', 'src');
        if (!region.length || rop === Rop.NOOP) return;
        this.drawImage(surface, region, src, op.srcArea, box, op.scaleMode, Rop.COPY);
        fillRegion(surface, region, brush, rop);
        return;
      }
      case 'blackness':
      case 'whiteness':
      case 'invers': {
        const region = this.masked(paintRects(surface, box, clip), op.mask, box, images);
        if (op.op === 'invers') fillRegion(surface, region, { kind: 'solid', color: 0 }, Rop.INVERT);
        else fillRegion(surface, region, { kind: 'solid', color: op.op === 'blackness' ? 0 : 0xffffffff }, Rop.COPY);
        return;
      }
      case 'rop3': {
        const src = this.source(op.src, images, surface);
        const brush = this.brush(op.brush, images, surface);
        const region = this.masked(paintRects(surface, box, clip), op.mask, box, images);
        drawRop3(surface, region, { code: op.rop3, src, srcArea: op.srcArea, box, brush, scaleMode: op.scaleMode });
        return;
      }
      case 'stroke': {
        const brush = this.brush(op.brush, images, surface);
        const rop = ropFromDescriptor(op.foreMode, 'brush', 'dest');
        drawStroke(surface, paintRects(surface, box, clip), op.path, op.attr, brush, rop);
        return;
      }
      case 'text': {
        const foreBrush = op.foreBrush.type === 'none' ? null : this.brush(op.foreBrush, images, surface);
        const backBrush = this.brush(op.backBrush, images, surface);
        drawText(surface, paintRects(surface, box, clip), {
          str: op.str,
          backArea: op.backArea,
          foreBrush,
          backBrush,
          foreMode: op.foreMode,
          foreTileHasAlpha: foreBrush?.kind === 'tile' && foreBrush.tile.hasAlpha,
          clearAlpha: surface.format === SurfaceFormat.XRGB32,
        });
        return;
      }
      case 'transparent': {
        const src = this.source(op.src, images, surface);
        drawTransparent(surface, paintRects(surface, box, clip), src, op.srcArea, box, op.trueColor);
        return;
      }
      case 'alpha-blend': {
        const srcAlpha = (op.alphaFlags & AlphaFlags.SRC_SURFACE_HAS_ALPHA) !== 0;
        const src = this.source(op.src, images, surface, (s) => surfaceHasAlpha(s) || srcAlpha);
        const region = paintRects(surface, box, clip);
        if (op.alpha === 0 || !region.length) return;
        drawAlphaBlend(surface, region, {
          src,
          srcArea: op.srcArea,
          box,
          alpha: op.alpha & 0xff,
          clearAlpha: surface.format === SurfaceFormat.XRGB32 && !(op.alphaFlags & AlphaFlags.DEST_HAS_ALPHA),
        });
        return;
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
        drawComposite(surface, paintRects(surface, box, clip), {
          op: f & CompositeFlags.OP_MASK,
          src,
          mask,
          componentAlpha: (f & CompositeFlags.COMPONENT_ALPHA) !== 0,
          box,
          destHasAlpha: surfaceHasAlpha(surface),
        });
        return;
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
    return s === target ? { ...src, data: s.data.slice() } : src;
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
