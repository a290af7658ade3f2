// A video playing on Xspice with --streaming-video all, in the page through `spicedesk serve`. The
// page does not decode video streams yet: it announces MULTI_CODEC with no codec, so the server
// sends the video as ordinary draws. This checks that the page then really shows the video (the
// region matches the scrolling pattern, and moves), instead of the frozen region of before.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Rect } from '../../src/protocol/pixels/geometry.ts';
import { waitFor } from '../helpers/wait.ts';
import { requireTool } from '../peers/require-tool.ts';
import { bestScroll, H, MEAN_TOLERANCE, patternReference, playPattern, W, type Match } from '../peers/video-pattern.ts';
import type { XspiceServer } from '../peers/xspice.ts';
import { openSessionPage, pagePixels, pageProblems } from './browser-page.ts';
import { useGatewayPeers } from './gateway-peers.ts';
import { pageState } from './page-api.ts';

const dir = mkdtempSync(join(tmpdir(), 'spicedesk-video-page-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

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

describe('a video playing in the guest, in the page', () => {
  beforeAll(() => {
    requireTool('gst-launch-1.0', 'gstreamer1.0-tools');
    requireTool('xwininfo', 'x11-utils');
  });
  const peers = useGatewayPeers({ streamingVideo: 'all', videoCodecs: 'spice:mjpeg' });

  it('shows the video and keeps it moving (sent as draws, since the page announces no codec)', { timeout: 90_000 }, async () => {
    const reference = patternReference(dir);
    playPattern(peers.xs);
    const at = await patternWindow(peers.xs);
    const page = await openSessionPage(peers.browser, peers.serve.url);
    try {
      const matchNow = async (): Promise<Match> => bestScroll(await pagePixels(page), at, reference);
      // The first matching frame, then a later one: the pattern scrolls 4 px a frame at 25 fps.
      const first = await waitFor('the pattern in the page', async () => {
        const m = await matchNow();
        return m.mean < MEAN_TOLERANCE ? m : undefined;
      }, 30_000, { pollMs: 300 });
      const later = await waitFor('the pattern moved in the page', async () => {
        const m = await matchNow();
        return m.mean < MEAN_TOLERANCE && m.offset !== first.offset ? m : undefined;
      }, 15_000, { pollMs: 300 });
      expect(later.mean).toBeLessThan(MEAN_TOLERANCE);
      const state = await pageState(page);
      expect(state.messageErrors, state.lastError).toBe(0);
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
