// The CLI's stream codecs against a real Xspice, one server per codec (--streaming-video all,
// --video-codecs gstreamer:<codec>): the scrolling test pattern becomes a stream of that codec
// (STREAM_CREATE's codec, seen by the SPICE relay), `capture` decodes its frames (VP8 and VP9 with
// libav.js in the video worker, MJPEG in the decode pool) and the captured screen shows the
// pattern where the stream is, within the measured tolerance.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startXspice } from '../peers/xspice.ts';
import { bestScroll, H, MEAN_TOLERANCE, patternReference, playPattern, VPX_MEAN_TOLERANCE, W } from '../peers/video-pattern.ts';
import { startSpiceRelay, type RelayedMessage } from '../peers/spice-relay.ts';
import { readPng } from '../peers/png.ts';
import { requireTool } from '../peers/require-tool.ts';
import { startCli } from '../helpers/cli.ts';
import { waitUntil } from '../helpers/wait.ts';
import type { Rect } from '../../src/protocol/pixels/geometry.ts';
import { DISPLAY, STREAM_CREATE, STREAM_DATA, STREAM_DATA_SIZED, STREAM_REPORT, u32 } from '../peers/stream-wire.ts';

const dir = mkdtempSync(join(tmpdir(), 'spicedesk-video-codecs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));


const CASES = [
  { codec: 'vp8', type: 2, tolerance: VPX_MEAN_TOLERANCE },
  { codec: 'vp9', type: 4, tolerance: VPX_MEAN_TOLERANCE },
  // gstreamer:mjpeg (avenc_mjpeg) sends whole JPEGs, unlike spice:mjpeg (video-xspice.test.ts).
  { codec: 'mjpeg', type: 1, tolerance: MEAN_TOLERANCE },
] as const;

describe('capture decodes the video codecs Xspice streams', () => {
  it.each(CASES)('gstreamer:$codec', { timeout: 120_000 }, async ({ codec, type, tolerance }) => {
    requireTool('gst-launch-1.0', 'gstreamer1.0-tools');
    const reference = patternReference(dir);
    const xs = await startXspice({ streamingVideo: 'all', videoCodecs: `gstreamer:${codec}` });
    const creates: { codec: number; dest: Rect }[] = [];
    let frames = 0;
    /** STREAM_REPORTs that say the client cannot decode the stream (0 frames, drops 0xFFFFFFFF). */
    const cannotDecode: number[] = [];
    const relay = await startSpiceRelay(
      { port: xs.port },
      {
        fromServer(channel, m: RelayedMessage) {
          if (channel.type !== DISPLAY) return undefined;
          const b = m.body;
          if (m.type === STREAM_CREATE) creates.push({ codec: b[9], dest: { top: u32(b, 34), left: u32(b, 38), bottom: u32(b, 42), right: u32(b, 46) } });
          if (m.type === STREAM_DATA || m.type === STREAM_DATA_SIZED) frames++;
          return undefined;
        },
        fromClient(channel, m) {
          if (channel.type === DISPLAY && m.type === STREAM_REPORT && u32(m.body, 20) === 0xffffffff) cannotDecode.push(u32(m.body, 0));
          return undefined;
        },
      },
    );
    try {
      playPattern(xs);
      const out = join(dir, `${codec}.png`);
      const capture = startCli(['capture', relay.url, '-o', out, '--until-eof', '--timeout', '60', '-v'], { keepStdinOpen: true, killAfterMs: 90_000 });
      await waitUntil(`the capture to get 25 ${codec} stream frames`, () => frames >= 25 || capture.exited(), 60_000, {
        explain: () => `${creates.length} STREAM_CREATE (codecs ${creates.map((c) => c.codec).join(',')}), ${frames} frames; ${capture.stderrSoFar().slice(-2000)}`,
      });
      capture.closeStdin();
      const r = await capture.done;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr.split('\n').filter((line) => /video stream|STREAM_|libav/.test(line))).toEqual([]);
      expect(cannotDecode).toEqual([]);
      const stream = creates.at(-1);
      expect(stream, 'a STREAM_CREATE').toBeDefined();
      if (!stream) return;
      expect(creates.map((c) => c.codec)).toEqual(creates.map(() => type));
      expect(stream.dest.right - stream.dest.left).toBe(W);
      expect(stream.dest.bottom - stream.dest.top).toBe(H);
      const match = bestScroll(readPng(out), stream.dest, reference);
      expect(match.mean, `the video region of the ${codec} capture against the pattern at offset ${match.offset}`).toBeLessThan(tolerance);
      // The capture drew stream frames (its -v log counts the operations drawn), not draws alone.
      const drawn = /"ops":\{[^}]*"stream-frame":(\d+)/.exec(r.stderr);
      expect(Number(drawn?.[1] ?? 0), 'stream frames drawn by the capture').toBeGreaterThan(0);
    } finally {
      await relay.close();
      await xs.stop();
    }
  });
});
