// The record parsers (server to client) and builders (client to server), byte by byte.
import { describe, expect, it } from 'vitest';
import { AudioDataMode } from '../../../../src/protocol/audio/audio-format.ts';
import { buildRecordData, buildRecordMode, buildRecordStartMark, parseRecordMessage, RecordMsg } from '../../../../src/protocol/channels/record/record-messages.ts';
import { ProtocolError } from '../../../../src/protocol/wire/errors.ts';
import { recordStartBody, u8Body, volumeBody } from '../playback/audio-bodies.ts';

const parse = (type: number, body: Uint8Array) => parseRecordMessage(type, body, { channel: 'record' });
const fails = (type: number, body: Uint8Array, pattern: RegExp) => {
  expect(() => parse(type, body)).toThrow(ProtocolError);
  expect(() => parse(type, body)).toThrow(pattern);
};

describe('parseRecordMessage', () => {
  it('reads START as QEMU sends it (2, S16, 48000), STOP, VOLUME and MUTE', () => {
    expect(parse(RecordMsg.START, recordStartBody())).toEqual({ kind: 'start', channels: 2, format: 1, frequency: 48000 });
    expect(parse(RecordMsg.STOP, new Uint8Array(0))).toEqual({ kind: 'stop' });
    expect(parse(RecordMsg.VOLUME, volumeBody(100, 200))).toEqual({ kind: 'volume', volume: [100, 200] });
    expect(parse(RecordMsg.MUTE, u8Body(1))).toEqual({ kind: 'mute', muted: true });
  });

  it('refuses truncated bodies, oversized counts, bad formats and unknown messages', () => {
    fails(RecordMsg.START, recordStartBody().subarray(0, 9), /START \(101\)/);
    fails(RecordMsg.START, recordStartBody({ format: 0 }), /audio format 0/);
    fails(RecordMsg.START, recordStartBody({ channels: 99 }), /99 audio channels/);
    fails(RecordMsg.START, recordStartBody({ frequency: 1 }), /an audio frequency of 1 Hz/);
    fails(RecordMsg.VOLUME, Uint8Array.of(3, 0, 0), /volume list claims 3 entries of 2 bytes but only 2 bytes remain.*VOLUME \(103\)/);
    fails(RecordMsg.MUTE, new Uint8Array(0), /MUTE \(104\)/);
    fails(120, new Uint8Array(0), /unknown record message 120/);
  });
});

describe('record builders', () => {
  it('lays out DATA, MODE and START_MARK as the server reads them', () => {
    expect(Array.from(buildRecordData(0x01020304, Uint8Array.of(9, 8, 7, 6)))).toEqual([4, 3, 2, 1, 9, 8, 7, 6]);
    expect(Array.from(buildRecordMode(5, AudioDataMode.OPUS))).toEqual([5, 0, 0, 0, 3, 0]);
    expect(Array.from(buildRecordMode(-1, AudioDataMode.RAW))).toEqual([255, 255, 255, 255, 1, 0]);
    expect(Array.from(buildRecordStartMark(0x10000))).toEqual([0, 0, 1, 0]);
  });
});
