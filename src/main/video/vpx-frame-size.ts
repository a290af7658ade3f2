// The picture size a VP8 or VP9 frame declares, read from its header before the frame reaches
// libvpx: a hostile server could otherwise make the decoder allocate for 16383x16383 pictures.
// VP8: RFC 6386 §9.1 (key frames carry the size; other frames keep it). VP9: the uncompressed
// header of the VP9 bitstream specification §6.2 (key and intra-only frames carry it, inter frames
// carry it or take a reference frame's), inside a superframe (Annex B) when there are several.
import { SpiceError } from '../../protocol/wire/errors.ts';

export interface FrameSize {
  width: number;
  height: number;
}

/** The size a VP8 frame sets, or null for a frame that keeps the stream's (an inter frame). */
export function vp8FrameSize(frame: Uint8Array): FrameSize | null {
  if (frame.length < 3) throw new SpiceError('protocol', `a VP8 frame of ${frame.length} bytes is shorter than its 3-byte tag`);
  const keyFrame = (frame[0] & 1) === 0;
  if (!keyFrame) return null;
  if (frame.length < 10 || frame[3] !== 0x9d || frame[4] !== 0x01 || frame[5] !== 0x2a) {
    throw new SpiceError('protocol', 'a VP8 key frame without its start code (9d 01 2a)');
  }
  return { width: (frame[6] | (frame[7] << 8)) & 0x3fff, height: (frame[8] | (frame[9] << 8)) & 0x3fff };
}

class BitReader {
  private bit = 0;
  private readonly bytes: Uint8Array;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  read(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) {
      const byte = this.bit >> 3;
      if (byte >= this.bytes.length) throw new SpiceError('protocol', 'a VP9 frame header runs past the end of the frame');
      v = v * 2 + ((this.bytes[byte] >> (7 - (this.bit & 7))) & 1);
      this.bit++;
    }
    return v;
  }
}

const VP9_SYNC_CODE = 0x498342;
const VP9_CS_RGB = 7;

/** The frames a VP9 packet holds: itself, or the frames of its superframe index. */
export function vp9Frames(packet: Uint8Array): Uint8Array[] {
  if (packet.length === 0) throw new SpiceError('protocol', 'an empty VP9 frame');
  const marker = packet[packet.length - 1];
  if ((marker & 0xe0) !== 0xc0) return [packet];
  const count = (marker & 7) + 1;
  const sizeBytes = ((marker >> 3) & 3) + 1;
  const indexBytes = 2 + sizeBytes * count;
  if (packet.length < indexBytes || packet[packet.length - indexBytes] !== marker) return [packet];
  const frames: Uint8Array[] = [];
  let at = 0;
  let entry = packet.length - indexBytes + 1;
  for (let i = 0; i < count; i++) {
    let size = 0;
    for (let b = 0; b < sizeBytes; b++) size += packet[entry++] * 2 ** (8 * b);
    if (at + size > packet.length - indexBytes) throw new SpiceError('protocol', `a VP9 superframe's frame ${i} runs past the superframe`);
    frames.push(packet.subarray(at, at + size));
    at += size;
  }
  return frames;
}

/** The size a VP9 frame sets, or null for one that shows or takes a reference frame's. */
export function vp9FrameSize(frame: Uint8Array): FrameSize | null {
  const r = new BitReader(frame);
  if (r.read(2) !== 2) throw new SpiceError('protocol', 'a VP9 frame without its frame marker');
  const profile = r.read(1) | (r.read(1) << 1);
  if (profile === 3 && r.read(1) !== 0) throw new SpiceError('protocol', 'a VP9 profile 3 frame with its reserved bit set');
  if (r.read(1) === 1) return null; // show_existing_frame
  const keyFrame = r.read(1) === 0;
  const showFrame = r.read(1) === 1;
  const errorResilient = r.read(1) === 1;
  const size = (): FrameSize => ({ width: r.read(16) + 1, height: r.read(16) + 1 });
  const syncCode = (): void => {
    if (r.read(24) !== VP9_SYNC_CODE) throw new SpiceError('protocol', 'a VP9 key or intra-only frame without its sync code');
  };
  const colorConfig = (): void => {
    if (profile >= 2) r.read(1); // ten_or_twelve_bit
    const colorSpace = r.read(3);
    if (colorSpace !== VP9_CS_RGB) {
      r.read(1); // color_range
      if (profile === 1 || profile === 3) r.read(3); // subsampling_x, subsampling_y, reserved_zero
    } else if (profile === 1 || profile === 3) {
      r.read(1); // reserved_zero
    }
  };
  if (keyFrame) {
    syncCode();
    colorConfig();
    return size();
  }
  const intraOnly = showFrame ? false : r.read(1) === 1;
  if (!errorResilient) r.read(2); // reset_frame_context
  if (intraOnly) {
    syncCode();
    if (profile > 0) colorConfig();
    r.read(8); // refresh_frame_flags
    return size();
  }
  r.read(8); // refresh_frame_flags
  for (let i = 0; i < 3; i++) r.read(4); // ref_frame_idx, ref_frame_sign_bias
  for (let i = 0; i < 3; i++) if (r.read(1) === 1) return null; // found_ref: a reference's size
  return size();
}

/**
 * Throws SpiceError when `frame` of `codecName` declares a picture of more pixels than the
 * `width`×`height` the stream (or its STREAM_DATA_SIZED message) said.
 */
export function checkFrameSize(codecName: 'VP8' | 'VP9', frame: Uint8Array, width: number, height: number): void {
  const sizes = codecName === 'VP8' ? [vp8FrameSize(frame)] : vp9Frames(frame).map(vp9FrameSize);
  for (const s of sizes) {
    if (s && s.width * s.height > width * height) {
      throw new SpiceError('protocol', `a ${codecName} frame declares a ${s.width}x${s.height} picture, larger than the stream's ${width}x${height}`);
    }
  }
}
