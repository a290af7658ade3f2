// Playback channel message numbers and bodies (spice.proto `channel PlaybackChannel`, spice-protocol
// enums.h; layouts in docs/protocol.md "Playback and record"). Parsing is pure and bounded, so a
// page that is handed the raw body can parse it itself with the same function.
import { ProtocolError, type WireContext } from '../../wire/errors.ts';
import { WireReader } from '../../wire/reader.ts';
import {
  audioDataModeNames,
  isAudioDataMode,
  MAX_AUDIO_PAYLOAD,
  readAudioStreamFormat,
  readVolumes,
  type AudioDataMode,
} from '../../audio/audio-format.ts';

export const PlaybackMsg = {
  DATA: 101,
  MODE: 102,
  START: 103,
  STOP: 104,
  VOLUME: 105,
  MUTE: 106,
  LATENCY: 107,
} as const;

export const playbackMessageNames: Record<number, string> = {
  [PlaybackMsg.DATA]: 'DATA',
  [PlaybackMsg.MODE]: 'MODE',
  [PlaybackMsg.START]: 'START',
  [PlaybackMsg.STOP]: 'STOP',
  [PlaybackMsg.VOLUME]: 'VOLUME',
  [PlaybackMsg.MUTE]: 'MUTE',
  [PlaybackMsg.LATENCY]: 'LATENCY',
};

/** Playback channel caps (SPICE_PLAYBACK_CAP_*). CELT_0_5_1 is never announced. */
export const PlaybackCap = { CELT_0_5_1: 0, VOLUME: 1, LATENCY: 2, OPUS: 3 } as const;

/** A LATENCY above this is not a buffering request any server makes (spice-server asks for a few hundred ms). */
export const MAX_PLAYBACK_LATENCY_MS = 60_000;

export type PlaybackMessage =
  | { kind: 'data'; time: number; payload: Uint8Array }
  | { kind: 'mode'; time: number; mode: AudioDataMode; data: Uint8Array }
  | { kind: 'start'; channels: number; format: number; frequency: number; time: number }
  | { kind: 'stop' }
  | { kind: 'volume'; volume: number[] }
  | { kind: 'mute'; muted: boolean }
  | { kind: 'latency'; ms: number };

/**
 * Parses one playback message body. Throws a ProtocolError naming the message and what was wrong:
 * a truncated body, an unknown data mode (CELT included), a format no server sends, a payload over
 * MAX_AUDIO_PAYLOAD, a volume list longer than its body, or an unknown message number.
 */
export function parsePlaybackMessage(type: number, body: Uint8Array, context: WireContext = {}): PlaybackMessage {
  // DATA comes 100 times a second: a well-formed one is read without a reader and the error
  // context it would only need for a malformed one (which the general path below reports).
  if (type === PlaybackMsg.DATA && body.byteLength >= 4 && body.byteLength - 4 <= MAX_AUDIO_PAYLOAD) {
    const time = (body[0] | (body[1] << 8) | (body[2] << 16)) + body[3] * 0x1000000;
    return { kind: 'data', time, payload: body.subarray(4) };
  }
  const r: WireReader = new WireReader(body, 0, { ...context, messageType: type, messageName: playbackMessageNames[type] });
  switch (type) {
    case PlaybackMsg.DATA: {
      const time = r.u32();
      if (r.remaining > MAX_AUDIO_PAYLOAD) r.fail(`an audio packet of ${r.remaining} bytes (at most ${MAX_AUDIO_PAYLOAD} accepted)`);
      return { kind: 'data', time, payload: r.rest() };
    }
    case PlaybackMsg.MODE: {
      const time = r.u32();
      const modeAt = r.offset;
      const mode = r.u16();
      if (!isAudioDataMode(mode)) r.fail(`audio data mode ${audioDataModeNames[mode] ?? mode} (only RAW 1 and OPUS 3 are played)`, modeAt);
      if (r.remaining > MAX_AUDIO_PAYLOAD) r.fail(`${r.remaining} bytes of mode data (at most ${MAX_AUDIO_PAYLOAD} accepted)`);
      return { kind: 'mode', time, mode, data: r.rest() };
    }
    case PlaybackMsg.START: {
      const format = readAudioStreamFormat(r);
      const time = r.u32();
      return { kind: 'start', ...format, time };
    }
    case PlaybackMsg.STOP:
      return { kind: 'stop' };
    case PlaybackMsg.VOLUME:
      return { kind: 'volume', volume: readVolumes(r) };
    case PlaybackMsg.MUTE:
      return { kind: 'mute', muted: r.u8() !== 0 };
    case PlaybackMsg.LATENCY: {
      const ms = r.u32();
      if (ms > MAX_PLAYBACK_LATENCY_MS) r.fail(`a latency of ${ms} ms (at most ${MAX_PLAYBACK_LATENCY_MS} accepted)`, 0);
      return { kind: 'latency', ms };
    }
    default:
      throw new ProtocolError(`unknown playback message ${type}`, 0, { ...context, messageType: type });
  }
}
