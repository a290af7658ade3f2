// The one image shape every peer helper returns: 8-bit RGBA, row-major, no padding.
export interface RgbaImage {
  width: number;
  height: number;
  /** width*height*4 bytes: R G B A per pixel, rows top to bottom. */
  rgba: Buffer;
}

/** True when every pixel has the same RGB value (a blank or not-yet-drawn screen). */
export function isUniform(image: RgbaImage): boolean {
  const { rgba } = image;
  for (let i = 4; i < rgba.length; i += 4) {
    if (rgba[i] !== rgba[0] || rgba[i + 1] !== rgba[1] || rgba[i + 2] !== rgba[2]) return false;
  }
  return true;
}

/** The number of distinct RGB colours, counted up to `limit`. */
export function countColours(image: RgbaImage, limit = 1 << 24): number {
  const seen = new Set<number>();
  const { rgba } = image;
  for (let i = 0; i < rgba.length && seen.size < limit; i += 4) {
    seen.add((rgba[i] << 16) | (rgba[i + 1] << 8) | rgba[i + 2]);
  }
  return seen.size;
}
