// The page's sound with a real Linux guest under QEMU (test/peers/guest.ts: the HDA card on QEMU's
// spice audio, Master and Capture at 100 %): the guest's mixer volume and mute (amixer) reach the
// page as VOLUME and MUTE and set its gain; `aplay` of a 440 Hz tone in the guest comes out of the
// page's worklet (QEMU sends Opus); the page's microphone (Chromium's fake device playing a 660 Hz
// WAV) is what `arecord` in the guest records, sent as Opus (QEMU takes it).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s16Bytes } from '../../src/protocol/audio/pcm.ts';
import { parseWav, wavHeader } from '../../src/protocol/audio/wav.ts';
import { channelOf, middle, rms, sineS16, windowedFrequency } from '../helpers/audio-analysis.ts';
import { waitUntil } from '../helpers/wait.ts';
import { startGuest, type Guest } from '../peers/guest.ts';
import { launchChromium, openSessionPage, pageProblems } from './browser-page.ts';
import { pageState, takeAudioTap } from './page-api.ts';
import { startServe, type ServeProcess } from './serve-process.ts';

const BOOT_TIMEOUT_MS = 180_000;
const AMPLITUDE = 0.5;
const wavOf = (pcm: Int16Array): Buffer => Buffer.concat([wavHeader(2, 48000, pcm.byteLength), s16Bytes(pcm)]);

const work = mkdtempSync(join(tmpdir(), 'spicedesk-audio-guest-page-'));
let guest: Guest | undefined;
let serve: ServeProcess | undefined;
let browser: Browser | undefined;
let page: Page | undefined;

beforeAll(async () => {
  guest = await startGuest({
    devices: ['audio'],
    files: {
      '/tone.wav': wavOf(sineS16({ hz: 440, seconds: 3, rate: 48000, channels: 2, amplitude: AMPLITUDE })),
      '/long.wav': wavOf(sineS16({ hz: 440, seconds: 20, rate: 48000, channels: 2, amplitude: AMPLITUDE / 4 })),
    },
  });
  console.log(`audio guest: booted in ${guest.bootMs} ms`);
  serve = await startServe([`spice://127.0.0.1:${guest.port}`]);
  const mic = join(work, 'mic.wav');
  writeFileSync(mic, wavOf(sineS16({ hz: 660, seconds: 30, rate: 48000, channels: 2, amplitude: AMPLITUDE })));
  browser = await launchChromium([
    '--autoplay-policy=no-user-gesture-required',
    '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream',
    `--use-file-for-fake-audio-capture=${mic}`,
  ]);
  page = await openSessionPage(browser, serve.url, 60_000);
  await page.uncheck('#mic-processing');
}, BOOT_TIMEOUT_MS);
afterAll(async () => {
  await browser?.close();
  await serve?.stop();
  await guest?.stop();
  rmSync(work, { recursive: true, force: true });
});

const audio = async () => (await pageState(page!)).audio;

describe('the page with a real guest', () => {
  it('applies the guest mixer\'s volume and mute (amixer in the guest, while it plays)', { timeout: 120_000 }, async () => {
    const g = guest!;
    // QEMU forwards the HDA mixer to the client while the guest plays (seen: changes made while
    // nothing plays arrive with the next playback's start), so a quiet tone plays meanwhile.
    // Played over and over until the mixer's changes have come, then killed: kill() ends the
    // loop's shell and the aplay under it (the peer runs the command in a process group of its own).
    const playing = await g.spawn('while :; do aplay -q -D plughw:0,0 /long.wav || exit; done');
    try {
      await waitUntil('the page plays at the init script\'s 100 %, unmuted', async () => {
        const a = await audio();
        return a.playback.stream !== null && !a.playback.guest.muted && (a.playback.guest.volume ?? [0])[0] === 65535;
      }, 60_000, { explain: async () => JSON.stringify((await audio()).playback) });
      expect(await g.run('amixer -q -c0 sset Master 50%')).toEqual({ output: '', status: 0 });
      await waitUntil('the lower volume reached the page', async () => {
        const v = (await audio()).playback.guest.volume ?? [65535];
        return v[0] > 0 && v[0] < 65535;
      }, 30_000, { explain: async () => JSON.stringify((await audio()).playback.guest) });
      const half = (await audio()).playback.guest;
      expect(half.muted).toBe(false);
      expect(await g.run('amixer -q -c0 sset Master mute')).toEqual({ output: '', status: 0 });
      await waitUntil('the mute reached the page', async () => (await audio()).playback.guest.muted, 30_000, { explain: async () => JSON.stringify((await audio()).playback.guest) });
      expect(await g.run('amixer -q -c0 sset Master 100% unmute')).toEqual({ output: '', status: 0 });
      await waitUntil('unmuted at full volume again', async () => {
        const a = (await audio()).playback.guest;
        return !a.muted && (a.volume ?? [0])[0] === 65535;
      }, 30_000, { explain: async () => JSON.stringify((await audio()).playback.guest) });
      console.log(`guest mixer at 50 %: VOLUME ${JSON.stringify(half.volume)}`);
    } finally {
      await playing.kill();
      // Ended by the TERM (128 + 15), not by reaching the file's end.
      expect((await playing.wait({ timeoutMs: 10_000 })).status).toBe(128 + 15);
    }
    await waitUntil('the page stopped playing', async () => (await audio()).playback.stream === null, 30_000);
  });

  it('plays what aplay plays in the guest (Opus from QEMU)', { timeout: 120_000 }, async () => {
    const p = page!;
    await p.evaluate(() => window.spicedeskPage!.audioTap(true));
    const played = await guest!.run('aplay -q -D plughw:0,0 /tone.wav', { timeoutMs: 60_000 });
    expect(played).toEqual({ output: '', status: 0 });
    await waitUntil('the page played it out', async () => {
      const a = await audio();
      return a.playback.stream === null && a.playout?.state === 'idle';
    }, 30_000, { explain: async () => JSON.stringify(await audio()) });
    const a = await audio();
    expect(a.playback.mode).toBe('opus');
    const { rate, samples } = await takeAudioTap(p);
    const left = new Float64Array(samples.length / 2);
    for (let i = 0; i < left.length; i++) left[i] = samples[2 * i];
    const start = left.findIndex((v) => Math.abs(v) > AMPLITUDE * 0.5);
    const steady = middle(left.subarray(Math.max(0, start)), 0.5);
    // Windowed: a skip of the page's playout under load is a jump, not a change of pitch.
    const hz = windowedFrequency(steady, rate);
    const level = rms(steady) / (AMPLITUDE / Math.SQRT2);
    console.log(`guest aplay -> page: ${hz.toFixed(3)} Hz, level ${level.toFixed(4)}; playout ${JSON.stringify(a.playout)}; playback ${JSON.stringify(a.playback)}`);
    expect(Math.abs(hz - 440)).toBeLessThan(440 * 0.0025);
    expect(Math.abs(level - 1)).toBeLessThan(0.1);
    expect(pageProblems(p)).toEqual([]);
  });

  it('is what arecord records in the guest, from the page\'s microphone (Opus)', { timeout: 120_000 }, async () => {
    const recorded = await guest!.run('arecord -q -D plughw:0,0 -f S16_LE -c 2 -r 48000 -d 3 /heard.wav', { timeoutMs: 60_000 });
    expect(recorded).toEqual({ output: '', status: 0 });
    // arecord has ended in the guest; the server's RECORD STOP is still on its way to the page.
    await waitUntil('the microphone closed after STOP', async () => (await audio()).microphone.state === 'off', 15_000, {
      explain: async () => JSON.stringify((await audio()).microphone),
    });
    const a = await audio();
    expect(a.microphone.mode).toBe(null);
    expect(a.microphone.state).toBe('off');
    expect(a.microphone.opusPackets).toBeGreaterThan(100);
    expect(a.sent.recordPackets).toBe(a.microphone.opusPackets);
    const wav = parseWav(new Uint8Array(await guest!.readFile('/heard.wav')));
    const signal = channelOf(wav.samples, 2, 0);
    const start = signal.findIndex((v) => Math.abs(v) > AMPLITUDE * 32767 * 0.5);
    const steady = middle(signal.subarray(Math.max(0, start)), 0.6);
    // Windowed: spice-server's ring drops samples when the page sends a burst after a stall.
    const hz = windowedFrequency(steady, 48000);
    const level = rms(steady) / ((AMPLITUDE * 32767) / Math.SQRT2);
    console.log(`page microphone -> guest arecord: ${wav.frames} frames from ${start}, ${hz.toFixed(3)} Hz, level ${level.toFixed(4)}, ${a.microphone.opusPackets} Opus packets`);
    // The server/QEMU side loses about 0.3 % of the samples at fixed points (audio-guest.test.ts):
    // the same bound as the command line's speak.
    expect(Math.abs(hz - 660)).toBeLessThan(4);
    expect(Math.abs(level - 1)).toBeLessThan(0.1);
  });

  it('sends at the guest\'s capture volume (amixer Capture 50 %: record VOLUME from QEMU), which QEMU leaves to the client', { timeout: 120_000 }, async () => {
    const g = guest!;
    expect(await g.run('amixer -q -c0 sset Capture 50%')).toEqual({ output: '', status: 0 });
    try {
      const recorded = await g.run('arecord -q -D plughw:0,0 -f S16_LE -c 2 -r 48000 -d 3 /quiet.wav', { timeoutMs: 60_000 });
      expect(recorded).toEqual({ output: '', status: 0 });
      const mixer = (await audio()).microphone.guest;
      const wav = parseWav(new Uint8Array(await g.readFile('/quiet.wav')));
      const signal = channelOf(wav.samples, 2, 0);
      // From where the page's sound arrives (QEMU gives silence until it has enough), its steady part.
      const start = signal.findIndex((v) => Math.abs(v) > AMPLITUDE * 32767 * 0.05);
      const steady = middle(signal.subarray(Math.max(0, start)), 0.6);
      const level = rms(steady) / ((AMPLITUDE * 32767) / Math.SQRT2);
      const expected = ((mixer.volume ?? [65535])[0] / 65535) ** 3;
      console.log(`guest Capture 50 %: record VOLUME ${JSON.stringify(mixer)}, arecord level ${level.toFixed(4)} (the cubic curve gives ${expected.toFixed(4)})`);
      expect(mixer.muted).toBe(false);
      expect(mixer.volume).not.toBeNull();
      expect(mixer.volume![0]).toBeLessThan(65535);
      expect(mixer.volume![0]).toBeGreaterThan(0);
      // Applied once, by the page (QEMU does not scale what it records when the client does).
      expect(Math.abs(level / expected - 1)).toBeLessThan(0.1);
    } finally {
      await g.run('amixer -q -c0 sset Capture 100%');
    }
  });
});
