// The display channel's messages that the video tests watch through the SPICE relay: their numbers
// and the fields the tests read. Written from docs/protocol.md ("Video streams") and shared with no
// src/protocol code, so that a wrong constant in the client shows up.

/** The display channel's type. */
export const DISPLAY = 2;
export const COPY_BITS = 104;
export const STREAM_CREATE = 122;
export const STREAM_DATA = 123;
export const STREAM_DESTROY = 125;
export const STREAM_DATA_SIZED = 316;
/** The draw messages (DRAW_FILL ... DRAW_COMPOSITE): what a server sends instead of stream frames. */
export const DRAW_FIRST = 302;
export const DRAW_LAST = 318;
/** Client to server. */
export const STREAM_REPORT = 102;

export const u32 = (b: Uint8Array, at: number): number => new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(at, true);
export const i32 = (b: Uint8Array, at: number): number => new DataView(b.buffer, b.byteOffset, b.byteLength).getInt32(at, true);

export interface StreamReportFields {
  streamId: number;
  frames: number;
  drops: number;
  lastFrameDelay: number;
}

/** The fields of a STREAM_REPORT body the tests look at. */
export const readStreamReport = (body: Uint8Array): StreamReportFields => ({
  streamId: u32(body, 0),
  frames: u32(body, 16),
  drops: u32(body, 20),
  lastFrameDelay: i32(body, 24),
});

/** num_frames 0 with num_drops 0xFFFFFFFF: "I cannot decode this stream". */
export const isCannotDecode = (r: { frames: number; drops: number }): boolean => r.frames === 0 && r.drops === 0xffffffff;
