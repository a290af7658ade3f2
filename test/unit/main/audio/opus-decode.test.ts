// Opus from the playback channel, decoded by opus-decoder (loaded on first use): the packets
// Xspice sent for a 440 Hz sine at half scale (test/fixtures/audio/xspice-opus-440.bin) decode to
// 480 stereo frames each, at 440 Hz and the played level; `do listen` in OPUS mode writes them.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createOpusDecoder } from '../../../../src/main/audio/opus-decode.ts';
import { listenToPlayback } from '../../../../src/main/audio/playback-recorder.ts';
import { cliAudioCapabilities } from '../../../../src/main/audio/cli-audio-capabilities.ts';
import { AudioDataMode } from '../../../../src/protocol/audio/audio-format.ts';
import { parseWav } from '../../../../src/protocol/audio/wav.ts';
import { PlaybackChannel } from '../../../../src/protocol/channels/playback/playback-channel.ts';
import { PlaybackMsg } from '../../../../src/protocol/channels/playback/playback-messages.ts';
import { silentLogger } from '../../../../src/protocol/logger.ts';
import { readRecordedOpus } from '../../../fixtures/audio/recorded-opus.ts';
import { channelOf, middle, rms, toneShare, zeroCrossingFrequency } from '../../../helpers/audio-analysis.ts';
import { miniMessage } from '../../../helpers/server-messages.ts';
import { linkedAudioChannel } from '../../channels/playback/audio-link.ts';
import { dataBody, modeBody, startBody } from '../../channels/playback/audio-bodies.ts';

const recorded = readRecordedOpus(fileURLToPath(new URL('../../../fixtures/audio/xspice-opus-440.bin', import.meta.url)));
const PLAYED_RMS = (0.5 * 32767) / Math.SQRT2;
const dir = mkdtempSync(join(tmpdir(), 'spicedesk-opus-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('createOpusDecoder', () => {
  it('decodes the Opus packets Xspice sent to the tone it played', async () => {
    expect(recorded).toMatchObject({ channels: 2, frequency: 48000 });
    expect(recorded.packets).toHaveLength(100);
    expect(recorded.packets.every((p) => p[0] === 0xf4)).toBe(true); // CELT-only fullband 10 ms stereo
    const decoder = await createOpusDecoder(2, 48000);
    const parts = recorded.packets.map((p) => decoder.decode(p));
    decoder.free();
    expect(parts.every((p) => p.length === 960)).toBe(true);
    const pcm = new Int16Array(parts.flatMap((p) => Array.from(p)));
    for (const c of [0, 1]) {
      const signal = middle(channelOf(pcm, 2, c), 0.6);
      expect(zeroCrossingFrequency(signal, 48000)).toBeCloseTo(440, 1);
      expect(rms(signal) / PLAYED_RMS).toBeGreaterThan(0.97);
      expect(rms(signal) / PLAYED_RMS).toBeLessThan(1.03);
      expect(toneShare(signal, 48000, 440)).toBeGreaterThan(0.99);
    }
  });

  it('refuses streams libopus cannot decode, naming why', async () => {
    await expect(createOpusDecoder(6, 48000)).rejects.toThrow(/an Opus stream of 6 channels \(SPICE sends 1 or 2\)/);
    await expect(createOpusDecoder(2, 44100)).rejects.toThrow(/an Opus stream at 44100 Hz, which is not an Opus rate/);
  });
});

describe('listen in OPUS mode', () => {
  it('writes the decoded tone, exactly as long as asked', async () => {
    const link = await linkedAudioChannel((host) => new PlaybackChannel(host, 0, cliAudioCapabilities));
    const file = join(dir, 'opus.wav');
    const run = listenToPlayback(link.channel, { file, seconds: 0.5, waitMs: 5000, logger: silentLogger, ended: new Promise(() => {}) });
    link.server.feed(miniMessage(PlaybackMsg.MODE, modeBody(1, AudioDataMode.OPUS)));
    link.server.feed(miniMessage(PlaybackMsg.START, startBody({ time: 1 })));
    recorded.packets.forEach((p, i) => link.server.feed(miniMessage(PlaybackMsg.DATA, dataBody(1 + 10 * i, p))));
    const result = await run;
    expect(result).toMatchObject({ channels: 2, frequency: 48000, modes: ['OPUS'], frames: 24000, ended: 'seconds', badPackets: 0 });
    const wav = parseWav(new Uint8Array(readFileSync(file)));
    expect(wav.frames).toBe(24000);
    expect(zeroCrossingFrequency(middle(channelOf(wav.samples, 2, 0)), 48000)).toBeCloseTo(440, 1);
    await link.close();
  });
});
