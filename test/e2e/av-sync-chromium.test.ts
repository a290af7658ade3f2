// A/V sync in the page, measured at its output: Xspice plays a video (the scrolling pattern of
// video-pattern.ts, streamed as MJPEG) and a tone through its playback FIFO (Opus) together for
// over a minute. The page logs when each video picture reached the screen, with the mm time it was
// stamped with (its worker's presentation log: the animation frame that first drew it), and when
// each audio position reached the output (the worklet's position reports, mapped to the page's
// clock by AudioContext.getOutputTimestamp, not by the page's own latency estimate). For every
// picture presented while sound plays, the mm time audible at that instant (interpolated between
// the position reports) must be within 50 ms of the picture's own.
//
// What this does not see: the server stamps both with its mm time when it gets them (a frame when
// the X window was drawn and encoded, a sound packet when its 10 ms left the FIFO, up to 80 ms
// ahead of the wall clock: shared/docs/multimedia.md §4.1), so an offset the server adds between
// the two is in the content, not in the client, and no SPICE client can take it out.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { mmDelta } from '../../src/protocol/channels/display/stream-reports.ts';
import { sineS16 } from '../helpers/audio-analysis.ts';
import { waitUntil } from '../helpers/wait.ts';
import { playPattern } from '../peers/video-pattern.ts';
import { playFifo } from '../peers/xspice.ts';
import { openSessionPage, pageProblems } from './browser-page.ts';
import { useGatewayPeers } from './gateway-peers.ts';
import { pageState } from './page-api.ts';

const dir = mkdtempSync(join(tmpdir(), 'spicedesk-av-sync-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The sync the issue asks for: a picture and the sound heard with it at most this far apart. */
const SYNC_MS = 50;
/** How long the sync is measured (after the sound has started and set the video clock). */
const MEASURE_MS = 60_000;
/** Sound played: the measured minute, with room for the start. */
const TONE_SECONDS = MEASURE_MS / 1000 + 8;
/**
 * The share of pictures that must be within SYNC_MS. Not all: on this 2-core machine shared with
 * other test runs, a stall of the page's worker (or of Xspice) puts a picture on the screen late
 * now and then; a clock error puts every picture out.
 */
const IN_SYNC_SHARE = 0.95;
/** Two position reports this far apart (they come every ~50 ms) mean the output stalled: no audible time is interpolated across them. */
const REPORT_GAP_MS = 250;

interface Timed {
  mm: number;
  at: number;
}

/** The mm time heard at `at` (ms since the epoch), between the two reports around it; null outside them or across a stall. */
function audibleAt(heard: readonly Timed[], at: number, from: number): { mm: number; index: number } | null {
  let i = from;
  while (i + 1 < heard.length && heard[i + 1].at <= at) i++;
  if (i + 1 >= heard.length || heard[i].at > at) return null;
  const a = heard[i];
  const b = heard[i + 1];
  if (b.at - a.at > REPORT_GAP_MS) return { mm: Number.NaN, index: i };
  return { mm: a.mm + ((at - a.at) * (b.mm - a.mm)) / (b.at - a.at), index: i };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

describe('A/V sync in the page (Xspice: MJPEG video and Opus sound together)', () => {
  const fifos = join(dir, 'fifo');
  mkdirSync(fifos, { recursive: true });
  const peers = useGatewayPeers(
    { streamingVideo: 'all', videoCodecs: 'spice:mjpeg', audio: { fifoDir: fifos, opus: true } },
    undefined,
    { chromium: ['--autoplay-policy=no-user-gesture-required'] },
  );

  it(`every presented picture is within ${SYNC_MS} ms of the sound heard with it, over ${MEASURE_MS / 1000} s`, { timeout: MEASURE_MS + 90_000 }, async () => {
    const player = playPattern(peers.xs);
    let page: Page | undefined;
    try {
      page = await openSessionPage(peers.browser, peers.serve.url);
      const p = page;
      await waitUntil('the page got the playback channel\'s MODE and presents the video stream', async () => {
        const s = await pageState(p);
        return s.audio.playback.mode !== null && s.video.framesPresented > 10;
      }, 30_000, { explain: async () => JSON.stringify((await pageState(p)).audio) });
      const tone = sineS16({ hz: 440, seconds: TONE_SECONDS, rate: 48000, channels: 2, amplitude: 0.3 });
      const playing = playFifo(fifos, tone);
      // The sound plays and has set the video clock: from here the video is shown by it.
      await waitUntil('the sound plays and set the video clock', async () => {
        const a = (await pageState(p)).audio;
        return a.gate === 'on' && a.playout?.state === 'playing' && a.videoClock.sets > 0;
      }, 20_000, { explain: async () => JSON.stringify((await pageState(p)).audio) });
      // Both logs start now.
      await p.evaluate(async () => {
        window.spicedeskPage!.heardLog();
        await window.spicedeskPage!.presentationLog();
      });
      const heard: Timed[] = [];
      const pictures: Timed[] = [];
      const take = async (): Promise<void> => {
        const got = await p.evaluate(async () => ({ heard: window.spicedeskPage!.heardLog(), pictures: await window.spicedeskPage!.presentationLog() }));
        heard.push(...got.heard);
        pictures.push(...got.pictures);
      };
      await waitUntil(`${MEASURE_MS / 1000} s of sound heard`, async () => {
        await take();
        return heard.length > 1 && heard[heard.length - 1].at - heard[0].at >= MEASURE_MS;
      }, MEASURE_MS + 20_000, { pollMs: 2000 });
      const state = await pageState(p);

      // Each picture against the sound heard at the instant it reached the screen.
      const offsets: number[] = [];
      let acrossStalls = 0;
      let from = 0;
      for (const picture of pictures) {
        const a = audibleAt(heard, picture.at, from);
        if (!a) continue;
        from = a.index;
        if (Number.isNaN(a.mm)) {
          acrossStalls++;
          continue;
        }
        // Positive: the picture is shown after the sound of its time was heard (the video is late).
        offsets.push(mmDelta(Math.round(a.mm) >>> 0, picture.mm >>> 0));
      }
      const sorted = [...offsets].sort((x, y) => x - y);
      const inSync = offsets.filter((d) => Math.abs(d) <= SYNC_MS).length;
      const mean = offsets.reduce((s, d) => s + d, 0) / Math.max(1, offsets.length);
      console.log(
        `A/V sync over ${((heard[heard.length - 1].at - heard[0].at) / 1000).toFixed(1)} s: ${offsets.length} pictures measured (${pictures.length} presented, ${acrossStalls} across an output stall), ` +
          `${inSync} within ${SYNC_MS} ms (${((100 * inSync) / Math.max(1, offsets.length)).toFixed(1)} %); audio minus video: mean ${mean.toFixed(1)} ms, ` +
          `min ${sorted[0]}, p5 ${percentile(sorted, 0.05)}, median ${percentile(sorted, 0.5)}, p95 ${percentile(sorted, 0.95)}, max ${sorted[sorted.length - 1]}; ` +
          `playout ${JSON.stringify(state.audio.playout)}; video clock sets ${state.audio.videoClock.sets}; ${JSON.stringify(await p.evaluate(() => window.spicedeskPage!.drawStats().then((d) => d?.ops)))}`,
      );
      // About 25 pictures a second were measured (the stream plays on; a stalled machine loses some).
      expect(offsets.length).toBeGreaterThan((MEASURE_MS / 1000) * 25 * 0.7);
      expect(inSync / offsets.length).toBeGreaterThanOrEqual(IN_SYNC_SHARE);
      expect(Math.abs(percentile(sorted, 0.5))).toBeLessThanOrEqual(SYNC_MS / 2);
      expect(state.audio.playback.mode).toBe('opus');
      await playing;
      expect(pageProblems(p)).toEqual([]);
    } finally {
      await page?.close();
      await player.stop();
    }
  });
});
