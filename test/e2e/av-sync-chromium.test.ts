// A/V sync in the page, measured at its output: Xspice plays a video (the scrolling pattern of
// video-pattern.ts, streamed as MJPEG) and a tone through its playback FIFO (Opus) together for
// over a minute. The page logs when each video picture reached the screen, with the mm time it was
// stamped with (its worker's presentation log: the animation frame that first drew it), and when
// each audio position reached the output (the worklet's position reports, mapped to the page's
// clock by AudioContext.getOutputTimestamp, not by the page's own latency estimate). For every
// picture presented while sound plays, the mm time audible at that instant (interpolated between
// the position reports) must be within 50 ms of the picture's own.
//
// The server stamps both with its mm time when it gets them (a frame when the X window was drawn
// and encoded, a sound packet when its 10 ms left the FIFO, up to 80 ms ahead of the wall clock:
// shared/docs/multimedia.md §4.1), so an offset the server adds between the two is in what it
// sends, and no SPICE client can take it out. The second test measures it with content that
// carries the sync (a flash and a flip at the same instants of one GStreamer clock): in Xspice's
// stamps the flip's sound comes 260-360 ms after the flash's frame (the path up to the server:
// GStreamer's compositor and sinks, the X server, the FIFO, which held a median 60 ms and at most
// 290 ms while measured, so it is not a full pipe; the cause is not pinned down), and the page
// adds a median 5-17 ms to that.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { mmDelta } from '../../src/protocol/channels/display/stream-reports.ts';
import { sineS16 } from '../helpers/audio-analysis.ts';
import { waitUntil } from '../helpers/wait.ts';
import { MjpegTables } from '../../src/protocol/codecs/mjpeg.ts';
import { nodeJpegDecoder } from '../../src/main/node/jpeg-node.ts';
import type { Pixels } from '../../src/protocol/pixels/pixels.ts';
import { runToCompletion } from '../peers/processes.ts';
import { requireTool } from '../peers/require-tool.ts';
import { DISPLAY, STREAM_CREATE, STREAM_DATA, u32 } from '../peers/stream-wire.ts';
import { H, playPattern, W } from '../peers/video-pattern.ts';
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
 * The share of pictures that must be within SYNC_MS. Not all: on a 2-core machine a stall of the
 * page's worker (or of Xspice) puts a picture on the screen late now and then; a clock error puts
 * every picture out. This file runs on its own, never alongside another test file
 * (vitest.config.ts): CI once measured 87 % here with another file's servers beside it.
 */
const IN_SYNC_SHARE = 0.95;
/**
 * The median offset allowed: a systematic error (a picture drawn an animation frame after its
 * time, a video clock trailing the sound) shows here long before pictures leave SYNC_MS. Measured:
 * 11-14 ms before pictures were handed over early by the measured presentation delay; 7 ms (twice)
 * with it, the video clock trailing the output by a median 6 ms (re-set at 15 ms); 4 ms with the
 * clock re-set at 5 ms, at a load average of 10 (99.2 % within SYNC_MS).
 */
const MEDIAN_MS = 10;
/** Two position reports this far apart (they come every ~50 ms) mean the output stalled: no audible time is interpolated across them. */
const REPORT_GAP_MS = 250;

/** The content test: the flashing square's side (top left of the window), and how long it is measured. */
const SQUARE = 80;
const CONTENT_SECONDS = 20;
/** Of about 20 flashes, the share whose client part must be within SYNC_MS (a stall of this machine may put one or two out). */
const CONTENT_IN_SYNC_SHARE = 0.85;
const PLAYBACK = 5;
const PLAYBACK_DATA = 101;

/** The flashing square's mean (0-255) in a decoded frame, inside its edges. */
function squareMean(p: Pixels): number {
  let sum = 0;
  let n = 0;
  for (let y = 8; y < SQUARE - 8; y += 2) {
    for (let x = 8; x < SQUARE - 8; x += 2) {
      const v = p.data[y * p.width + x];
      sum += (v & 0xff) + ((v >>> 8) & 0xff) + ((v >>> 16) & 0xff);
      n += 3;
    }
  }
  return sum / n;
}

/** When the sound of mm time `mm` was heard (ms since the epoch), between the reports around it; null outside them or across a stall. */
function heardAt(heard: readonly Timed[], mm: number): number | null {
  for (let i = 0; i + 1 < heard.length; i++) {
    const a = heard[i];
    const b = heard[i + 1];
    if (a.mm <= mm && mm <= b.mm && b.mm > a.mm) {
      if (b.at - a.at > REPORT_GAP_MS) return null;
      return a.at + ((mm - a.mm) * (b.at - a.at)) / (b.mm - a.mm);
    }
  }
  return null;
}

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

/** The mm time heard at `at` (ms since the epoch), by binary search; null outside the reports or across a stall. */
function heardMmAt(heard: readonly Timed[], at: number): number | null {
  let lo = 0;
  let hi = heard.length - 1;
  if (hi < 1 || at < heard[0].at || at > heard[hi].at) return null;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (heard[mid].at <= at) lo = mid;
    else hi = mid;
  }
  const a = heard[lo];
  const b = heard[hi];
  if (b.at - a.at > REPORT_GAP_MS || b.at === a.at) return null;
  return a.mm + ((at - a.at) * (b.mm - a.mm)) / (b.at - a.at);
}

/** "median (p5..p95)" of the values. */
function spread(values: readonly number[]): string {
  const v = [...values].sort((a, b) => a - b);
  if (v.length === 0) return 'none';
  return `${percentile(v, 0.5).toFixed(1)} (${percentile(v, 0.05).toFixed(1)}..${percentile(v, 0.95).toFixed(1)})`;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/**
 * MJPEG and VP8 pictures are shown by a `<video>` element over the canvas (the element path,
 * present/video-elements.ts; MJPEG decoded by ImageDecoder into VideoFrames), whose log times are
 * when Chromium took each picture for composition (requestVideoFrameCallback's presentationTime;
 * with #videopath=canvas they are drawn into the canvas by the worker's animation frames);
 * `{ server: 'gstreamer:vp8', name: 'VP8' }` here measures that path, but it is not in the list
 * every run takes: on a 2-core machine Xspice's VP8 encoder starves Xspice itself, which then sends
 * 5 pictures a second for seconds at a time and leaves its sound FIFO unread (gaps of 450 ms at the
 * output), on a quiet machine too. Measured here: 99.0-99.8 % within 50 ms, median 2 ms, but
 * 1045-1313 pictures in 60 s, under the 1050 this test asks of the stream; no client can take that out.
 */
const SYNC_CODECS = [{ server: 'spice:mjpeg', name: 'MJPEG' }] as const;

for (const codec of SYNC_CODECS) describe(`A/V sync in the page (Xspice: ${codec.name} video and Opus sound together)`, () => {
  const fifos = join(dir, `fifo-${codec.name}`);
  mkdirSync(fifos, { recursive: true });
  const peers = useGatewayPeers(
    { streamingVideo: 'all', videoCodecs: codec.server, audio: { fifoDir: fifos, opus: true } },
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
      const heard: (Timed & { reportAt: number; audible: number; display: number })[] = [];
      const pictures: (Timed & { handed: number })[] = [];
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
      /** Pictures out of sync per 5 s of the measure, with the worst offset of each: a failure shows whether it was one episode or a steady error. */
      const outByWindow = new Map<number, { out: number; all: number; worst: number }>();
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
        const offset = mmDelta(Math.round(a.mm) >>> 0, picture.mm >>> 0);
        offsets.push(offset);
        const window = Math.floor((picture.at - heard[0].at) / 5000) * 5;
        const w = outByWindow.get(window) ?? { out: 0, all: 0, worst: 0 };
        w.all++;
        if (Math.abs(offset) > SYNC_MS) w.out++;
        if (Math.abs(offset) > Math.abs(w.worst)) w.worst = offset;
        outByWindow.set(window, w);
      }
      // Where the offset comes from: the presentation delay (handed to the worker's presenter to the
      // animation frame that drew it) less the lead the schedule took off; the hand-over against the
      // sound (the schedule's timer and the clock); the page's audible estimate (by the output's
      // latency) and its video clock (set from that estimate when 15 ms apart) against the output.
      const truth = (at: number): number | null => heardMmAt(heard, at);
      const delays = pictures.map((q) => q.at - q.handed);
      const handedOffsets = pictures.flatMap((q) => {
        const t = truth(q.handed);
        return t === null ? [] : [t - q.mm];
      });
      const estimateErrors = heard.flatMap((h) => {
        const t = truth(h.reportAt);
        return t === null ? [] : [t - h.audible];
      });
      const clockErrors = heard.flatMap((h) => {
        const t = truth(h.reportAt);
        return t === null ? [] : [t - h.display];
      });
      const parts =
        `presentation delay: the worker's estimate ${state.video.presentationDelayMs} ms, measured ${spread(delays)}; heard at the hand-over minus the picture's mm ${spread(handedOffsets)}; ` +
        `heard minus the page's audible estimate ${spread(estimateErrors)}; heard minus the video clock ${spread(clockErrors)}`;
      const sorted = [...offsets].sort((x, y) => x - y);
      const inSync = offsets.filter((d) => Math.abs(d) <= SYNC_MS).length;
      const mean = offsets.reduce((s, d) => s + d, 0) / Math.max(1, offsets.length);
      const summary =
        `A/V sync over ${((heard[heard.length - 1].at - heard[0].at) / 1000).toFixed(1)} s: ${offsets.length} pictures measured (${pictures.length} presented, ${acrossStalls} across an output stall), ` +
          `${inSync} within ${SYNC_MS} ms (${((100 * inSync) / Math.max(1, offsets.length)).toFixed(1)} %); audio minus video: mean ${mean.toFixed(1)} ms, ` +
          `min ${sorted[0]}, p5 ${percentile(sorted, 0.05)}, median ${percentile(sorted, 0.5)}, p95 ${percentile(sorted, 0.95)}, max ${sorted[sorted.length - 1]}; ` +
          `playout ${JSON.stringify(state.audio.playout)}; video clock sets ${state.audio.videoClock.sets}; ${JSON.stringify(await p.evaluate(() => window.spicedeskPage!.drawStats().then((d) => d?.ops)))}; ` +
          `out of sync by 5 s from the start (out/all worst): ${[...outByWindow].map(([t, w]) => `${t}s ${w.out}/${w.all} ${w.worst}`).join(', ')}; ${parts}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`;
      console.log(summary);
      // About 25 pictures a second were measured (the stream plays on; a stalled machine loses some).
      expect(offsets.length, summary).toBeGreaterThan((MEASURE_MS / 1000) * 25 * 0.7);
      expect(inSync / offsets.length, summary).toBeGreaterThanOrEqual(IN_SYNC_SHARE);
      expect(Math.abs(percentile(sorted, 0.5)), summary).toBeLessThanOrEqual(MEDIAN_MS);
      expect(state.audio.playback.mode).toBe('opus');
      await playing;
      expect(pageProblems(p)).toEqual([]);
    } finally {
      await page?.close();
      await player.stop();
    }
  });
});

/**
 * The content carries the sync: one GStreamer pipeline (one clock) shows an 80x80 square that turns
 * white and black at every whole second over the scrolling bars (compositor, 25 fps, ximagesink
 * sync=true), and writes a square wave that flips sign at the same instants as RAW S16LE 48 kHz
 * stereo into Xspice's FIFO (filesink sync=true). A relay reads the content on the wire: each
 * STREAM_DATA's JPEG decoded (the square's mean), each PLAYBACK DATA's samples (the sign), so each
 * flash and flip has the server's mm stamp, and their difference is what the server adds. At the
 * page's output the flash's presentation time (its picture's entry in the presentation log) is
 * compared with the instant the flip is heard (the heard log, interpolated at the flip's mm time).
 */
describe('A/V sync carried by the content (a flash and a flip each second, one GStreamer clock)', () => {
  const fifos = join(dir, 'fifo-content');
  mkdirSync(fifos, { recursive: true });
  const frames: { mm: number; jpeg: Uint8Array; width: number; height: number }[] = [];
  const sound: { time: number; pcm: Int16Array }[] = [];
  const sizes = new Map<number, { width: number; height: number }>();
  const peers = useGatewayPeers(
    { streamingVideo: 'all', videoCodecs: 'spice:mjpeg', audio: { fifoDir: fifos } },
    undefined,
    {
      chromium: ['--autoplay-policy=no-user-gesture-required'],
      relay: {
        fromServer(channel, m) {
          if (channel.type === DISPLAY && m.type === STREAM_CREATE) sizes.set(u32(m.body, 4), { width: u32(m.body, 26), height: u32(m.body, 30) });
          if (channel.type === DISPLAY && m.type === STREAM_DATA) {
            const size = sizes.get(u32(m.body, 0));
            if (size) frames.push({ mm: u32(m.body, 4), jpeg: m.body.slice(12, 12 + u32(m.body, 8)), ...size });
          }
          if (channel.type === PLAYBACK && m.type === PLAYBACK_DATA) {
            const bytes = m.body.slice(4);
            sound.push({ time: u32(m.body, 0), pcm: new Int16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 1) });
          }
          return undefined;
        },
      },
    },
  );

  it(`each flash is presented within ${SYNC_MS} ms of its flip being heard, beyond what the server stamps between them`, { timeout: 120_000 }, async () => {
    const fifo = join(fifos, 'flips');
    await runToCompletion(requireTool('mkfifo', 'coreutils'), [fifo], { timeoutMs: 5000 });
    const page = await openSessionPage(peers.browser, peers.serve.url);
    const pipeline = peers.xs.run('gst-launch-1.0', [
      '-q', 'compositor', 'name=c', '!', `video/x-raw,width=${W},height=${H},framerate=25/1`, '!', 'videoconvert', '!', 'ximagesink', 'sync=true',
      'videotestsrc', 'is-live=true', 'pattern=smpte', 'horizontal-speed=4', '!', `video/x-raw,width=${W},height=${H},framerate=25/1`, '!', 'c.sink_0',
      'videotestsrc', 'is-live=true', 'pattern=blink', '!', `video/x-raw,width=${SQUARE},height=${SQUARE},framerate=1/1`, '!', 'c.sink_1',
      'audiotestsrc', 'is-live=true', 'wave=square', 'freq=0.5', 'volume=0.3', 'samplesperbuffer=480', '!', 'audio/x-raw,format=S16LE,rate=48000,channels=2,layout=interleaved', '!',
      'filesink', `location=${fifo}`, 'sync=true',
    ]);
    try {
      await waitUntil('the sound plays and the video is presented', async () => {
        const s = await pageState(page);
        return s.audio.gate === 'on' && s.audio.playout?.state === 'playing' && s.audio.videoClock.sets > 0 && s.video.framesPresented > 25;
      }, 30_000, { explain: async () => `${JSON.stringify((await pageState(page)).audio)}; gst: ${pipeline.outputTail()}` });
      await page.evaluate(async () => {
        window.spicedeskPage!.heardLog();
        await window.spicedeskPage!.presentationLog();
      });
      const firstMm = Math.max(frames.at(-1)?.mm ?? 0, sound.at(-1)?.time ?? 0);
      const heard: Timed[] = [];
      const pictures: Timed[] = [];
      await waitUntil(`${CONTENT_SECONDS} s of sound heard`, async () => {
        const got = await page.evaluate(async () => ({ heard: window.spicedeskPage!.heardLog(), pictures: await window.spicedeskPage!.presentationLog() }));
        heard.push(...got.heard);
        pictures.push(...got.pictures);
        return heard.length > 1 && heard[heard.length - 1].at - heard[0].at >= CONTENT_SECONDS * 1000;
      }, CONTENT_SECONDS * 1000 + 20_000, { pollMs: 2000 });

      // The wire: flashes (the square's first frame of a new shade) and flips (the first sample of a new sign), by mm time.
      const tables = new MjpegTables();
      const flashes: number[] = [];
      let shade: boolean | null = null;
      for (const f of frames) {
        const pixels = nodeJpegDecoder.decode(tables.complete(f.jpeg), { width: f.width, height: f.height }) as Pixels;
        const white = squareMean(pixels) > 128;
        if (shade !== null && white !== shade && mmDelta(f.mm, firstMm) > 0) flashes.push(f.mm);
        shade = white;
      }
      const flips: number[] = [];
      let sign = 0;
      for (const d of sound) {
        for (let i = 0; i < d.pcm.length; i += 2) {
          const s = Math.sign(d.pcm[i]);
          if (s !== 0 && sign !== 0 && s !== sign && mmDelta(d.time, firstMm) > 0) flips.push(d.time + (i / 2 / 48000) * 1000);
          if (s !== 0) sign = s;
        }
      }
      const rows: { server: number; output: number; client: number }[] = [];
      for (const flash of flashes) {
        const flip = flips.find((t) => Math.abs(mmDelta(flash, Math.round(t) >>> 0)) < 500);
        if (flip === undefined) continue;
        const shown = pictures.find((p) => mmDelta(p.mm, flash) >= 0);
        const flipHeard = heardAt(heard, flip);
        if (!shown || flipHeard === null) continue;
        const server = mmDelta(flash, Math.round(flip) >>> 0);
        const output = shown.at - flipHeard;
        rows.push({ server, output: Math.round(output), client: Math.round(output - server) });
      }
      const line = (k: 'server' | 'output' | 'client'): string => {
        const v = rows.map((r) => r[k]).sort((a, b) => a - b);
        return `${k} median ${percentile(v, 0.5)} (${v[0]}..${v[v.length - 1]})`;
      };
      console.log(
        `content A/V sync: ${flashes.length} flashes and ${flips.length} flips on the wire, ${rows.length} pairs measured at the output; flash minus flip in ms: ${line('server')} (the server's stamps), ` +
          `${line('output')} (seen minus heard), ${line('client')} (what the client adds); ${JSON.stringify(rows.map((r) => r.output))}`,
      );
      // About one flash a second, each paired with its flip and measured at the output.
      expect(rows.length).toBeGreaterThanOrEqual(CONTENT_SECONDS * 0.7);
      // The client keeps the sync the server stamped: the flash is on the screen when its flip is heard.
      // (Measured: 18 of 19 within 50 ms, median 5 ms, the one out, -113 ms, at a stall of this
      // shared machine; another run 19 of 19, median 17 ms. With pictures handed over early by the
      // presentation delay and the video clock re-set at 5 ms: 20 of 20, median 1 ms, -11..13. A
      // client that did not follow the sound would be hundreds of ms out on all.)
      const inSync = rows.filter((r) => Math.abs(r.client) <= SYNC_MS).length;
      expect(inSync / rows.length).toBeGreaterThanOrEqual(CONTENT_IN_SYNC_SHARE);
      expect(Math.abs(percentile(rows.map((r) => r.client).sort((x, y) => x - y), 0.5))).toBeLessThanOrEqual(SYNC_MS / 2);
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await pipeline.stop();
      await page.close();
    }
  });
});
