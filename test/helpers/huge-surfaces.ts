// Display message bodies that ask a client for large surfaces and draw over all of them: how the
// memory-budget tests play the server of the issue #11 audit (twelve 8192x8192 surfaces).
import { WireWriter } from '../../src/protocol/wire/writer.ts';
import { body, box } from '../unit/channels/display/body-builder.ts';

/** SURFACE_CREATE: a side x side 32-bit surface; `primary` sets SURFACE_FLAGS_PRIMARY. */
export function surfaceCreateBody(id: number, side: number, primary = false): Uint8Array {
  return new WireWriter().u32(id).u32(side).u32(side).u32(32).u32(primary ? 1 : 0).finish();
}

/** DRAW_FILL of the whole surface with a solid colour (so its pixels are really written). */
export function fillSurfaceBody(id: number, side: number): Uint8Array {
  return body((x) => {
    x.base(id, box(0, 0, side, side));
    x.w.u8(1).u32(0x336699); // solid brush
    x.w.u16(1 << 3); // OP_PUT
    x.noMask();
  });
}
