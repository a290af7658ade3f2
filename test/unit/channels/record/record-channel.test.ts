// The record channel over an in-memory server: caps from the host's AudioCapabilities, START/STOP
// events with whether Opus is used, and sendAudio's framing: MODE + START_MARK once per START, then
// DATA; packets while not started, in a mode the recording does not take, or of a bad size are
// dropped and counted, never sent.
import { describe, expect, it } from 'vitest';
import { AudioDataMode, noAudioCapabilities, type AudioCapabilities } from '../../../../src/protocol/audio/audio-format.ts';
import { RecordChannel, type RecordStart } from '../../../../src/protocol/channels/record/record-channel.ts';
import { RecordCap, RecordMsg, RecordMsgc } from '../../../../src/protocol/channels/record/record-messages.ts';
import { miniMessage } from '../../../helpers/server-messages.ts';
import { waitUntil } from '../../../helpers/wait.ts';
import { linkedAudioChannel } from '../playback/audio-link.ts';
import { recordStartBody, sinePcm, u8Body, volumeBody } from '../playback/audio-bodies.ts';

const all: AudioCapabilities = { opusDecode: true, opusEncode: true, volume: true, latency: true };
const u32 = (b: Uint8Array, at = 0) => new DataView(b.buffer, b.byteOffset).getUint32(at, true);
const u16 = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset).getUint16(at, true);

async function started(audio: AudioCapabilities, serverCaps: number[], frequency = 48000) {
  const link = await linkedAudioChannel((host) => new RecordChannel(host, 0, audio), serverCaps);
  const starts: RecordStart[] = [];
  link.channel.events.on('start', (s) => starts.push(s));
  link.server.feed(miniMessage(RecordMsg.START, recordStartBody({ frequency })));
  await waitUntil('START handled', () => starts.length === 1, 5000);
  return { ...link, starts };
}

describe('RecordChannel caps', () => {
  it('announces VOLUME and OPUS only where the host honours them, never CELT', async () => {
    for (const [audio, expected] of [
      [all, [RecordCap.VOLUME, RecordCap.OPUS]],
      [noAudioCapabilities, []],
      [{ ...all, opusEncode: false }, [RecordCap.VOLUME]],
      [{ ...noAudioCapabilities, opusEncode: true, opusDecode: true, latency: true }, [RecordCap.OPUS]],
    ] as [AudioCapabilities, number[]][]) {
      const link = await linkedAudioChannel((host) => new RecordChannel(host, 0, audio), [1, 2]);
      expect(link.announced).toEqual(expected);
      await link.close();
    }
  });

  it('records in Opus only when the server takes it at an Opus rate and the host encodes it', async () => {
    const cases: [AudioCapabilities, number[], number, boolean][] = [
      [all, [RecordCap.VOLUME, RecordCap.OPUS], 48000, true],
      [all, [RecordCap.VOLUME], 48000, false],
      [{ ...all, opusEncode: false }, [RecordCap.OPUS], 48000, false],
      [all, [RecordCap.OPUS], 44100, false],
    ];
    for (const [audio, serverCaps, frequency, opus] of cases) {
      const link = await started(audio, serverCaps, frequency);
      expect(link.starts[0]).toEqual({ channels: 2, format: 1, frequency, opus });
      await link.close();
    }
  });
});

describe('RecordChannel.sendAudio', () => {
  it('sends MODE and START_MARK once per START, then DATA; drops packets outside START..STOP', async () => {
    const link = await linkedAudioChannel((host) => new RecordChannel(host, 0, noAudioCapabilities));
    const pcm = sinePcm();
    expect(link.channel.sendAudio(pcm, AudioDataMode.RAW, 1)).toBe(false);
    link.server.feed(miniMessage(RecordMsg.START, recordStartBody()));
    await waitUntil('START handled', () => link.channel.started !== null, 5000);
    expect(link.channel.sendAudio(pcm, AudioDataMode.RAW, 100)).toBe(true);
    expect(link.channel.sendAudio(pcm, AudioDataMode.RAW, 110)).toBe(true);
    const stops: unknown[] = [];
    link.channel.events.on('stop', (s) => stops.push(s));
    link.server.feed(miniMessage(RecordMsg.STOP));
    await waitUntil('STOP handled', () => stops.length === 1, 5000);
    expect(link.channel.sendAudio(pcm, AudioDataMode.RAW, 120)).toBe(false);
    link.server.feed(miniMessage(RecordMsg.START, recordStartBody()));
    await waitUntil('the second START', () => link.channel.started !== null, 5000);
    expect(link.channel.sendAudio(pcm, AudioDataMode.RAW, 200)).toBe(true);
    const sent = link.sent();
    expect(sent.map((m) => m.type)).toEqual([RecordMsgc.MODE, RecordMsgc.START_MARK, RecordMsgc.DATA, RecordMsgc.DATA, RecordMsgc.MODE, RecordMsgc.START_MARK, RecordMsgc.DATA]);
    expect([u32(sent[0].body), u16(sent[0].body, 4), sent[0].body.byteLength]).toEqual([100, AudioDataMode.RAW, 6]);
    expect(Array.from(sent[1].body)).toEqual([100, 0, 0, 0]);
    expect(u32(sent[2].body)).toBe(100);
    expect(Array.from(sent[2].body.subarray(4))).toEqual(Array.from(pcm));
    expect(u32(sent[3].body)).toBe(110);
    expect(u32(sent[5].body)).toBe(200);
    expect(link.channel.drops).toEqual({ notStarted: 2, wrongMode: 0, badSize: 0 });
    expect(link.channel.sentPackets).toBe(3);
    await link.close();
  });

  it('drops OPUS for a RAW recording, empty, oversized and partial-frame packets; sends MODE again when the mode changes', async () => {
    const raw = await started(all, [RecordCap.VOLUME]);
    expect(raw.channel.sendAudio(new Uint8Array(120), AudioDataMode.OPUS, 1)).toBe(false);
    expect(raw.channel.sendAudio(new Uint8Array(0), AudioDataMode.RAW, 1)).toBe(false);
    expect(raw.channel.sendAudio(new Uint8Array(1922), AudioDataMode.RAW, 1)).toBe(false);
    expect(raw.channel.sendAudio(new Uint8Array(8192 * 4 + 4), AudioDataMode.RAW, 1)).toBe(false);
    expect(raw.channel.sendAudio(sinePcm(), 7 as AudioDataMode, 1)).toBe(false);
    expect(raw.channel.drops).toEqual({ notStarted: 0, wrongMode: 2, badSize: 3 });
    expect(raw.sent()).toEqual([]);
    await raw.close();

    const opus = await started(all, [RecordCap.OPUS]);
    expect(opus.channel.sendAudio(Uint8Array.of(0xf4, 1, 2), AudioDataMode.OPUS, 5)).toBe(true);
    expect(opus.channel.sendAudio(sinePcm(), AudioDataMode.RAW, 15)).toBe(true);
    expect(opus.channel.sendAudio(Uint8Array.of(0xf4, 3), AudioDataMode.OPUS, 25)).toBe(true);
    const sent = opus.sent();
    expect(sent.map((m) => m.type)).toEqual([RecordMsgc.MODE, RecordMsgc.START_MARK, RecordMsgc.DATA, RecordMsgc.MODE, RecordMsgc.DATA, RecordMsgc.MODE, RecordMsgc.DATA]);
    expect(sent.filter((m) => m.type === RecordMsgc.MODE).map((m) => u16(m.body, 4))).toEqual([3, 1, 3]);
    await opus.close();
  });

  it('reports VOLUME and MUTE, and skips a malformed message with an error', async () => {
    const link = await linkedAudioChannel((host) => new RecordChannel(host, 0, all));
    const seen: string[] = [];
    link.channel.events.on('volume', ({ volume }) => seen.push(`volume ${volume.join(',')}`));
    link.channel.events.on('mute', ({ muted }) => seen.push(`mute ${muted}`));
    link.channel.events.on('message-error', ({ message }) => seen.push(message));
    link.server.feed(miniMessage(RecordMsg.START, recordStartBody({ format: 7 })));
    link.server.feed(miniMessage(RecordMsg.VOLUME, volumeBody(3, 4)));
    link.server.feed(miniMessage(RecordMsg.MUTE, u8Body(0)));
    await waitUntil('MUTE handled', () => seen.length === 3, 5000);
    expect(seen[0]).toMatch(/audio format 7.*record channel, message START \(101\), offset 4/);
    expect(seen.slice(1)).toEqual(['volume 3,4', 'mute false']);
    expect(link.channel.started).toBeNull();
    expect(link.channel.state).toBe('ready');
    await link.close();
  });
});
