// Bodies of the display channel's stream messages, laid out as in spice.proto, for the stream tests.
import type { Rect } from '../../../../src/protocol/pixels/geometry.ts';
import { WireWriter } from '../../../../src/protocol/wire/writer.ts';
import { body } from './body-builder.ts';

export interface StreamCreateFields {
  id: number;
  codec?: number;
  surfaceId?: number;
  /** StreamFlags: 1 = top-down (the default here), 0 = bottom-up. */
  flags?: number;
  width: number;
  height: number;
  dest: Rect;
  /** null: CLIP_TYPE_NONE. */
  clip?: Rect[] | null;
}

export const streamCreate = (f: StreamCreateFields): Uint8Array =>
  body((x) => {
    x.w.u32(f.surfaceId ?? 0).u32(f.id).u8(f.flags ?? 1).u8(f.codec ?? 1).u64(0n);
    x.w.u32(f.width).u32(f.height).u32(f.width).u32(f.height);
    x.rect(f.dest).clip(f.clip ?? null);
  });

export const streamData = (id: number, mmTime: number, frame: Uint8Array): Uint8Array =>
  new WireWriter().u32(id).u32(mmTime).u32(frame.length).bytes(frame).finish();

export const streamDataSized = (id: number, mmTime: number, width: number, height: number, dest: Rect, frame: Uint8Array): Uint8Array =>
  body((x) => {
    x.w.u32(id).u32(mmTime).u32(width).u32(height);
    x.rect(dest).w.u32(frame.length).bytes(frame);
  });

export const streamClip = (id: number, clip: Rect[] | null): Uint8Array =>
  body((x) => {
    x.w.u32(id);
    x.clip(clip);
  });
export const streamDestroy = (id: number): Uint8Array => new WireWriter().u32(id).finish();
export const activateReport = (streamId: number, uniqueId: number, window: number, timeoutMs: number): Uint8Array =>
  new WireWriter().u32(streamId).u32(uniqueId).u32(window).u32(timeoutMs).finish();
