// A video playing on Xspice with --streaming-video all, in the page through `spicedesk serve`, once
// per encoder the server has: the page announces what its browser decodes (WebCodecs: H.264, VP9,
// VP8; MJPEG through createImageBitmap), so the server streams the video with the one codec it is
// given, and the page decodes it in its worker and draws the pictures over the surface (WebGL2 for
// VP9, the 2D canvas otherwise: both presenters are covered). A relay between serve and Xspice sees
// the STREAM_CREATE with that codec and the page's STREAM_REPORTs going back. The region must match
// the scrolling pattern (video-pattern.ts) and move; the status names the codec. Then a COPY_BITS
// injected by the relay copies the video area elsewhere: the page must have written the picture
// into its surface first (the overlay's materialisation rule), so the copy shows the video.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Rect } from '../../src/protocol/pixels/geometry.ts';
import { waitFor } from '../helpers/wait.ts';
import { requireTool } from '../peers/require-tool.ts';
import type { RelayedMessage } from '../peers/spice-relay.ts';
import { bestScroll, H, patternReference, playPattern, W, type Match } from '../peers/video-pattern.ts';
import type { XspiceServer } from '../peers/xspice.ts';
import type { Page } from 'playwright-core';
import type { RgbaImage } from '../peers/image.ts';
import { readPng } from '../peers/png.ts';
import { openSessionPage, pagePixels, pageProblems } from './browser-page.ts';
import { useGatewayPeers } from './gateway-peers.ts';
import { drawStats, loseContext, pageState } from './page-api.ts';
import { COPY_BITS, DISPLAY, readStreamReport, STREAM_CREATE, STREAM_DATA, STREAM_REPORT } from '../peers/stream-wire.ts';

const dir = mkdtempSync(join(tmpdir(), 'spicedesk-video-page-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));


/**
 * Largest mean per-channel difference (0-255) between the page's video region and the pattern at
 * its best scroll offset, per codec. Measured here (Chromium 156, 320x240 at 25 fps, the server's
 * default bit rate): spice:mjpeg 7.4-7.9, gstreamer:vp8 12.1-12.5, gstreamer:vp9 11.2-11.5,
 * gstreamer:h264 6.0-6.4 (4:4:4), gstreamer:mjpeg 20.5-20.9: avenc_mjpeg writes limited-range
 * (ITU-601) YUV into a JFIF file, which decoders read as full range, so its pictures are off by 17
 * even decoded by GStreamer's own jpegdec. Each tolerance is a little above the worst seen, and far
 * below the 131 of a same-sized region that is not the video.
 */
const TOLERANCE: Record<string, number> = { 'spice:mjpeg': 11, 'gstreamer:mjpeg': 24, 'gstreamer:vp8': 15, 'gstreamer:vp9': 15, 'gstreamer:h264': 10 };

/**
 * Most pictures the page may count late (decoded after their time, not shown), as a share of those
 * presented in a quiet stretch. A clock or scheduling error makes every picture late (or early);
 * a loaded machine makes some late (measured: 0-1 of 50 alone, 10 of 57 beside the rest of the
 * suite), so this checks the schedule, not the speed: how few are late is the video bench's.
 */
const LATE_SHARE = 0.5;
/** The quiet stretch: this many pictures presented (2 s at 25 fps). */
const QUIET_FRAMES = 50;

interface Codec {
  /** The server's --video-codecs. */
  server: string;
  /** SPICE's video_codec_type. */
  codec: number;
  /** As the page's status names it. */
  name: string;
  /** The page's #renderer. */
  renderer: '2d' | 'webgl';
}

const CODECS: readonly Codec[] = [
  { server: 'spice:mjpeg', codec: 1, name: 'MJPEG', renderer: '2d' },
  { server: 'gstreamer:mjpeg', codec: 1, name: 'MJPEG', renderer: '2d' },
  { server: 'gstreamer:vp8', codec: 2, name: 'VP8', renderer: '2d' },
  { server: 'gstreamer:vp9', codec: 4, name: 'VP9', renderer: 'webgl' },
  { server: 'gstreamer:h264', codec: 3, name: 'H264', renderer: '2d' },
];

/** Where the pattern's window is on the X screen, from xwininfo (no window manager places it). */
async function patternWindow(xs: XspiceServer): Promise<Rect> {
  return waitFor(
    `a ${W}x${H} window on ${xs.display}`,
    async () => {
      const tree = await xs.exec('xwininfo', ['-root', '-children']);
      // "0x400001 "gst-launch-1.0": ("gst-launch-1.0" "GstXImageSink")  320x240+0+0  +0+0"
      const m = new RegExp(`\\s${W}x${H}[+-]\\d+[+-]\\d+\\s+\\+(-?\\d+)\\+(-?\\d+)`).exec(tree);
      return m ? { left: Number(m[1]), top: Number(m[2]), right: Number(m[1]) + W, bottom: Number(m[2]) + H } : undefined;
    },
    15_000,
    { pollMs: 200 },
  );
}

/** A COPY_BITS body: surface 0, box (top, left, bottom, right), no clip, then the source point. */
function copyBits(to: Rect, from: { x: number; y: number }): RelayedMessage {
  const body = Buffer.alloc(4 + 16 + 1 + 8);
  body.writeUInt32LE(0, 0);
  body.writeInt32LE(to.top, 4);
  body.writeInt32LE(to.left, 8);
  body.writeInt32LE(to.bottom, 12);
  body.writeInt32LE(to.right, 16);
  body.writeUInt8(0, 20);
  body.writeInt32LE(from.x, 21);
  body.writeInt32LE(from.y, 25);
  return { type: COPY_BITS, body: new Uint8Array(body) };
}

/**
 * The screen as Chromium composited it (a screenshot of the canvas's box): what the `<video>`
 * element of the element path shows over the canvas is there, which the canvas's read-back
 * (pagePixels) cannot see. The canvas is shown 1:1 here (a 1024x768 guest in a 1280x900 page).
 */
async function screenPixels(page: Page): Promise<RgbaImage> {
  const box = await page.locator('#screen').boundingBox();
  if (!box) throw new Error('the page has no #screen');
  const size = (await pageState(page)).surface;
  expect({ width: Math.round(box.width), height: Math.round(box.height) }, 'the canvas is shown 1:1').toEqual({ width: size.width, height: size.height });
  const file = join(dir, `screen-${Date.now()}.png`);
  await page.screenshot({ path: file, clip: { x: box.x, y: box.y, width: box.width, height: box.height } });
  return readPng(file);
}

beforeAll(() => {
  requireTool('gst-launch-1.0', 'gstreamer1.0-tools');
  requireTool('xwininfo', 'x11-utils');
});

for (const c of CODECS) {
  describe(`a video streamed with ${c.server}, in the page`, () => {
    const creates: number[] = [];
    const reports: { frames: number; drops: number }[] = [];
    const peers = useGatewayPeers({ streamingVideo: 'all', videoCodecs: c.server }, undefined, {
      relay: {
        fromServer(channel, m) {
          if (channel.type === DISPLAY && m.type === STREAM_CREATE) creates.push(m.body[9]);
          return undefined;
        },
        fromClient(channel, m) {
          if (channel.type === DISPLAY && m.type === STREAM_REPORT) {
            reports.push(readStreamReport(m.body));
          }
          return undefined;
        },
      },
    });

    it(`streams ${c.name} to the page, which decodes and shows it moving, reports back, and materialises it for COPY_BITS`, { timeout: 120_000 }, async () => {
      const reference = patternReference(dir);
      const player = playPattern(peers.xs);
      const at = await patternWindow(peers.xs);
      const page = await openSessionPage(peers.browser, `${peers.serve.url}#renderer=${c.renderer}`);
      try {
        const state0 = await pageState(page);
        expect(state0.video.codecs.map((s) => s.codec)).toContain(c.codec);
        expect(state0.presenter).toBe(c.renderer === 'webgl' ? 'webgl2' : '2d');
        await waitFor('a STREAM_CREATE', () => creates[0], 30_000, { pollMs: 100 });
        expect(creates.every((codec) => codec === c.codec), `codecs streamed: ${creates.join(',')}`).toBe(true);
        // The stream plays in the page: its status names the codec.
        const playing = await waitFor('the status to name the codec', async () => {
          const s = await pageState(page);
          return s.video.status && s.video.statusText.startsWith(`${c.name} `) ? s : undefined;
        }, 30_000, { pollMs: 200, explain: async () => `video: ${JSON.stringify((await pageState(page)).video)}, errors ${(await pageState(page)).lastError} ${pageProblems(page).join('; ')}` });
        expect(playing.video.statusText).toMatch(new RegExp(`^${c.name} \\d+ fps \\((software|hardware) decoding\\)$`));

        const matchNow = async (): Promise<Match> => bestScroll(await pagePixels(page), at, reference);
        const means: number[] = [];
        const first = await waitFor('the pattern in the page', async () => {
          const m = await matchNow();
          means.push(m.mean);
          return m.mean < TOLERANCE[c.server] ? m : undefined;
        }, 30_000, { pollMs: 300, explain: () => `means so far: ${means.map((x) => x.toFixed(1)).join(' ')}` });
        const later = await waitFor('the pattern moved in the page', async () => {
          const m = await matchNow();
          means.push(m.mean);
          return m.mean < TOLERANCE[c.server] && m.offset !== first.offset ? m : undefined;
        }, 15_000, { pollMs: 300 });
        console.log(`${c.server}: mean difference ${first.mean.toFixed(2)} then ${later.mean.toFixed(2)} (offsets ${first.offset}, ${later.offset})`);
        {
          // Every codec's pictures are shown by a `<video>` over the canvas (the element path; MJPEG
          // decoded into VideoFrames by ImageDecoder): on the screen, the pattern, moving.
          expect(await page.evaluate(() => [...document.querySelectorAll('video')].filter((v) => v.style.visibility !== 'hidden').length)).toBe(1);
          const onScreen: Match[] = [];
          const seen = await waitFor('the pattern moving on the screen', async () => {
            const m = bestScroll(await screenPixels(page), at, reference);
            onScreen.push(m);
            return m.mean < TOLERANCE[c.server] && onScreen.some((o) => o.mean < TOLERANCE[c.server] && o.offset !== m.offset) ? m : undefined;
          }, 15_000, { pollMs: 300, explain: () => `screen means so far: ${onScreen.map((m) => `${m.mean.toFixed(1)}@${m.offset}`).join(' ')}` });
          console.log(`${c.server}: on the screen (the element) mean difference ${seen.mean.toFixed(2)}`);
        }

        // Shown as stream pictures, not as draws: the server streamed, the page presented (a second's worth at 25 fps).
        const state = await waitFor('25 stream pictures presented', async () => {
          const now = await pageState(page);
          return now.video.framesPresented >= 25 ? now : undefined;
        }, 15_000, { pollMs: 200 });
        expect(state.video.streamErrors, state.video.lastStreamError).toBe(0);
        // Shown at their mm time, in a stretch where the test only asks the page for its state: the
        // pipeline's counts of pictures decoded after their time (not shown) and shown early.
        const opsBefore = (await drawStats(page))?.ops ?? {};
        const quiet = await waitFor(`${QUIET_FRAMES} more stream pictures presented`, async () => {
          const now = await pageState(page);
          return now.video.framesPresented >= state.video.framesPresented + QUIET_FRAMES ? now : undefined;
        }, 15_000, { pollMs: 200 });
        const opsAfter = (await drawStats(page))?.ops ?? {};
        const since = (op: string) => (opsAfter[op] ?? 0) - (opsBefore[op] ?? 0);
        const presented = quiet.video.framesPresented - state.video.framesPresented;
        console.log(`${c.server}: in a quiet stretch ${since('stream-frame')} frames received, ${presented} presented, ${since('stream-late')} late, ${since('stream-overflow')} shown early`);
        expect(since('stream-frame')).toBeGreaterThan(0);
        expect(since('stream-overflow')).toBe(0);
        expect(since('stream-late')).toBeLessThan(presented * LATE_SHARE);
        await waitFor('a STREAM_REPORT', () => reports.find((r) => r.frames > 0), 15_000, { pollMs: 200 });
        expect(reports.some((r) => r.drops === 0xffffffff), 'a cannot-decode report').toBe(false);

        if (c.renderer === 'webgl') {
          // A lost WebGL context takes the overlay textures with it: once restored, they are uploaded again.
          expect(await loseContext(page, 200)).toBe(true);
          const restored = await waitFor('the video after the context came back', async () => {
            const m = await matchNow();
            return m.mean < TOLERANCE[c.server] ? m : undefined;
          }, 10_000, { pollMs: 200 });
          // Moving, so it is the overlay and not the surface under it (which holds the draws of before the stream).
          const moved = await waitFor('the video moving after the context came back', async () => {
            const m = await matchNow();
            return m.mean < TOLERANCE[c.server] && m.offset !== restored.offset ? m : undefined;
          }, 10_000, { pollMs: 200 });
          console.log(`${c.server}: after a lost WebGL context, mean ${restored.mean.toFixed(2)} then ${moved.mean.toFixed(2)}`);
        }

        // COPY_BITS from the video area to a part of the screen nothing else draws.
        const display = await peers.relay.linked(DISPLAY);
        const to: Rect = { left: at.right + 80, top: at.top, right: at.right + 80 + W, bottom: at.top + H };
        const before = state.video.materialised;
        display.sendToClient(copyBits(to, { x: at.left, y: at.top }));
        const copied = await waitFor('the copy of the video', async () => {
          const m = bestScroll(await pagePixels(page), to, reference);
          return m.mean < TOLERANCE[c.server] ? m : undefined;
        }, 10_000, { pollMs: 200 });
        console.log(`${c.server}: the COPY_BITS destination matches with mean ${copied.mean.toFixed(2)}`);
        // The picture was written into the surface for the copy (the worker reports its counts every 0.5 s).
        await waitFor('the picture written into the surface', async () => ((await pageState(page)).video.materialised > before ? true : undefined), 5000, { pollMs: 100 });
        // The video stops: the server ends the stream (after 1 s without frames) and the status shows no stream.
        await player.stop();
        const end = await waitFor('no stream in the status', async () => {
          const now = await pageState(page);
          return now.video.status === null && now.video.statusText === '' ? now : undefined;
        }, 10_000, { pollMs: 200 });
        expect(end.messageErrors, end.lastError).toBe(0);
        // Over the whole run (the test's own pixel reads and the COPY_BITS included): none shown early.
        const ops = (await drawStats(page))?.ops ?? {};
        console.log(`${c.server}: over the run ${ops['stream-frame'] ?? 0} frames received, ${end.video.framesPresented} presented, ${ops['stream-late'] ?? 0} late, ${ops['stream-overflow'] ?? 0} shown early`);
        expect(ops['stream-overflow'] ?? 0).toBe(0);
        expect(pageProblems(page)).toEqual([]);
      } finally {
        await page.close();
      }
    });
  });
}

// A stream the page cannot decode: the relay flips the key-frame bit of the first VP8 frame, so the
// page's decoder refuses the stream (its first frame is no key frame). The page's STREAM_ERROR must
// reach the server as the "cannot decode" report, and the video must go on showing (as draws, or a
// later stream).
describe('a video stream the page cannot decode', () => {
  const reports: { frames: number; drops: number }[] = [];
  let spoiled = 0;
  const peers = useGatewayPeers({ streamingVideo: 'all', videoCodecs: 'gstreamer:vp8' }, undefined, {
    relay: {
      fromServer(channel, m) {
        if (channel.type !== DISPLAY || m.type !== STREAM_DATA || spoiled > 0) return undefined;
        spoiled++;
        const body = m.body.slice();
        // STREAM_DATA: u32 id, u32 mm time, u32 size, then the frame; bit 0 of a VP8 frame tag is 1 on an inter frame.
        body[12] |= 1;
        return [{ type: m.type, body }];
      },
      fromClient(channel, m) {
        if (channel.type === DISPLAY && m.type === STREAM_REPORT) {
          reports.push(readStreamReport(m.body));
        }
        return undefined;
      },
    },
  });

  it('reports it to the server, which stops streaming it, and the video keeps showing', { timeout: 120_000 }, async () => {
    const reference = patternReference(dir);
    const player = playPattern(peers.xs);
    const at = await patternWindow(peers.xs);
    const page = await openSessionPage(peers.browser, peers.serve.url);
    try {
      await waitFor('the cannot-decode report', () => reports.find((r) => r.frames === 0 && r.drops === 0xffffffff), 30_000, { pollMs: 100 });
      expect(spoiled).toBe(1);
      const state = await pageState(page);
      expect(state.video.streamErrors).toBeGreaterThanOrEqual(1);
      expect(state.video.lastStreamError).toMatch(/first frame is not a key frame/);
      const matchNow = async (): Promise<Match> => bestScroll(await pagePixels(page), at, reference);
      const first = await waitFor('the pattern in the page', async () => {
        const m = await matchNow();
        return m.mean < TOLERANCE['gstreamer:vp8'] ? m : undefined;
      }, 30_000, { pollMs: 300 });
      await waitFor('the pattern moved in the page', async () => {
        const m = await matchNow();
        return m.mean < TOLERANCE['gstreamer:vp8'] && m.offset !== first.offset ? m : undefined;
      }, 15_000, { pollMs: 300 });
      await player.stop();
    } finally {
      await page.close();
    }
  });
});
