// The sound parts of the bridge: PLAYBACK and RECORD bodies to the page, RECORD_DATA and
// AUDIO_CLOCK from it (checked as hostile input by the host), and the page's audio capabilities in
// its HELLO.
import { describe, expect, it } from 'vitest';
import { AudioDataMode, MAX_AUDIO_PAYLOAD } from '../../../src/protocol/audio/audio-format.ts';
import { BridgeError } from '../../../src/protocol/bridge/bridge-fields.ts';
import { decodeHostMessage, decodeHostPacket, encodeHostMessage, encodeHostPacket } from '../../../src/protocol/bridge/host-codec.ts';
import { BRIDGE_VERSION, HostKind, UiKind } from '../../../src/protocol/bridge/kinds.ts';
import { decodeUiMessage, encodeUiMessage } from '../../../src/protocol/bridge/ui-codec.ts';

const V = BRIDGE_VERSION;

function errorOf(bytes: Uint8Array): string {
  try {
    decodeUiMessage(bytes, V);
  } catch (e) {
    expect(e).toBeInstanceOf(BridgeError);
    return (e as Error).message;
  }
  throw new Error('accepted');
}

describe('PLAYBACK and RECORD', () => {
  it('carry the channel message body as it came, through a packet', () => {
    const body = new Uint8Array([1, 2, 3, 4, 5]);
    const playback = { kind: 'playback' as const, channelId: 0, type: 101, serial: 77n, body };
    const record = { kind: 'record' as const, channelId: 1, type: 101, opus: true, body };
    const decoded = decodeHostPacket(encodeHostPacket([encodeHostMessage(playback), encodeHostMessage(record)]));
    expect(decoded).toEqual([playback, record]);
    expect(decodeHostMessage(encodeHostMessage({ ...record, opus: false }))).toEqual({ ...record, opus: false });
  });

  it('refuses cut headers and unknown record flags', () => {
    expect(() => decodeHostMessage(new Uint8Array([HostKind.PLAYBACK, 0, 101]))).toThrow(/PLAYBACK: message type needs 2 bytes/);
    expect(() => decodeHostMessage(new Uint8Array([HostKind.RECORD, 0, 101, 0, 2]))).toThrow(/RECORD: flags 0x2 has bits outside 0x1/);
  });
});

describe('RECORD_DATA and AUDIO_CLOCK', () => {
  it('round-trip', () => {
    const data = { kind: 'record-data' as const, mode: AudioDataMode.OPUS, time: 0xfffffff0, payload: new Uint8Array([0xf4, 1, 2]) };
    expect(decodeUiMessage(encodeUiMessage(data), V)).toEqual(data);
    const raw = { ...data, mode: AudioDataMode.RAW, payload: new Uint8Array(1920) };
    expect(decodeUiMessage(encodeUiMessage(raw), V)).toEqual(raw);
    expect(decodeUiMessage(encodeUiMessage({ kind: 'audio-clock', mmNow: 123456 }), V)).toEqual({ kind: 'audio-clock', mmNow: 123456 });
  });

  it('refuses an unknown mode, no audio, too much audio, RAW that is not whole frames, a cut clock', () => {
    const data = (mode: number, payload: number[] | Uint8Array) => new Uint8Array([UiKind.RECORD_DATA, mode, 0, 0, 0, 0, ...payload]);
    expect(errorOf(data(2, [1]))).toMatch(/RECORD_DATA: mode 2 is neither RAW \(1\) nor OPUS \(3\)/);
    expect(errorOf(data(3, []))).toMatch(/RECORD_DATA: no audio/);
    expect(errorOf(data(3, new Uint8Array(MAX_AUDIO_PAYLOAD + 1)))).toMatch(new RegExp(`${MAX_AUDIO_PAYLOAD + 1} bytes of audio; a packet holds at most ${MAX_AUDIO_PAYLOAD}`));
    expect(errorOf(data(1, [1, 2, 3, 4, 5, 6]))).toMatch(/6 bytes of RAW audio is not whole stereo 16-bit frames/);
    expect(errorOf(new Uint8Array([UiKind.AUDIO_CLOCK, 1, 2]))).toMatch(/AUDIO_CLOCK: media time needs 4 bytes/);
    expect(errorOf(new Uint8Array([UiKind.AUDIO_CLOCK, 1, 2, 3, 4, 5]))).toMatch(/1 unexpected bytes/);
  });
});

describe('the HELLO audio capabilities', () => {
  it('round-trip, and absent means none', () => {
    const audio = { opusDecode: true, opusEncode: false, volume: true, latency: false };
    const m = decodeUiMessage(encodeUiMessage({ kind: 'hello', version: V, target: 2, videoCodecs: [], audio }), V);
    expect(m).toEqual({ kind: 'hello', version: V, target: 2, videoCodecs: [], audio });
    const none = decodeUiMessage(encodeUiMessage({ kind: 'hello', version: V, target: 0 }), V);
    expect(none.kind === 'hello' && none.audio).toEqual({ opusDecode: false, opusEncode: false, volume: false, latency: false });
  });

  it('refuses unknown flags and a HELLO without them', () => {
    const bytes = encodeUiMessage({ kind: 'hello', version: V, target: 0 });
    const withFlags = (flags: number) => new Uint8Array([...bytes.subarray(0, bytes.length - 1), flags]);
    expect(errorOf(withFlags(0x10))).toMatch(/audio capabilities 0x10 has bits outside 0xf/);
    expect(errorOf(bytes.subarray(0, bytes.length - 1))).toMatch(/audio capabilities needs 1 bytes/);
  });
});
