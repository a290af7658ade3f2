// `do listen` writes what a listener would hear: the guest's playback VOLUME and MUTE (which QEMU
// leaves to a client announcing VOLUME) applied to the packets that came after them, a change
// ramped over one packet, and the result says at which gain.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliAudioCapabilities } from '../../../../src/main/audio/cli-audio-capabilities.ts';
import { listenToPlayback } from '../../../../src/main/audio/playback-recorder.ts';
import { AudioDataMode } from '../../../../src/protocol/audio/audio-format.ts';
import { parseWav } from '../../../../src/protocol/audio/wav.ts';
import { PlaybackChannel } from '../../../../src/protocol/channels/playback/playback-channel.ts';
import { PlaybackMsg } from '../../../../src/protocol/channels/playback/playback-messages.ts';
import { silentLogger } from '../../../../src/protocol/logger.ts';
import { rms } from '../../../helpers/audio-analysis.ts';
import { miniMessage } from '../../../helpers/server-messages.ts';
import { linkedAudioChannel } from '../../channels/playback/audio-link.ts';
import { dataBody, modeBody, sinePcm, startBody, u8Body, volumeBody } from '../../channels/playback/audio-bodies.ts';

const dir = mkdtempSync(join(tmpdir(), 'spicedesk-listen-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FRAMES = 480;
/** The level of 480 stereo frames at ±8000 (sinePcm's 1 kHz: a whole number of periods). */
const FULL = rms(new Int16Array(sinePcm().buffer));
/** Each 480-frame packet's level in the file, relative to the sine as sent. */
const packetLevels = (samples: Int16Array): number[] =>
  Array.from({ length: samples.length / (2 * FRAMES) }, (_, i) => rms(samples.subarray(i * 2 * FRAMES, (i + 1) * 2 * FRAMES)) / FULL);

describe('listen at the guest\'s playback volume and mute', () => {
  it('applies VOLUME (cubic, as spice-gtk) and MUTE to the packets after them, ramping each change over one packet', async () => {
    const link = await linkedAudioChannel((host) => new PlaybackChannel(host, 0, cliAudioCapabilities), [1]);
    const file = join(dir, 'volume.wav');
    const run = listenToPlayback(link.channel, { file, seconds: 12 * 0.01, waitMs: 5000, logger: silentLogger, ended: new Promise(() => {}) });
    const packet = (i: number) => link.server.feed(miniMessage(PlaybackMsg.DATA, dataBody(1 + 10 * i, sinePcm())));
    link.server.feed(miniMessage(PlaybackMsg.MODE, modeBody(1, AudioDataMode.RAW)));
    link.server.feed(miniMessage(PlaybackMsg.START, startBody({ time: 1 })));
    [0, 1].forEach(packet);
    link.server.feed(miniMessage(PlaybackMsg.VOLUME, volumeBody(32768, 32768))); // (32768/65535)^3 = 0.125
    [2, 3, 4].forEach(packet);
    link.server.feed(miniMessage(PlaybackMsg.MUTE, u8Body(1)));
    [5, 6, 7].forEach(packet);
    link.server.feed(miniMessage(PlaybackMsg.MUTE, u8Body(0)));
    link.server.feed(miniMessage(PlaybackMsg.VOLUME, volumeBody(65535, 65535)));
    [8, 9, 10, 11].forEach(packet);
    const result = await run;
    expect(result).toMatchObject({ frames: 12 * FRAMES, ended: 'seconds', gain: { min: 0, max: 1 } });
    const levels = packetLevels(parseWav(new Uint8Array(readFileSync(file))).samples);
    const gain = (32768 / 65535) ** 3;
    // Full; the ramp down; the volume; the ramp to silence; muted; the ramp up; full again.
    expect(levels[0]).toBeCloseTo(1, 2);
    expect(levels[1]).toBeCloseTo(1, 2);
    expect(levels[2]).toBeGreaterThan(gain + 0.1);
    expect(levels[2]).toBeLessThan(0.9);
    expect(levels[3]).toBeCloseTo(gain, 2);
    expect(levels[4]).toBeCloseTo(gain, 2);
    expect(levels[5]).toBeGreaterThan(0.01);
    expect(levels[5]).toBeLessThan(gain);
    expect(levels[6]).toBe(0);
    expect(levels[7]).toBe(0);
    expect(levels[8]).toBeGreaterThan(0.1);
    expect(levels[8]).toBeLessThan(0.9);
    expect(levels[9]).toBeCloseTo(1, 2);
    expect(levels[11]).toBeCloseTo(1, 2);
    await link.close();
  });

  it('keeps a volume sent before listen began (the server sends it right after the link)', async () => {
    const link = await linkedAudioChannel((host) => new PlaybackChannel(host, 0, cliAudioCapabilities), [1]);
    link.server.feed(miniMessage(PlaybackMsg.VOLUME, volumeBody(32768, 32768)));
    await new Promise((r) => setTimeout(r, 20));
    expect(link.channel.guestVolume).toEqual([32768, 32768]);
    const file = join(dir, 'early-volume.wav');
    const run = listenToPlayback(link.channel, { file, seconds: 2 * 0.01, waitMs: 5000, logger: silentLogger, ended: new Promise(() => {}) });
    link.server.feed(miniMessage(PlaybackMsg.START, startBody({ time: 1 })));
    for (const i of [0, 1]) link.server.feed(miniMessage(PlaybackMsg.DATA, dataBody(1 + 10 * i, sinePcm())));
    const result = await run;
    const gain = (32768 / 65535) ** 3;
    expect(result.gain.min).toBeCloseTo(gain, 6);
    expect(result.gain.max).toBeCloseTo(gain, 6);
    // From the first packet on: no ramp from a full level that was never written.
    const levels = packetLevels(parseWav(new Uint8Array(readFileSync(file))).samples);
    expect(levels[0]).toBeCloseTo(gain, 2);
    expect(levels[1]).toBeCloseTo(gain, 2);
    await link.close();
  });
});
