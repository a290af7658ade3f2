// The playback channel over an in-memory server: the caps it announces follow the host's
// AudioCapabilities (never CELT), its events follow the messages, a malformed message is reported
// and skipped while the channel goes on, and the session links it for channel type 5.
import { describe, expect, it } from 'vitest';
import { AudioDataMode, noAudioCapabilities, type AudioCapabilities } from '../../../../src/protocol/audio/audio-format.ts';
import { PlaybackChannel, type PlaybackEvents } from '../../../../src/protocol/channels/playback/playback-channel.ts';
import { PlaybackCap, PlaybackMsg } from '../../../../src/protocol/channels/playback/playback-messages.ts';
import { RecordChannel } from '../../../../src/protocol/channels/record/record-channel.ts';
import { RecordCap } from '../../../../src/protocol/channels/record/record-messages.ts';
import { cliAudioCapabilities } from '../../../../src/main/audio/cli-audio-capabilities.ts';
import { miniMessage } from '../../../helpers/server-messages.ts';
import { memorySession } from '../../../helpers/memory-session.ts';
import { waitUntil } from '../../../helpers/wait.ts';
import { announcedChannelCaps, linkedAudioChannel } from './audio-link.ts';
import { dataBody, modeBody, opusPacket, qemuModeRaw, sinePcm, startBody, u32Body, u8Body, volumeBody } from './audio-bodies.ts';

const all: AudioCapabilities = { opusDecode: true, opusEncode: true, volume: true, latency: true };

type Seen = { [K in keyof PlaybackEvents]: [K, PlaybackEvents[K]] }[keyof PlaybackEvents];

function watch(channel: PlaybackChannel): Seen[] {
  const seen: Seen[] = [];
  for (const name of ['mode', 'start', 'data', 'stop', 'volume', 'mute', 'latency', 'message-error'] as const) {
    channel.events.on(name, (payload) => seen.push([name, payload] as Seen));
  }
  return seen;
}

describe('PlaybackChannel caps', () => {
  it('announces OPUS, VOLUME and LATENCY only where the host honours them, never CELT', async () => {
    const cases: [AudioCapabilities, number[]][] = [
      [all, [PlaybackCap.VOLUME, PlaybackCap.LATENCY, PlaybackCap.OPUS]],
      [noAudioCapabilities, []],
      [cliAudioCapabilities, [PlaybackCap.VOLUME, PlaybackCap.OPUS]],
      [{ ...noAudioCapabilities, volume: true }, [PlaybackCap.VOLUME]],
      [{ ...noAudioCapabilities, latency: true, opusEncode: true }, [PlaybackCap.LATENCY]],
    ];
    for (const [audio, expected] of cases) {
      const link = await linkedAudioChannel((host) => new PlaybackChannel(host, 0, audio), [1, 3]);
      expect(link.announced).toEqual(expected);
      await link.close();
    }
  });
});

describe('PlaybackChannel messages', () => {
  it('emits mode, start, data, volume, mute, latency and stop as they arrive, and every raw body', async () => {
    const link = await linkedAudioChannel((host) => new PlaybackChannel(host, 0, all), [1, 3]);
    const seen = watch(link.channel);
    const raw: [number, bigint][] = [];
    link.channel.events.on('message', ({ type, serial }) => raw.push([type, serial]));
    const pcm = sinePcm();
    link.server.feed(miniMessage(PlaybackMsg.MODE, qemuModeRaw));
    link.server.feed(miniMessage(PlaybackMsg.VOLUME, volumeBody(0, 65535)));
    link.server.feed(miniMessage(PlaybackMsg.START, startBody({ time: 500 })));
    link.server.feed(miniMessage(PlaybackMsg.DATA, dataBody(500, pcm)));
    link.server.feed(miniMessage(PlaybackMsg.MODE, modeBody(510, AudioDataMode.OPUS)));
    link.server.feed(miniMessage(PlaybackMsg.DATA, dataBody(510, opusPacket())));
    link.server.feed(miniMessage(PlaybackMsg.MUTE, u8Body(1)));
    link.server.feed(miniMessage(PlaybackMsg.LATENCY, u32Body(250)));
    link.server.feed(miniMessage(PlaybackMsg.STOP));
    await waitUntil('STOP handled', () => seen.some(([k]) => k === 'stop'), 5000);
    expect(seen.map(([k]) => k)).toEqual(['mode', 'volume', 'start', 'data', 'mode', 'data', 'mute', 'latency', 'stop']);
    expect(seen[0][1]).toEqual({ time: 0x10bcc7, mode: AudioDataMode.RAW });
    expect(seen[1][1]).toEqual({ volume: [0, 65535] });
    expect(seen[2][1]).toEqual({ channels: 2, format: 1, frequency: 48000, time: 500 });
    const [, first] = seen[3] as ['data', PlaybackEvents['data']];
    expect(first.mode).toBe(AudioDataMode.RAW);
    expect(first.time).toBe(500);
    expect(Array.from(first.payload)).toEqual(Array.from(pcm));
    const [, second] = seen[5] as ['data', PlaybackEvents['data']];
    expect(second.mode).toBe(AudioDataMode.OPUS);
    expect(second.payload.byteLength).toBe(128);
    expect(seen[6][1]).toEqual({ muted: true });
    expect(seen[7][1]).toEqual({ ms: 250 });
    expect(raw.map(([t]) => t)).toEqual([102, 105, 103, 101, 102, 101, 106, 107, 104]);
    expect(raw.map(([, s]) => s)).toEqual([1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n]);
    expect(link.channel.stream).toBeNull();
    expect(link.channel.mode).toBe(AudioDataMode.OPUS);
    expect(link.channel.counts).toEqual({ data: 2, starts: 1, errors: 0 });
    await link.close();
  });

  it('skips malformed messages with an error naming them, and goes on', async () => {
    const link = await linkedAudioChannel((host) => new PlaybackChannel(host, 0, all));
    const seen = watch(link.channel);
    link.server.feed(miniMessage(PlaybackMsg.MODE, modeBody(1, 2))); // CELT
    link.server.feed(miniMessage(PlaybackMsg.MODE, qemuModeRaw));
    link.server.feed(miniMessage(PlaybackMsg.START, startBody({ channels: 2 })));
    link.server.feed(miniMessage(PlaybackMsg.DATA, dataBody(1, new Uint8Array(1918 + 1)))); // not whole frames
    link.server.feed(miniMessage(PlaybackMsg.VOLUME, Uint8Array.of(250, 1, 0))); // lying count
    link.server.feed(miniMessage(PlaybackMsg.START, new Uint8Array(3))); // truncated
    link.server.feed(miniMessage(PlaybackMsg.DATA, dataBody(2, sinePcm())));
    await waitUntil('the last DATA', () => seen.some(([k]) => k === 'data'), 5000);
    const errors = seen.filter(([k]) => k === 'message-error').map(([, e]) => (e as { message: string }).message);
    expect(errors).toHaveLength(4);
    expect(errors[0]).toMatch(/playback channel, message MODE \(102\), offset 4/);
    expect(errors[1]).toMatch(/a RAW packet of 1919 bytes is not a whole number of 4-byte frames.*DATA \(101\)/);
    expect(errors[2]).toMatch(/volume list claims 250 entries.*VOLUME \(105\)/);
    expect(errors[3]).toMatch(/START \(103\)/);
    expect(seen.map(([k]) => k)).toEqual(['message-error', 'mode', 'start', 'message-error', 'message-error', 'message-error', 'data']);
    expect(link.channel.state).toBe('ready');
    expect(link.channel.counts.errors).toBe(4);
    await link.close();
  });
});

describe('the session and the sound channels', () => {
  it('links a PlaybackChannel for type 5 and a RecordChannel for type 6 with the session\'s AudioCapabilities', async () => {
    const { session, received } = await memorySession({
      channels: [[5, 0], [6, 0]],
      channelCaps: (type) => (type === 6 ? [1 << RecordCap.OPUS] : []),
      audio: { opusDecode: true, opusEncode: false, volume: true, latency: false },
    });
    const linkMess = new Map([5, 6].map((type) => [type, received(type)[0]]));
    expect(session.channels.get('5:0')).toBeInstanceOf(PlaybackChannel);
    expect(session.channels.get('6:0')).toBeInstanceOf(RecordChannel);
    expect(announcedChannelCaps(linkMess.get(5)!.linkMess!)).toEqual([PlaybackCap.VOLUME, PlaybackCap.OPUS]);
    expect(announcedChannelCaps(linkMess.get(6)!.linkMess!)).toEqual([RecordCap.VOLUME]);
    expect((session.channels.get('6:0') as RecordChannel).serverTakesOpus).toBe(true);
    session.close();
  });
});
