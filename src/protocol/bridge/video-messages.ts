// Video streams over the bridge (kinds 0x30-0x37 host -> page, 0xb0-0xb7 page -> host): which codecs
// the page decodes (a field of the page's HELLO), the session's multimedia time for the page's
// decode worker (MEDIA_TIME), and a stream the page could not decode (STREAM_ERROR), which the host
// hands to the display channel so that the server is told and sends the area as ordinary draws.
import type { VideoAcceleration, VideoCodecSupport } from '../channels/display/display-sink.ts';
import { VideoCodec } from '../channels/display/display-messages.ts';
import { MAX_STREAM_IDS } from '../channels/display/display-streams.ts';
import { WireWriter } from '../wire/writer.ts';
import { encodeString, FieldReader } from './bridge-fields.ts';
import { HostKind, UiKind } from './kinds.ts';
import { Limits } from './limits.ts';

export interface MediaTimeMessage {
  kind: 'media-time';
  /** The server's multimedia clock now, in ms (a wrapping u32). */
  mmNow: number;
}

export interface StreamErrorMessage {
  kind: 'stream-error';
  /** The display channel's id. */
  channelId: number;
  streamId: number;
  /**
   * The serial of the failed stream's STREAM_CREATE, so that a newer stream of the same id is left
   * alone (PipelineEvent 'stream-error'); absent: whichever stream has the id now. Sent as a u64, 0
   * for absent (SPICE serials start at 1).
   */
  serial?: bigint;
  /** The decoder's sentence, for the host's log. */
  message: string;
}

export type VideoHostMessage = MediaTimeMessage;
export type VideoUiMessage = StreamErrorMessage;

const Acceleration = { SOFTWARE: 0, HARDWARE: 1 } as const;
const knownCodecs = new Set<number>(Object.values(VideoCodec));

export function encodeVideoHostMessage(m: VideoHostMessage): Uint8Array {
  return new WireWriter(5).u8(HostKind.MEDIA_TIME).u32(m.mmNow >>> 0).finish();
}

/** Null when the kind is not this file's; a BridgeError for a malformed message. */
export function decodeVideoHostMessage(bytes: Uint8Array): VideoHostMessage | null {
  if (bytes[0] !== HostKind.MEDIA_TIME) return null;
  const r = new FieldReader(bytes, 'host', 'MEDIA_TIME');
  const mmNow = r.u32('media time');
  r.end();
  return { kind: 'media-time', mmNow };
}

export function encodeVideoUiMessage(m: VideoUiMessage): Uint8Array {
  return new WireWriter(24)
    .u8(UiKind.STREAM_ERROR)
    .u8(m.channelId)
    .u8(m.streamId)
    .u64(m.serial ?? 0n)
    .bytes(encodeString(m.message, Limits.maxStreamErrorBytes))
    .finish();
}

/** STREAM_ERROR's fields; the shared UI decoder checks that nothing follows them. */
export function decodeVideoUiMessage(kind: number, r: FieldReader): VideoUiMessage | null {
  if (kind !== UiKind.STREAM_ERROR) return null;
  const channelId = r.u8('display channel id');
  // Only ids a stream can have: the display channel never reports others to the server.
  const streamId = r.range(r.u8('stream id'), 'stream id', 0, MAX_STREAM_IDS - 1);
  const serial = r.u64('stream serial');
  const message = r.string('message', Limits.maxStreamErrorBytes);
  return serial === 0n ? { kind: 'stream-error', channelId, streamId, message } : { kind: 'stream-error', channelId, streamId, serial, message };
}

/** The HELLO's codec list: a u8 count, then per codec its VideoCodec value and 0 (software) or 1 (hardware). */
export function encodeVideoCodecs(w: WireWriter, codecs: readonly VideoCodecSupport[]): WireWriter {
  const listed = codecs.slice(0, Limits.maxVideoCodecs);
  w.u8(listed.length);
  for (const c of listed) w.u8(c.codec).u8(c.acceleration === 'hardware' ? Acceleration.HARDWARE : Acceleration.SOFTWARE);
  return w;
}

/**
 * The HELLO's codec list, best first as the page gave it. A codec this side does not know (a newer
 * page's) and a repeated one are skipped; a list longer than Limits.maxVideoCodecs or an
 * acceleration other than 0 or 1 is malformed.
 */
export function decodeVideoCodecs(r: FieldReader): VideoCodecSupport[] {
  const n = r.u8('video codec count');
  if (n > Limits.maxVideoCodecs) r.fail(`${n} video codecs listed; a page lists at most ${Limits.maxVideoCodecs}`);
  const out: VideoCodecSupport[] = [];
  for (let i = 0; i < n; i++) {
    const codec = r.u8('video codec');
    const how = r.u8('video codec acceleration');
    if (how !== Acceleration.SOFTWARE && how !== Acceleration.HARDWARE) r.fail(`video codec ${codec}'s acceleration is ${how}, neither 0 (software) nor 1 (hardware)`);
    if (!knownCodecs.has(codec) || out.some((c) => c.codec === codec)) continue;
    const acceleration: VideoAcceleration = how === Acceleration.HARDWARE ? 'hardware' : 'software';
    out.push({ codec, acceleration });
  }
  return out;
}
