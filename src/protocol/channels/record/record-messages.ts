// Record channel message numbers and bodies (spice.proto `channel RecordChannel`, spice-protocol
// enums.h; layouts in docs/protocol.md "Playback and record"): the server's START/STOP/VOLUME/MUTE
// parsed with bounds, and the client's DATA/MODE/START_MARK built.
import { ProtocolError, type WireContext } from '../../wire/errors.ts';
import { WireReader } from '../../wire/reader.ts';
import { WireWriter } from '../../wire/writer.ts';
import { readAudioStreamFormat, readVolumes, type AudioDataMode } from '../../audio/audio-format.ts';

/** Server to client. */
export const RecordMsg = {
  START: 101,
  STOP: 102,
  VOLUME: 103,
  MUTE: 104,
} as const;

/** Client to server. */
export const RecordMsgc = {
  DATA: 101,
  MODE: 102,
  START_MARK: 103,
} as const;

export const recordMessageNames: Record<number, string> = {
  [RecordMsg.START]: 'START',
  [RecordMsg.STOP]: 'STOP',
  [RecordMsg.VOLUME]: 'VOLUME',
  [RecordMsg.MUTE]: 'MUTE',
};

/** Record channel caps (SPICE_RECORD_CAP_*). CELT_0_5_1 is never announced. */
export const RecordCap = { CELT_0_5_1: 0, VOLUME: 1, OPUS: 2 } as const;

export type RecordMessage =
  | { kind: 'start'; channels: number; format: number; frequency: number }
  | { kind: 'stop' }
  | { kind: 'volume'; volume: number[] }
  | { kind: 'mute'; muted: boolean };

/** Parses one record message body; a malformed one throws a ProtocolError naming the message and what was wrong. */
export function parseRecordMessage(type: number, body: Uint8Array, context: WireContext = {}): RecordMessage {
  const r = new WireReader(body, 0, { ...context, messageType: type, messageName: recordMessageNames[type] });
  switch (type) {
    case RecordMsg.START:
      return { kind: 'start', ...readAudioStreamFormat(r) };
    case RecordMsg.STOP:
      return { kind: 'stop' };
    case RecordMsg.VOLUME:
      return { kind: 'volume', volume: readVolumes(r) };
    case RecordMsg.MUTE:
      return { kind: 'mute', muted: r.u8() !== 0 };
    default:
      throw new ProtocolError(`unknown record message ${type}`, 0, { ...context, messageType: type });
  }
}

/** DATA: u32 time, then the payload to the end (interleaved S16LE stereo for RAW, one Opus packet for OPUS). */
export const buildRecordData = (time: number, payload: Uint8Array): Uint8Array =>
  new WireWriter(4 + payload.byteLength).u32(time >>> 0).bytes(payload).finish();

/** MODE: u32 time, u16 mode, and no mode data (no codec needs any). */
export const buildRecordMode = (time: number, mode: AudioDataMode): Uint8Array => new WireWriter(6).u32(time >>> 0).u16(mode).finish();

/** START_MARK: u32 time. */
export const buildRecordStartMark = (time: number): Uint8Array => new WireWriter(4).u32(time >>> 0).finish();
