// The CLI's video stream decoders on the recorded Xspice streams (test/fixtures/video): VP8 and VP9
// with libav.js, in this thread (decode + YUV to ARGB alone) and through the video worker as the
// CLI runs them (with the messages to and from the worker); MJPEG (gstreamer:mjpeg frames) with
// the JPEG decoder of the CLI's decode pool, for comparison. No server needed.
//
// Method: a run decodes a whole recording from its key frame with a new stream decoder (frames
// depend on the ones before, so they cannot be timed one by one in a loop); the first run warms
// up (libav.js start, WebAssembly compile) and is not counted. The table gives the median frames
// per second and ms per frame over `runs` runs, the fastest run's, and how long the first stream
// took to start (libav.js and the worker).
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { VideoCodec } from '../../src/protocol/channels/display/display-messages.ts';
import { mjpegVideoDecoders } from '../../src/protocol/display/mjpeg-video-decoders.ts';
import { localImageDecoder } from '../../src/protocol/display/run-decode-job.ts';
import type { VideoDecoders } from '../../src/protocol/display/video-decoder.ts';
import { silentLogger } from '../../src/protocol/logger.ts';
import { nodeJpegDecoder } from '../../src/main/node/jpeg-node.ts';
import { LibavVideoDecoders } from '../../src/main/video/libav-video-decoders.ts';
import { inThreadBackend, VideoWorkerBackend } from '../../src/main/video/video-backend.ts';
import { readRecordedVideo, type RecordedVideo } from '../fixtures/video/recorded-video.ts';
import { formatTable, median } from './measure.ts';

const RECORDINGS = ['vp8-320x240', 'vp9-320x240', 'vp8-640x480', 'vp9-640x480', 'mjpeg-320x240'];

interface VideoRow {
  recording: string;
  where: string;
  frames: number;
  startMs: number;
  medianFps: number;
  bestFps: number;
  medianMsPerFrame: number;
}

async function decodeRun(set: VideoDecoders, v: RecordedVideo): Promise<number> {
  const { codecType, stream } = v.header;
  const d = await set.create(codecType, stream.srcWidth, stream.srcHeight);
  const started = performance.now();
  for (const f of v.frames) {
    const frame = await d.decode(f, stream.srcWidth, stream.srcHeight);
    if (!frame) throw new Error(`${v.header.codec}: a frame gave no picture`);
    await frame.pixels();
    frame.close();
  }
  const ms = performance.now() - started;
  d.close();
  return ms;
}

async function measureSet(recording: string, where: string, make: () => VideoDecoders, v: RecordedVideo, runs: number): Promise<VideoRow> {
  const set = make();
  try {
    const t0 = performance.now();
    await decodeRun(set, v);
    const startMs = performance.now() - t0;
    const times: number[] = [];
    for (let i = 0; i < runs; i++) times.push(await decodeRun(set, v));
    const n = v.frames.length;
    const med = median(times);
    return { recording, where, frames: n, startMs, medianFps: (n * 1000) / med, bestFps: (n * 1000) / Math.min(...times), medianMsPerFrame: med / n };
  } finally {
    set.close?.();
  }
}

export async function runVideoDecodeBench(options: { runs: number; root: string }): Promise<{ table: string; rows: VideoRow[]; loadBefore: number; loadAfter: number }> {
  const loadBefore = loadavg()[0];
  const workerFile = join(options.root, 'dist', 'video-worker.cjs');
  const rows: VideoRow[] = [];
  for (const recording of RECORDINGS) {
    const v = readRecordedVideo(join(options.root, 'test', 'fixtures', 'video', `${recording}.bin`));
    if (v.header.codecType === VideoCodec.MJPEG) {
      rows.push(await measureSet(recording, 'this thread (jpeg-js)', () => mjpegVideoDecoders(localImageDecoder({ jpeg: nodeJpegDecoder })), v, options.runs));
      continue;
    }
    // Each set its own answer from libav.js, so none learns from another.
    const libav = (backend: () => ReturnType<typeof inThreadBackend>) => () => new LibavVideoDecoders({ logger: silentLogger, backend, answer: { working: null } });
    rows.push(await measureSet(recording, 'this thread', libav(() => inThreadBackend()), v, options.runs));
    rows.push(await measureSet(recording, 'video worker', libav(() => new VideoWorkerBackend({ logger: silentLogger, workerFile })), v, options.runs));
  }
  const loadAfter = loadavg()[0];
  const table = [
    formatTable(
      ['recording', 'decoded in', 'frames', 'first stream ms', 'median fps', 'median ms/frame', 'best fps'],
      rows.map((r) => [r.recording, r.where, String(r.frames), r.startMs.toFixed(0), r.medianFps.toFixed(0), r.medianMsPerFrame.toFixed(2), r.bestFps.toFixed(0)]),
    ),
    '',
    `"first stream ms": the first whole recording, with libav.js (and the worker) starting. Load average ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after.`,
  ].join('\n');
  return { table, rows, loadBefore, loadAfter };
}
