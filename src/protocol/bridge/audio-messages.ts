// Sound over the bridge (kinds 0x38-0x3f host -> page, 0xb8-0xbf page -> host): the playback and
// record channels' message bodies as they came from the server (the page parses them with the
// channels' own parsers, as it does display and cursor bodies), the microphone's packets for the
// record channel (RECORD_DATA), the multimedia time the page hears now (AUDIO_CLOCK: the session's
// clock follows it, as spice-gtk's follows its sink), and what the page can do with sound (a field
// of its HELLO).
import { MAX_AUDIO_PAYLOAD, type AudioCapabilities, type AudioDataMode } from '../audio/audio-format.ts';
import { AudioDataMode as Mode } from '../audio/audio-format.ts';
import { WireWriter } from '../wire/writer.ts';
import type { FieldReader } from './bridge-fields.ts';
import { FieldReader as Reader } from './bridge-fields.ts';
import { HostKind, UiKind } from './kinds.ts';

/** Bytes before the body of a PLAYBACK message (kind, channel id, type, serial: the CURSOR layout). */
export const PLAYBACK_HEADER_BYTES = 12;
/** Bytes before the body of a RECORD message (kind, channel id, type, flags). */
export const RECORD_HEADER_BYTES = 5;

const RecordFlag = { OPUS: 1 } as const;
const CapabilityFlag = { OPUS_DECODE: 1, OPUS_ENCODE: 2, VOLUME: 4, LATENCY: 8 } as const;
const ALL_CAPABILITY_FLAGS = 0xf;

export type AudioHostMessage =
  /** A playback channel message body (type 101 and up) as received. */
  | { kind: 'playback'; channelId: number; type: number; serial: bigint; body: Uint8Array }
  /**
   * A record channel message body as received; `opus`: the server takes Opus from this host (its
   * record cap OPUS, and the page said it encodes Opus), so the page sends Opus after START.
   */
  | { kind: 'record'; channelId: number; type: number; opus: boolean; body: Uint8Array };

export type AudioUiMessage =
  /** One packet of the microphone: 480 stereo frames, RAW S16LE or one Opus packet. */
  | { kind: 'record-data'; mode: AudioDataMode; time: number; payload: Uint8Array }
  /** The multimedia time (ms, wrapping u32) of the sound the page's listener hears now. */
  | { kind: 'audio-clock'; mmNow: number };

export function encodeAudioHostMessage(m: AudioHostMessage): Uint8Array {
  if (m.kind === 'playback') {
    const out = new Uint8Array(PLAYBACK_HEADER_BYTES + m.body.byteLength);
    const view = new DataView(out.buffer);
    view.setUint8(0, HostKind.PLAYBACK);
    view.setUint8(1, m.channelId);
    view.setUint16(2, m.type, true);
    view.setBigUint64(4, m.serial, true);
    out.set(m.body, PLAYBACK_HEADER_BYTES);
    return out;
  }
  return new WireWriter(RECORD_HEADER_BYTES + m.body.byteLength)
    .u8(HostKind.RECORD)
    .u8(m.channelId)
    .u16(m.type)
    .u8(m.opus ? RecordFlag.OPUS : 0)
    .bytes(m.body)
    .finish();
}

/** Null when the kind is not this file's; a BridgeError for a malformed message. */
export function decodeAudioHostMessage(bytes: Uint8Array): AudioHostMessage | null {
  switch (bytes[0]) {
    case HostKind.PLAYBACK: {
      const r = new Reader(bytes, 'host', 'PLAYBACK');
      const channelId = r.u8('channel id');
      const type = r.u16('message type');
      const serial = r.u64('serial');
      return { kind: 'playback', channelId, type, serial, body: r.rest() };
    }
    case HostKind.RECORD: {
      const r = new Reader(bytes, 'host', 'RECORD');
      const channelId = r.u8('channel id');
      const type = r.u16('message type');
      const flags = r.u8('flags');
      if (flags & ~RecordFlag.OPUS) r.fail(`flags 0x${flags.toString(16)} has bits outside 0x${RecordFlag.OPUS.toString(16)}`);
      return { kind: 'record', channelId, type, opus: (flags & RecordFlag.OPUS) !== 0, body: r.rest() };
    }
    default:
      return null;
  }
}

export function encodeAudioUiMessage(m: AudioUiMessage): Uint8Array {
  if (m.kind === 'audio-clock') return new WireWriter(5).u8(UiKind.AUDIO_CLOCK).u32(m.mmNow >>> 0).finish();
  return new WireWriter(6 + m.payload.byteLength).u8(UiKind.RECORD_DATA).u8(m.mode).u32(m.time >>> 0).bytes(m.payload).finish();
}

/** RECORD_DATA's and AUDIO_CLOCK's fields; the shared UI decoder checks that nothing follows them. */
export function decodeAudioUiMessage(kind: number, r: FieldReader): AudioUiMessage | null {
  switch (kind) {
    case UiKind.RECORD_DATA: {
      const mode = r.u8('mode');
      if (mode !== Mode.RAW && mode !== Mode.OPUS) r.fail(`mode ${mode} is neither RAW (1) nor OPUS (3)`);
      const time = r.u32('time');
      const payload = r.rest();
      if (payload.byteLength === 0) r.fail('no audio');
      if (payload.byteLength > MAX_AUDIO_PAYLOAD) r.fail(`${payload.byteLength} bytes of audio; a packet holds at most ${MAX_AUDIO_PAYLOAD}`);
      // RAW is whole stereo S16 frames.
      if (mode === Mode.RAW && payload.byteLength % 4 !== 0) r.fail(`${payload.byteLength} bytes of RAW audio is not whole stereo 16-bit frames`);
      return { kind: 'record-data', mode, time, payload };
    }
    case UiKind.AUDIO_CLOCK:
      return { kind: 'audio-clock', mmNow: r.u32('media time') };
    default:
      return null;
  }
}

/** The HELLO's audio capabilities: one byte of flags. */
export function encodeAudioCapabilities(w: WireWriter, caps: AudioCapabilities | undefined): WireWriter {
  const c = caps ?? { opusDecode: false, opusEncode: false, volume: false, latency: false };
  return w.u8(
    (c.opusDecode ? CapabilityFlag.OPUS_DECODE : 0) | (c.opusEncode ? CapabilityFlag.OPUS_ENCODE : 0) | (c.volume ? CapabilityFlag.VOLUME : 0) | (c.latency ? CapabilityFlag.LATENCY : 0),
  );
}

export function decodeAudioCapabilities(r: FieldReader): AudioCapabilities {
  const flags = r.u8('audio capabilities');
  if (flags & ~ALL_CAPABILITY_FLAGS) r.fail(`audio capabilities 0x${flags.toString(16)} has bits outside 0x${ALL_CAPABILITY_FLAGS.toString(16)}`);
  return {
    opusDecode: (flags & CapabilityFlag.OPUS_DECODE) !== 0,
    opusEncode: (flags & CapabilityFlag.OPUS_ENCODE) !== 0,
    volume: (flags & CapabilityFlag.VOLUME) !== 0,
    latency: (flags & CapabilityFlag.LATENCY) !== 0,
  };
}
