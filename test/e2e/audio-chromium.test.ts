// The page's sound in Chromium against Xspice (shared/docs/multimedia.md §4.1): a 440 Hz tone
// written into Xspice's playback FIFO after the page connected comes out of the page's audio
// worklet (its output tapped after the gain, not its input) at 440 Hz and at the level played, in
// RAW and in Opus (WebCodecs AudioDecoder). An idle page suspends its output and plays the next
// sound whole. Under a browser's autoplay policy the page says that sound waits for a click, and
// plays once it got one.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { middle, rms, sineS16, toneShare, windowedTone, zeroCrossingFrequency } from '../helpers/audio-analysis.ts';
import { waitUntil } from '../helpers/wait.ts';
import { playFifo } from '../peers/xspice.ts';
import { openSessionPage, pageProblems } from './browser-page.ts';
import { useGatewayPeers } from './gateway-peers.ts';
import { pageState, takeAudioTap } from './page-api.ts';

const dir = mkdtempSync(join(tmpdir(), 'spicedesk-audio-page-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TONE_HZ = 440;
const AMPLITUDE = 0.5;
const AUTOPLAY = ['--autoplay-policy=no-user-gesture-required'];

function fifoDir(name: string): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  return d;
}

/** Waits until the playback channel linked and the server said its mode (sound before that is lost). */
async function playbackLinked(page: Page): Promise<void> {
  await waitUntil('the page got the playback channel\'s MODE', async () => (await pageState(page)).audio.playback.mode !== null, 20_000, {
    explain: async () => JSON.stringify((await pageState(page)).audio),
  });
}

/** Left channel of the tapped output, from the first to the last sample that is not silence. */
function soundOf(samples: Float32Array): Float64Array {
  const left = new Float64Array(samples.length / 2);
  for (let i = 0; i < left.length; i++) left[i] = samples[2 * i];
  let first = left.findIndex((v) => Math.abs(v) > 1e-3);
  let last = left.length - 1;
  while (last > first && Math.abs(left[last]) <= 1e-3) last--;
  if (first < 0) first = 0;
  return left.subarray(first, last + 1);
}

/**
 * The longest stretch of the signal without a silent gap (a millisecond of zeros): where the
 * server or this loaded machine stalled long enough for the buffer to run dry, the page fades out
 * and back in, and a tone measured across the gap would seem lower.
 */
function longestRun(sound: Float64Array, rate: number): Float64Array {
  const gap = Math.round(rate / 1000);
  let best = { start: 0, end: 0 };
  let start = 0;
  let zeros = 0;
  for (let i = 0; i <= sound.length; i++) {
    const silent = i === sound.length || sound[i] === 0;
    zeros = silent ? zeros + 1 : 0;
    if (zeros === gap || i === sound.length) {
      const end = i - zeros + 1;
      if (end - start > best.end - best.start) best = { start, end };
    }
    if (!silent && zeros === 0 && i > 0 && sound[i - 1] === 0) {
      // A run starts after a gap.
      if (i - start > gap && best.end !== i) start = i;
    }
  }
  return sound.subarray(best.start, best.end);
}

/**
 * The smallest share of a 100 ms window's energy at that window's own frequency: the drift
 * correction plays the tone up to 0.2 % off 440 Hz and changes that as it goes, which a single
 * long Goertzel at one frequency would take for another tone.
 */
function worstWindowShare(signal: Float64Array, rate: number): number {
  const n = rate / 10;
  let worst = 1;
  for (let o = 0; o + n <= signal.length; o += n) {
    const w = signal.subarray(o, o + n);
    worst = Math.min(worst, toneShare(w, rate, zeroCrossingFrequency(w, rate)));
  }
  return worst;
}

/** The largest step between neighbouring samples: a click is far larger than a tone's own step. */
function largestStep(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 1; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - x[i - 1]));
  return m;
}

/** The steepest step a sine of AMPLITUDE at TONE_HZ makes at 48 kHz. */
const TONE_STEP = AMPLITUDE * 2 * Math.sin((Math.PI * TONE_HZ) / 48000);

interface Measured {
  hz: number;
  level: number;
  /** The tone's share of the worst 50 ms window of the longest run, and of the median one. */
  share: number;
  medianShare: number;
  /** Seconds from the first sound to the last, and of the longest run without a gap. */
  seconds: number;
  runSeconds: number;
  /** RMS of left minus right over RMS of left. */
  channelDifference: number;
  /** The largest step between samples, over the tone's own largest: a click shows as far over 1. */
  stepRatio: number;
}

/** Plays the tone and returns the measured output. */
async function playAndMeasure(page: Page, fifos: string, seconds: number): Promise<Measured> {
  await page.evaluate(() => window.spicedeskPage!.audioTap(true));
  const tone = sineS16({ hz: TONE_HZ, seconds, rate: 48000, channels: 2, amplitude: AMPLITUDE });
  await playFifo(fifos, tone);
  // Played out: the STOP came and the buffer ran empty.
  await waitUntil('the page played the tone out', async () => {
    const a = (await pageState(page)).audio;
    return a.playback.stream === null && a.playout?.state === 'idle' && a.playout.framesOut > 0;
  }, 20_000, { explain: async () => JSON.stringify((await pageState(page)).audio) });
  const { rate, samples } = await takeAudioTap(page);
  expect(rate).toBe(48000);
  const sound = soundOf(samples);
  const run = longestRun(sound, rate);
  const steady = middle(run, 0.8);
  // The same tone went into both channels: how far apart they came out (0 for RAW; Opus is lossy).
  let difference = 0;
  let energy = 0;
  for (let i = 0; i < samples.length; i += 2) {
    difference += (samples[i] - samples[i + 1]) ** 2;
    energy += samples[i] ** 2;
  }
  const hz = zeroCrossingFrequency(steady, rate);
  return {
    hz,
    level: rms(steady) / (AMPLITUDE / Math.SQRT2),
    share: worstWindowShare(steady, rate),
    // The median window's: a skip after a stall (allowed below) jumps the tone's phase once.
    medianShare: windowedTone(steady, rate, TONE_HZ).share,
    seconds: sound.length / rate,
    runSeconds: run.length / rate,
    channelDifference: energy > 0 ? Math.sqrt(difference / energy) : 1,
    stepRatio: largestStep(sound) / TONE_STEP,
  };
}

/** The share of the longest run's energy at the tone's frequency: Opus is lossy, and a dropped server frame leaves a phase jump. */
const toneShareFloor = (opus: boolean): number => (opus ? 0.9 : 0.97);

for (const { mode, opus } of [{ mode: 'raw', opus: false }, { mode: 'opus', opus: true }] as const) {
  describe(`the page plays what Xspice plays (${mode.toUpperCase()})`, () => {
    const fifos = fifoDir(mode);
    const peers = useGatewayPeers({ audio: { fifoDir: fifos, opus } }, undefined, { chromium: AUTOPLAY });

    it('a 440 Hz tone comes out of the worklet at 440 Hz and at the level played', { timeout: 90_000 }, async () => {
      const page = await openSessionPage(peers.browser, peers.serve.url);
      try {
        await playbackLinked(page);
        const m = await playAndMeasure(page, fifos, 3);
        const state = (await pageState(page)).audio;
        console.log(
          `${mode}: ${m.hz.toFixed(3)} Hz, level ${m.level.toFixed(4)}, tone share ${m.share.toFixed(4)}, L-R ${m.channelDifference.toFixed(4)}, ${m.seconds.toFixed(2)} s of sound, ` +
            `longest run ${m.runSeconds.toFixed(2)} s, largest step ${m.stepRatio.toFixed(2)} of the tone's; playout ${JSON.stringify(state.playout)}; output lost ${JSON.stringify(state.outputStalls)}; playback ${JSON.stringify(state.playback)}`,
        );
        expect(state.playback.mode).toBe(mode);
        // The decode worker writes the sound into the worklet's ring: the gateway's page is cross-origin isolated.
        expect(state.playback.route).toBe('worker-ring');
        expect(state.gate).toBe('on');
        expect(state.notice).toBe('');
        // The drift controller may read up to 0.2 % fast or slow while it settles the level.
        expect(Math.abs(m.hz - TONE_HZ)).toBeLessThan(TONE_HZ * 0.0025);
        expect(Math.abs(m.level - 1)).toBeLessThan(opus ? 0.05 : 0.02);
        // Every window of the longest run is the tone, unless the playout skipped after a stall
        // (checked below: a skip with no stall fails): the window across the skip then holds a
        // phase jump (a full run's share 0.72 there, one underrun and one skip), and the median
        // window must be the tone.
        expect(state.playout!.skips > 0 ? m.medianShare : m.share).toBeGreaterThan(toneShareFloor(opus));
        if (opus) expect(m.channelDifference).toBeLessThan(0.02);
        else expect(m.channelDifference).toBe(0);
        // Every frame that came was played (none dropped), and nothing more; a skip only after a
        // stall: of the output (its render thread not run on a loaded machine, and the time never
        // caught up) or of the delivery (the buffer ran dry, then what was held up came at once).
        // Either leaves the level over 100 ms above the target, and the playout skips back to it
        // rather than keep that latency; a skip on a stream that flowed would be its own fault.
        const p = state.playout!;
        const stalls = state.outputStalls!;
        expect(p.droppedFrames).toBe(0);
        if (p.skips > 0) {
          expect(p.underruns > 0 || stalls.lostMs > 50, `${p.skips} skip(s) with no underrun and the output losing only ${stalls.lostMs} ms (playout ${JSON.stringify(p)})`).toBe(true);
        }
        expect(p.framesIn).toBeGreaterThan(3 * 48000 * 0.95);
        expect(Math.abs(p.framesOut + p.skippedFrames - p.framesIn)).toBeLessThan(48000 * 0.01);
        // Where this loaded machine stalled the server or the page for longer than the buffer held
        // (Xspice's own DATA.time showed gaps of 60 ms, the page's arrivals of 245 ms), the sound
        // faded out and back in: no step in the output is a click (a cut tone steps by up to its
        // amplitude, 80 times its own largest step here). Unless the server itself dropped packets
        // (its one-frame queue replaces an unsent frame when the socket is slow): the tone it sent
        // then jumps in phase, a step that is in the sound, not the page's.
        if (p.framesIn === 3 * 48000) expect(m.stepRatio).toBeLessThan(1.5);
        expect(p.underruns).toBeLessThanOrEqual(5);
        expect(m.runSeconds).toBeGreaterThan(0.5);
        expect(state.playback.dropped).toBe(0);
        if (opus) expect(state.playback.decoded).toBe(state.playback.packets);
        // What is audible set the page's video clock, and went to the host (about once a second).
        expect(state.videoClock.sets).toBeGreaterThan(0);
        expect(state.sent.clocks).toBeGreaterThanOrEqual(3);
        expect(pageProblems(page)).toEqual([]);
      } finally {
        await page.close();
      }
    });

    if (opus) {
      it('suspends its sound output while nothing plays, and plays the next sound whole', { timeout: 90_000 }, async () => {
        const page = await openSessionPage(peers.browser, peers.serve.url);
        try {
          await playbackLinked(page);
          await playAndMeasure(page, fifos, 1);
          // After the STOP, once the playout has been idle for IDLE_SUSPEND_MS: the context sleeps, the gate stays on.
          await waitUntil('the page to suspend its idle sound output', async () => (await pageState(page)).audio.sleeping, 15_000, {
            explain: async () => JSON.stringify((await pageState(page)).audio),
          });
          const idle = (await pageState(page)).audio;
          expect(idle.gate).toBe('on');
          expect(idle.notice).toBe('');
          const framesBefore = idle.playout!.framesIn;
          const m = await playAndMeasure(page, fifos, 2);
          const state = (await pageState(page)).audio;
          console.log(`after idle: ${m.hz.toFixed(3)} Hz, level ${m.level.toFixed(4)}, ${m.seconds.toFixed(2)} s of sound; playout ${JSON.stringify(state.playout)}; output lost ${JSON.stringify(state.outputStalls)}`);
          expect(state.idleSuspensions).toBeGreaterThanOrEqual(1);
          expect(state.gate).toBe('on');
          expect(Math.abs(m.hz - TONE_HZ)).toBeLessThan(TONE_HZ * 0.0025);
          expect(Math.abs(m.level - 1)).toBeLessThan(0.05);
          // The second tone came and was played whole once the output woke: no skip. The context's
          // resume can take long enough that the tone's first packets reach the worklet in one burst
          // over target + 100 ms (a loaded full run showed it, and the playout then cut the sound's
          // first 100 ms): a stream's start is played whole within startToleranceMs.
          const p = state.playout!;
          expect(p.skips, `the start of the sound after the output woke was skipped (${p.skippedFrames} frames; underruns ${p.underruns}, output lost ${state.outputStalls?.lostMs} ms)`).toBe(0);
          expect(p.framesIn - framesBefore).toBeGreaterThan(2 * 48000 * 0.95);
          // Every frame played, or dropped as silence (the tone has none; its packets may).
          expect(Math.abs(p.framesOut + p.skippedFrames - p.framesIn)).toBeLessThan(48000 * 0.01);
          expect(m.seconds).toBeGreaterThan(2 * 0.95);
          expect(pageProblems(page)).toEqual([]);
        } finally {
          await page.close();
        }
      });
    }
  });
}

/**
 * The autoplay policy of a browser a person runs, put back: Chromium here starts every AudioContext
 * running, headless or not, whatever --autoplay-policy says (seen with user-gesture-required and
 * document-user-activation-required, and with AutoplayIgnoreWebAudio disabled), and under
 * Playwright navigator.userActivation says the page was activated before any input. So contexts
 * start suspended and resume() waits, as Chrome's policy makes them, until a trusted click or key
 * (Playwright's input is trusted) has reached the page.
 */
const AUTOPLAY_POLICY = `(() => {
  let gestured = false;
  for (const type of ['pointerdown', 'keydown']) {
    window.addEventListener(type, (e) => { if (e.isTrusted) gestured = true; }, { capture: true });
  }
  const Native = window.AudioContext;
  window.AudioContext = class extends Native {
    constructor(options) {
      super(options);
      if (!gestured) void super.suspend();
    }
    resume() {
      return gestured ? super.resume() : new Promise(() => {});
    }
  };
})();`;

describe('the gesture gate (autoplay needs a gesture)', () => {
  const fifos = fifoDir('gate');
  const peers = useGatewayPeers({ audio: { fifoDir: fifos } }, undefined, { chromium: [] });

  it('says that sound waits for a click, and plays it after one', { timeout: 90_000 }, async () => {
    const context = await peers.browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.addInitScript(AUTOPLAY_POLICY);
    const page = await openSessionPage(peers.browser, peers.serve.url, 20_000, context);
    try {
      await playbackLinked(page);
      // The tap opens the page's output before any sound: the gate already waits, and the notice
      // says so without "sound is waiting" (nothing has come yet).
      await page.evaluate(() => window.spicedeskPage!.audioTap(true));
      await waitUntil('the gate to wait before any sound', async () => (await pageState(page)).audio.gate === 'waiting', 15_000, {
        explain: async () => JSON.stringify((await pageState(page)).audio),
      });
      const before = (await pageState(page)).audio;
      expect(before.playback.stream).toBeNull();
      expect(before.notice).toBe('click or press a key to turn sound on');
      const tone = sineS16({ hz: TONE_HZ, seconds: 6, rate: 48000, channels: 2, amplitude: AMPLITUDE });
      const playing = playFifo(fifos, tone);
      // Read once the sound's START has reached the page: until then the notice above is the right one.
      await waitUntil('the sound to arrive while the gate waits', async () => (await pageState(page)).audio.playback.stream !== null, 15_000, {
        explain: async () => JSON.stringify((await pageState(page)).audio),
      });
      const waiting = (await pageState(page)).audio;
      expect(waiting.gate).toBe('waiting');
      expect(waiting.playback.route).toBe('worker-ring');
      expect(waiting.notice).toBe('🔇 sound is waiting: click or press a key to turn it on');
      expect(await page.locator('#sound-notice').isVisible()).toBe(true);
      // A click anywhere on the page (the screen) is the gesture.
      await page.mouse.click(200, 300);
      await waitUntil('the sound turned on', async () => (await pageState(page)).audio.gate === 'on', 10_000);
      await waitUntil('sound came out after the click', async () => ((await pageState(page)).audio.playout?.framesOut ?? 0) > 48000, 10_000);
      const after = (await pageState(page)).audio;
      expect(after.notice).toBe('');
      expect(await page.locator('#sound-notice').isVisible()).toBe(false);
      await playing;
      const { rate, samples } = await takeAudioTap(page);
      const steady = middle(longestRun(soundOf(samples), rate), 0.8);
      expect(Math.abs(zeroCrossingFrequency(steady, rate) - TONE_HZ)).toBeLessThan(TONE_HZ * 0.0025);
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

describe('the gesture gate in kiosk mode (no bar)', () => {
  const fifos = fifoDir('kiosk-gate');
  const peers = useGatewayPeers({ audio: { fifoDir: fifos } }, (_xs, target) => ['--kiosk', target], { chromium: [] });

  it('still says that sound waits for a click (over the screen, not in the hidden bar), and plays after one', { timeout: 90_000 }, async () => {
    const context = await peers.browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.addInitScript(AUTOPLAY_POLICY);
    // With the bridge on the page's thread, whose playback posts into the worklet itself: that path is played here.
    const page = await openSessionPage(peers.browser, `${peers.serve.url}#bridge=page`, 20_000, context);
    try {
      await playbackLinked(page);
      expect((await pageState(page)).kiosk).toBe(true);
      expect(await page.locator('#bar').isVisible()).toBe(false);
      const tone = sineS16({ hz: TONE_HZ, seconds: 6, rate: 48000, channels: 2, amplitude: AMPLITUDE });
      const playing = playFifo(fifos, tone);
      await waitUntil('the page says sound is waiting', async () => (await pageState(page)).audio.notice.includes('click or press a key'), 15_000, {
        explain: async () => JSON.stringify((await pageState(page)).audio),
      });
      expect((await pageState(page)).audio.gate).toBe('waiting');
      // Seen: on the screen, inside the viewport, while the sound controls stay hidden.
      expect(await page.locator('#sound-notice').isVisible()).toBe(true);
      expect(await page.locator('#sound-mute').isVisible()).toBe(false);
      const box = await page.locator('#sound-notice').boundingBox();
      expect(box).not.toBeNull();
      expect(box!.y).toBeGreaterThanOrEqual(0);
      expect(box!.y + box!.height).toBeLessThanOrEqual(900);
      expect(box!.width).toBeGreaterThan(100);
      await page.mouse.click(200, 300);
      await waitUntil('the sound turned on', async () => (await pageState(page)).audio.gate === 'on', 10_000);
      await waitUntil('sound came out after the click', async () => ((await pageState(page)).audio.playout?.framesOut ?? 0) > 48000, 10_000);
      expect(await page.locator('#sound-notice').isVisible()).toBe(false);
      expect((await pageState(page)).audio.playback.route).toBe('page');
      await playing;
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
