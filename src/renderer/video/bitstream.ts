// What a decoder must be told about a stream frame before it decodes it, read from the frame's own
// bytes (docs/protocol.md, "Video streams"; multimedia.md §1.5): whether it is a key frame (a
// WebCodecs chunk's type, and the first chunk must be one), and the codec string of the stream
// (H.264's profile and level from its SPS, VP9's profile from the frame header). SPICE sends raw
// frames: VP8 and VP9 without a container, H.264 as an Annex B byte stream.
import { VideoCodec } from '../../protocol/channels/display/display-messages.ts';

const NalType = { IDR: 5, SPS: 7 } as const;

/** The NAL units of an Annex B byte stream (start codes 00 00 01 or 00 00 00 01), without their start codes. */
export function* annexBUnits(data: Uint8Array): Generator<Uint8Array> {
  let start = -1;
  let i = 0;
  while (i + 2 < data.length) {
    if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) {
      if (start >= 0) {
        // A zero before the start code belongs to it (00 00 00 01).
        let end = i;
        if (end > start && data[end - 1] === 0) end--;
        yield data.subarray(start, end);
      }
      i += 3;
      start = i;
      continue;
    }
    i++;
  }
  if (start >= 0 && start < data.length) yield data.subarray(start);
}

/** Whether an H.264 access unit holds an IDR slice (the only H.264 key frame: intra refresh sends just one). */
export function h264IsKeyFrame(data: Uint8Array): boolean {
  for (const nal of annexBUnits(data)) if (nal.length > 0 && (nal[0] & 0x1f) === NalType.IDR) return true;
  return false;
}

/**
 * The WebCodecs codec string of an H.264 stream, `avc1.PPCCLL` from its SPS (profile_idc, the
 * constraint flags, level_idc: the three bytes after the NAL header); null when the frame has no SPS.
 */
export function h264CodecString(data: Uint8Array): string | null {
  for (const nal of annexBUnits(data)) {
    if (nal.length >= 4 && (nal[0] & 0x1f) === NalType.SPS) {
      const hex = (b: number): string => b.toString(16).toUpperCase().padStart(2, '0');
      return `avc1.${hex(nal[1])}${hex(nal[2])}${hex(nal[3])}`;
    }
  }
  return null;
}

/** VP8 (RFC 6386 §9.1): bit 0 of the frame tag is 0 on a key frame. */
export function vp8IsKeyFrame(data: Uint8Array): boolean {
  return data.length >= 3 && (data[0] & 1) === 0;
}

interface Vp9Header {
  profile: number;
  keyFrame: boolean;
}

/**
 * The start of a VP9 uncompressed header (VP9 bitstream spec §6.2), bits from the most significant:
 * frame_marker (2, = 0b10), profile_low_bit, profile_high_bit, a reserved zero when the profile is
 * 3, show_existing_frame, then frame_type (0 = key frame). Null for bytes that are no VP9 frame.
 */
export function vp9Header(data: Uint8Array): Vp9Header | null {
  if (data.length < 2) return null;
  let bit = 0;
  const read = (): number => {
    const byte = data[bit >> 3];
    const v = (byte >> (7 - (bit & 7))) & 1;
    bit++;
    return v;
  };
  if (read() !== 1 || read() !== 0) return null;
  const low = read();
  const high = read();
  const profile = (high << 1) | low;
  if (profile === 3 && read() !== 0) return null;
  // A frame that only shows an earlier one is no key frame.
  if (read() === 1) return { profile, keyFrame: false };
  return { profile, keyFrame: read() === 0 };
}

/** The WebCodecs codec string of a VP9 stream of this profile (level 1.0, 8 bits: the decoder takes any level). */
export const vp9CodecString = (profile: number): string => `vp09.0${profile}.10.08`;

/** Whether a stream frame is a key frame, for the WebCodecs chunk type. MJPEG frames all are. */
export function isKeyFrame(codec: number, data: Uint8Array): boolean {
  switch (codec) {
    case VideoCodec.VP8:
      return vp8IsKeyFrame(data);
    case VideoCodec.VP9:
      return vp9Header(data)?.keyFrame ?? false;
    case VideoCodec.H264:
      return h264IsKeyFrame(data);
    case VideoCodec.H265:
      return h265IsKeyFrame(data);
    default:
      return true;
  }
}

/** H.265: IRAP pictures (NAL types 16-23: BLA, IDR, CRA) start a stream. */
export function h265IsKeyFrame(data: Uint8Array): boolean {
  for (const nal of annexBUnits(data)) {
    const type = nal.length > 0 ? (nal[0] >> 1) & 0x3f : -1;
    if (type >= 16 && type <= 23) return true;
  }
  return false;
}

/**
 * The codec string to configure a decoder with, from the stream's first frame: null when it
 * cannot be read (no SPS in an H.264 frame, no VP9 header), which the decoder reports.
 */
export function codecStringOf(codec: number, firstFrame: Uint8Array): string | null {
  switch (codec) {
    case VideoCodec.VP8:
      return 'vp8';
    case VideoCodec.VP9: {
      const h = vp9Header(firstFrame);
      return h ? vp9CodecString(h.profile) : null;
    }
    case VideoCodec.H264:
      return h264CodecString(firstFrame);
    case VideoCodec.H265:
      // Main profile, level 3.1: hev1 carries its parameter sets in band, as an Annex B stream does.
      return 'hev1.1.6.L93.B0';
    default:
      return null;
  }
}
