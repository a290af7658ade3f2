// Limits on what a server may ask us to decode or allocate, checked by the message parser and
// again by the codecs (which may be handed bytes by other paths than the parser).

/** Largest width or height accepted for an image or surface; anything bigger is a lie or an attack. */
export const MAX_IMAGE_DIMENSION = 16384;

/** A palette indexes at most 8 bits of pixel (spice-common never builds a bigger one). */
export const MAX_PALETTE_ENTRIES = 256;

/**
 * Clip rectangles one display message may carry. X servers send a window's visible region, a few
 * to a few hundred rectangles (one a scanline for a shaped window); more is refused, since
 * banding many tall rectangles costs their count squared.
 */
export const MAX_CLIP_RECTS = 8192;

/** Rectangles a banded region may grow to before the draw is refused as too complex. */
export const MAX_REGION_RECTS = 131_072;
