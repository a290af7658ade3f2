// Video streams from a real Xspice (--streaming-video all, spice:mjpeg): a GStreamer test pattern
// scrolling in a window becomes an MJPEG stream; through the SPICE relay the test sees
// STREAM_CREATE and STREAM_DATA reach spicedesk and its STREAM_REPORTs reach the server, and
// `capture` shows the stream's frames: the video region matches the pattern (at some scroll
// offset, within a measured tolerance) and differs between two captures taken apart. A client
// that decodes no codec (as the page) gets no stream: the video comes as draws, and shows.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startXspice } from '../peers/xspice.ts';
import { bestScroll, H, MEAN_TOLERANCE, patternReference, playPattern, W, type Match } from '../peers/video-pattern.ts';
import { startSpiceRelay, type RelayedMessage } from '../peers/spice-relay.ts';
import { readPng } from '../peers/png.ts';
import { requireTool } from '../peers/require-tool.ts';
import { startCli } from '../helpers/cli.ts';
import { waitFor, waitUntil } from '../helpers/wait.ts';
import type { Rect } from '../../src/protocol/pixels/geometry.ts';
import { ChannelType } from '../../src/protocol/link/constants.ts';
import { silentLogger } from '../../src/protocol/logger.ts';
import { Session } from '../../src/protocol/session/session.ts';
import { DisplayChannel } from '../../src/protocol/channels/display/display-channel.ts';
import { LocalDisplaySink } from '../../src/protocol/display/local-display-sink.ts';
import { localImageDecoder } from '../../src/protocol/display/run-decode-job.ts';
import { openSocket } from '../../src/main/transport/socket-transport.ts';
import { nodeTicketCrypto } from '../../src/main/node/ticket-crypto.ts';
import { DISPLAY, DRAW_FIRST, DRAW_LAST, i32, STREAM_CREATE, STREAM_DATA, STREAM_DATA_SIZED, STREAM_REPORT, u32 } from '../peers/stream-wire.ts';

const dir = mkdtempSync(join(tmpdir(), 'spicedesk-video-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));


describe('video streams from Xspice', () => {
  it('MJPEG: STREAM_CREATE/DATA arrive, STREAM_REPORTs reach the server, and capture shows the video', { timeout: 120_000 }, async () => {
    requireTool('gst-launch-1.0', 'gstreamer1.0-tools');
    const reference = patternReference(dir);
    const xs = await startXspice({ streamingVideo: 'all', videoCodecs: 'spice:mjpeg' });
    const creates: { codec: number; dest: Rect; flags: number; index: number }[] = [];
    /** Draw messages (302 and up) per relayed connection. */
    const draws = new Map<number, number>();
    const frames: number[] = [];
    const reports: { streamId: number; frames: number; drops: number; delay: number }[] = [];
    const relay = await startSpiceRelay(
      { port: xs.port },
      {
        fromServer(channel, m: RelayedMessage) {
          if (channel.type !== DISPLAY) return undefined;
          if (m.type === STREAM_CREATE) {
            const b = m.body;
            creates.push({ index: channel.index, flags: b[8], codec: b[9], dest: { top: u32(b, 34), left: u32(b, 38), bottom: u32(b, 42), right: u32(b, 46) } });
          }
          if (m.type === STREAM_DATA || m.type === STREAM_DATA_SIZED) frames.push(channel.index);
          if (m.type >= DRAW_FIRST && m.type <= DRAW_LAST) draws.set(channel.index, (draws.get(channel.index) ?? 0) + 1);
          return undefined;
        },
        fromClient(channel, m) {
          if (channel.type === DISPLAY && m.type === STREAM_REPORT) reports.push({ streamId: u32(m.body, 0), frames: u32(m.body, 16), drops: u32(m.body, 20), delay: i32(m.body, 24) });
          return undefined;
        },
      },
    );
    try {
      playPattern(xs);
      const matches: Match[] = [];
      for (const name of ['first', 'second']) {
        const out = join(dir, `${name}.png`);
        const framesBefore = frames.length;
        const reportsBefore = reports.length;
        const capture = startCli(['capture', relay.url, '-o', out, '--until-eof', '--timeout', '30', '-v'], { keepStdinOpen: true, killAfterMs: 60_000 });
        // Frames keep coming while the capture watches, and it reports them.
        await waitUntil(`the ${name} capture to get 25 stream frames and send a STREAM_REPORT`, () => (frames.length - framesBefore >= 25 && reports.length > reportsBefore) || capture.exited(), 30_000, {
          explain: () => `${creates.length} STREAM_CREATE, ${frames.length - framesBefore} frames, ${reports.length - reportsBefore} reports; ${capture.stderrSoFar().slice(-2000)}`,
        });
        capture.closeStdin();
        const r = await capture.done;
        expect(r.code, r.stderr).toBe(0);
        expect(r.stderr.split('\n').filter((line) => /video stream|STREAM_/.test(line))).toEqual([]);
        const stream = creates.at(-1);
        expect(stream, 'a STREAM_CREATE').toBeDefined();
        if (!stream) return;
        expect(stream.codec).toBe(1);
        expect(stream.dest.right - stream.dest.left).toBe(W);
        expect(stream.dest.bottom - stream.dest.top).toBe(H);
        const match = bestScroll(readPng(out), stream.dest, reference);
        expect(match.mean, `the video region of ${out} against the pattern at offset ${match.offset}`).toBeLessThan(MEAN_TOLERANCE);
        matches.push(match);
        // The capture drew stream frames (its -v log counts the operations drawn).
        const drawn = /"ops":\{[^}]*"stream-frame":(\d+)/.exec(r.stderr);
        expect(Number(drawn?.[1] ?? 0), 'stream frames drawn by the capture').toBeGreaterThan(0);
      }
      // The pattern scrolled between the two captures: their frames are not the same one.
      expect(matches[0].offset).not.toBe(matches[1].offset);
      // Reports are well-formed windows the server accepts: real frame counts of a stream it has.
      for (const report of reports) {
        expect(report.streamId).toBeLessThan(50);
        expect(report.frames).toBeGreaterThan(0);
        expect(report.drops).toBeLessThanOrEqual(report.frames);
      }

      // A client whose decoder decodes no JPEG (as the page, which announces no codec) announces
      // MULTI_CODEC alone: the server sends the video as ordinary draws, and they show it.
      const session = new Session({
        connector: () => openSocket({ host: '127.0.0.1', port: relay.port }, 5000),
        crypto: nodeTicketCrypto,
        logger: silentLogger,
        displaySink: new LocalDisplaySink({ logger: silentLogger, decoder: localImageDecoder() }),
        where: relay.url,
        shouldLink: (c) => c.type === ChannelType.DISPLAY,
      });
      try {
        const createsBefore = creates.length;
        const relayedBefore = relay.channels.length;
        const displayErrors: string[] = [];
        session.events.on('channel-linked', (ch) => {
          if (ch instanceof DisplayChannel) ch.events.on('message-error', (e) => displayErrors.push(e.message));
        });
        await session.connect();
        const linked = await waitFor('the display channel of the client without codecs', () => relay.channels.slice(relayedBefore).find((c) => c.type === DISPLAY), 15_000);
        await waitUntil('50 draws of the playing video on the client without codecs', () => (draws.get(linked.index) ?? 0) >= 50, 30_000, {
          explain: () => `${draws.get(linked.index) ?? 0} draws`,
        });
        const snapshot = await session.display(0)?.snapshot();
        expect(snapshot).toBeTruthy();
        if (!snapshot) return;
        const rgba = Buffer.alloc(snapshot.width * snapshot.height * 4);
        snapshot.data.forEach((p, i) => rgba.writeUInt32BE(((p << 8) | 0xff) >>> 0, i * 4));
        const match = bestScroll({ width: snapshot.width, height: snapshot.height, rgba }, creates[0].dest, reference);
        expect(match.mean, `the video region drawn from draws, at offset ${match.offset}`).toBeLessThan(MEAN_TOLERANCE);
        expect(creates.filter((c) => c.index === linked.index)).toEqual([]);
        expect(creates.length).toBe(createsBefore);
        expect(displayErrors).toEqual([]);
      } finally {
        await session.close();
      }
    } finally {
      await relay.close();
      await xs.stop();
    }
  });
});
