// The playback parsers on the bodies real servers send, and on truncated, oversized and lying ones:
// each malformed body throws a ProtocolError naming the message and what was wrong.
import { describe, expect, it } from 'vitest';
import { AudioDataMode, MAX_AUDIO_PAYLOAD } from '../../../../src/protocol/audio/audio-format.ts';
import { parsePlaybackMessage, PlaybackMsg } from '../../../../src/protocol/channels/playback/playback-messages.ts';
import { ProtocolError } from '../../../../src/protocol/wire/errors.ts';
import { dataBody, modeBody, opusPacket, qemuModeRaw, sinePcm, startBody, u32Body, u8Body, volumeBody } from './audio-bodies.ts';

const parse = (type: number, body: Uint8Array) => parsePlaybackMessage(type, body, { channel: 'playback' });
const fails = (type: number, body: Uint8Array, pattern: RegExp) => {
  expect(() => parse(type, body)).toThrow(ProtocolError);
  expect(() => parse(type, body)).toThrow(pattern);
};

describe('parsePlaybackMessage', () => {
  it('reads the MODE QEMU sends after the link, and OPUS', () => {
    expect(parse(PlaybackMsg.MODE, qemuModeRaw)).toEqual({ kind: 'mode', time: 0x10bcc7, mode: AudioDataMode.RAW, data: new Uint8Array(0) });
    expect(parse(PlaybackMsg.MODE, modeBody(77, 3))).toMatchObject({ kind: 'mode', time: 77, mode: AudioDataMode.OPUS });
  });

  it('reads START: 2 channels, S16, 48000 Hz and the server time', () => {
    expect(parse(PlaybackMsg.START, startBody({ time: 0xfffffff0 }))).toEqual({ kind: 'start', channels: 2, format: 1, frequency: 48000, time: 0xfffffff0 });
  });

  it('reads DATA as time and payload (a 1920-byte RAW packet, a 128-byte Opus packet) without copying', () => {
    const pcm = sinePcm();
    const body = dataBody(1000, pcm);
    const m = parse(PlaybackMsg.DATA, body);
    expect(m).toMatchObject({ kind: 'data', time: 1000 });
    if (m.kind !== 'data') throw new Error('not data');
    expect(m.payload.byteLength).toBe(1920);
    expect(m.payload.buffer).toBe(body.buffer);
    expect(Array.from(m.payload)).toEqual(Array.from(pcm));
    const opus = parse(PlaybackMsg.DATA, dataBody(1010, opusPacket()));
    expect(opus.kind === 'data' && opus.payload[0]).toBe(0xf4);
  });

  it("reads DATA's time as an unsigned 32-bit number and a body of a time only as an empty packet", () => {
    expect(parse(PlaybackMsg.DATA, dataBody(0xfffffff0, opusPacket()))).toMatchObject({ kind: 'data', time: 0xfffffff0 });
    const m = parse(PlaybackMsg.DATA, dataBody(0x80000001, new Uint8Array(0)));
    expect(m).toMatchObject({ kind: 'data', time: 0x80000001 });
    expect(m.kind === 'data' && m.payload.byteLength).toBe(0);
  });

  it('reads STOP, VOLUME (QEMU: [0, 65535] then [0, 0]), MUTE and LATENCY', () => {
    expect(parse(PlaybackMsg.STOP, new Uint8Array(0))).toEqual({ kind: 'stop' });
    expect(parse(PlaybackMsg.VOLUME, volumeBody(0, 65535))).toEqual({ kind: 'volume', volume: [0, 65535] });
    expect(parse(PlaybackMsg.VOLUME, volumeBody())).toEqual({ kind: 'volume', volume: [] });
    expect(parse(PlaybackMsg.MUTE, u8Body(1))).toEqual({ kind: 'mute', muted: true });
    expect(parse(PlaybackMsg.MUTE, u8Body(0))).toEqual({ kind: 'mute', muted: false });
    expect(parse(PlaybackMsg.LATENCY, u32Body(400))).toEqual({ kind: 'latency', ms: 400 });
  });

  it('refuses truncated bodies, naming the message', () => {
    fails(PlaybackMsg.MODE, qemuModeRaw.subarray(0, 5), /u16 needs 2 bytes but only 1 remain.*MODE \(102\)/);
    fails(PlaybackMsg.START, startBody().subarray(0, 13), /START \(103\)/);
    fails(PlaybackMsg.DATA, new Uint8Array(3), /u32 needs 4 bytes but only 3 remain.*DATA \(101\)/);
    fails(PlaybackMsg.MUTE, new Uint8Array(0), /MUTE \(106\)/);
    fails(PlaybackMsg.LATENCY, new Uint8Array(2), /LATENCY \(107\)/);
  });

  it('refuses a volume list longer than its body before allocating it', () => {
    fails(PlaybackMsg.VOLUME, Uint8Array.of(200, 1, 0, 2, 0), /volume list claims 200 entries of 2 bytes but only 4 bytes remain.*VOLUME \(105\)/);
  });

  it('refuses unknown and dead data modes', () => {
    fails(PlaybackMsg.MODE, modeBody(1, 2), /audio data mode CELT_0_5_1 \(only RAW 1 and OPUS 3 are played\).*offset 4/);
    fails(PlaybackMsg.MODE, modeBody(1, 0), /audio data mode INVALID/);
    fails(PlaybackMsg.MODE, modeBody(1, 9), /audio data mode 9/);
  });

  it('refuses a START format no server sends', () => {
    fails(PlaybackMsg.START, startBody({ channels: 0 }), /0 audio channels \(1 to 8 accepted\).*offset 0/);
    fails(PlaybackMsg.START, startBody({ channels: 0xffffffff }), /4294967295 audio channels/);
    fails(PlaybackMsg.START, startBody({ format: 2 }), /audio format 2 \(only S16, 1, exists\).*offset 4/);
    fails(PlaybackMsg.START, startBody({ frequency: 0 }), /an audio frequency of 0 Hz.*offset 6/);
    fails(PlaybackMsg.START, startBody({ frequency: 10_000_000 }), /10000000 Hz/);
  });

  it('refuses an oversized packet, a huge latency and an unknown message', () => {
    fails(PlaybackMsg.DATA, dataBody(1, new Uint8Array(MAX_AUDIO_PAYLOAD + 1)), new RegExp(`an audio packet of ${MAX_AUDIO_PAYLOAD + 1} bytes`));
    expect(parse(PlaybackMsg.DATA, dataBody(1, new Uint8Array(MAX_AUDIO_PAYLOAD))).kind).toBe('data');
    fails(PlaybackMsg.LATENCY, u32Body(0xffffffff), /a latency of 4294967295 ms/);
    fails(150, new Uint8Array(0), /unknown playback message 150/);
  });
});
