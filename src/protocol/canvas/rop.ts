// Raster operations. Binary ROPs use the X11 GX numbering that spice-common's SpiceROP follows
// (CLEAR=0 ... SET=15); bit i of the code is the result for the input pair
// i=0: s=1,d=1  i=1: s=1,d=0  i=2: s=0,d=1  i=3: s=0,d=0.
// Ternary ROPs (rop3) use the Windows numbering: bit ((p << 2) | (s << 1) | d) of the code is the
// result, so P=0xF0, S=0xCC, D=0xAA give back the code itself.
// All operations act on the full 32-bit pixel, alpha byte included, as spice-common's do.
import { Ropd } from '../pixels/draw-ops.ts';

export const Rop = {
  CLEAR: 0,
  AND: 1,
  AND_REVERSE: 2,
  COPY: 3,
  AND_INVERTED: 4,
  NOOP: 5,
  XOR: 6,
  OR: 7,
  NOR: 8,
  EQUIV: 9,
  INVERT: 10,
  OR_REVERSE: 11,
  COPY_INVERTED: 12,
  OR_INVERTED: 13,
  NAND: 14,
  SET: 15,
} as const;

/** Which operand of a drawing command plays the ROP's "source" or "destination" role. */
export type RopInput = 'src' | 'brush' | 'dest';

const INVERT_BIT: Record<RopInput, number> = { src: Ropd.INVERS_SRC, brush: Ropd.INVERS_BRUSH, dest: Ropd.INVERS_DEST };

/** Builds a GX code from a boolean function of (s, d). */
function gxCode(f: (s: number, d: number) => number): number {
  return (f(1, 1) & 1) | ((f(1, 0) & 1) << 1) | ((f(0, 1) & 1) << 2) | ((f(0, 0) & 1) << 3);
}

/**
 * A SPICE rop descriptor to a binary ROP, as spice-common's ropd_descriptor_to_rop: `srcInput`
 * and `destInput` say which INVERS_* bit inverts the ROP's s and d operands. For OP_PUT only the
 * source inversion and INVERS_RES count.
 */
export function ropFromDescriptor(desc: number, srcInput: RopInput, destInput: RopInput): number {
  const invS = desc & INVERT_BIT[srcInput] ? 1 : 0;
  const invD = desc & INVERT_BIT[destInput] ? 1 : 0;
  const invR = desc & Ropd.INVERS_RES ? 1 : 0;
  if (desc & Ropd.OP_PUT) return invS ^ invR ? Rop.COPY_INVERTED : Rop.COPY;
  if (desc & Ropd.OP_OR) return gxCode((s, d) => ((s ^ invS) | (d ^ invD)) ^ invR);
  if (desc & Ropd.OP_AND) return gxCode((s, d) => ((s ^ invS) & (d ^ invD)) ^ invR);
  if (desc & Ropd.OP_XOR) return gxCode((s, d) => (s ^ invS ^ d ^ invD) ^ invR);
  if (desc & Ropd.OP_BLACKNESS) return Rop.CLEAR;
  if (desc & Ropd.OP_WHITENESS) return Rop.SET;
  if (desc & Ropd.OP_INVERS) return Rop.INVERT;
  return Rop.COPY;
}

/** One pixel through a binary ROP. */
export function applyRop(rop: number, s: number, d: number): number {
  let r = 0;
  if (rop & 1) r |= s & d;
  if (rop & 2) r |= s & ~d;
  if (rop & 4) r |= ~s & d;
  if (rop & 8) r |= ~s & ~d;
  return r >>> 0;
}

/** dst[off .. off+len) = rop(color, dst). */
export function ropSpanSolid(dst: Uint32Array, off: number, len: number, color: number, rop: number): void {
  const end = off + len;
  switch (rop) {
    case Rop.COPY:
      dst.fill(color >>> 0, off, end);
      return;
    case Rop.NOOP:
      return;
    case Rop.CLEAR:
      dst.fill(0, off, end);
      return;
    case Rop.SET:
      dst.fill(0xffffffff, off, end);
      return;
    case Rop.XOR:
      for (let i = off; i < end; i++) dst[i] ^= color;
      return;
    case Rop.INVERT:
      for (let i = off; i < end; i++) dst[i] = ~dst[i];
      return;
    default: {
      const mA = rop & 1 ? -1 : 0;
      const mB = rop & 2 ? -1 : 0;
      const mC = rop & 4 ? -1 : 0;
      const mD = rop & 8 ? -1 : 0;
      const s = color | 0;
      for (let i = off; i < end; i++) {
        const d = dst[i];
        dst[i] = (s & d & mA) | (s & ~d & mB) | (~s & d & mC) | (~s & ~d & mD);
      }
    }
  }
}

/** dst[doff ..] = rop(src[soff ..], dst[doff ..]) for `len` pixels; src must not alias dst. */
export function ropSpanCopy(dst: Uint32Array, doff: number, src: Uint32Array, soff: number, len: number, rop: number): void {
  const end = doff + len;
  switch (rop) {
    case Rop.COPY:
      dst.set(src.subarray(soff, soff + len), doff);
      return;
    case Rop.NOOP:
      return;
    case Rop.CLEAR:
      dst.fill(0, doff, end);
      return;
    case Rop.SET:
      dst.fill(0xffffffff, doff, end);
      return;
    case Rop.XOR:
      for (let i = doff, j = soff; i < end; i++, j++) dst[i] ^= src[j];
      return;
    default: {
      const mA = rop & 1 ? -1 : 0;
      const mB = rop & 2 ? -1 : 0;
      const mC = rop & 4 ? -1 : 0;
      const mD = rop & 8 ? -1 : 0;
      for (let i = doff, j = soff; i < end; i++, j++) {
        const s = src[j];
        const d = dst[i];
        dst[i] = (s & d & mA) | (s & ~d & mB) | (~s & d & mC) | (~s & ~d & mD);
      }
    }
  }
}

/**
 * dst[doff ..] = rop3(P, S, D) for `len` pixels, with P from pat[poff ..] (or `patColor` when
 * `pat` is null) and S from src[soff ..]. The code's truth table is expanded into its minterms.
 */
export function rop3Span(
  code: number,
  dst: Uint32Array,
  doff: number,
  src: Uint32Array,
  soff: number,
  pat: Uint32Array | null,
  poff: number,
  patColor: number,
  len: number,
): void {
  const m = new Int32Array(8);
  for (let i = 0; i < 8; i++) m[i] = (code >> i) & 1 ? -1 : 0;
  const [m0, m1, m2, m3, m4, m5, m6, m7] = m;
  for (let k = 0; k < len; k++) {
    const p = pat ? pat[poff + k] | 0 : patColor | 0;
    const s = src[soff + k] | 0;
    const d = dst[doff + k] | 0;
    const np = ~p;
    const ns = ~s;
    const nd = ~d;
    dst[doff + k] =
      (np & ns & nd & m0) |
      (np & ns & d & m1) |
      (np & s & nd & m2) |
      (np & s & d & m3) |
      (p & ns & nd & m4) |
      (p & ns & d & m5) |
      (p & s & nd & m6) |
      (p & s & d & m7);
  }
}
