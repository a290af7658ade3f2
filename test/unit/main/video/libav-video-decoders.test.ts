// The CLI's VP8/VP9 decoders (src/main/video) on real Xspice streams (test/fixtures/video): every
// frame decodes, in order, to the pattern on the screen (within a measured tolerance); the worker
// thread decodes the same pixels as the calling thread and starts only with the first stream; a
// corrupt frame rejects naming the codec (and, through the pipeline, the stream); a decoder that
// does not initialise is not announced; frames declaring huge pictures never reach libvpx.
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DisplayMsg, VideoCodec } from '../../../../src/protocol/channels/display/display-messages.ts';
import type { PipelineEvent } from '../../../../src/protocol/channels/display/display-sink.ts';
import { DisplayPipeline } from '../../../../src/protocol/display/display-pipeline.ts';
import { LocalDisplaySink } from '../../../../src/protocol/display/local-display-sink.ts';
import { mjpegVideoDecoders } from '../../../../src/protocol/display/mjpeg-video-decoders.ts';
import { combineVideoDecoders } from '../../../../src/protocol/display/video-decoder-sets.ts';
import { localImageDecoder } from '../../../../src/protocol/display/run-decode-job.ts';
import type { Pixels } from '../../../../src/protocol/pixels/pixels.ts';
import { silentLogger } from '../../../../src/protocol/logger.ts';
import { isSpiceError } from '../../../../src/protocol/wire/errors.ts';
import { WireWriter } from '../../../../src/protocol/wire/writer.ts';
import { LibavVideoDecoders } from '../../../../src/main/video/libav-video-decoders.ts';
import { inThreadBackend, VideoWorkerBackend, type VideoBackend } from '../../../../src/main/video/video-backend.ts';
import { loadLibav, type LibavInstance } from '../../../../src/main/video/libav-codecs.ts';
import { cliVideoDecoders, libavInstalled } from '../../../../src/main/video/cli-video-decoders.ts';
import { streamCreate, streamData } from '../../channels/display/stream-bodies.ts';
import { recordingLogger } from '../../../helpers/logger.ts';
import { matchPattern, patternOf, recording, VIDEO_MEAN_TOLERANCE } from './video-fixtures.ts';

const workerFile = resolve('dist/video-worker.cjs'); // built by test/global-setup.ts

/** Each test's own answer from libav.js: what one learns is not announced by another. */
const decoders = (backend: () => VideoBackend = () => inThreadBackend()) => new LibavVideoDecoders({ logger: silentLogger, backend, answer: { working: null } });

async function decodeAll(set: LibavVideoDecoders, name: string): Promise<Pixels[]> {
  const v = recording(name);
  const { codecType, stream } = v.header;
  const d = await set.create(codecType, stream.srcWidth, stream.srcHeight);
  const pictures: Pixels[] = [];
  for (const [i, f] of v.frames.entries()) {
    const frame = await d.decode(f, stream.srcWidth, stream.srcHeight);
    expect(frame, `${name} frame ${i}`).not.toBeNull();
    if (frame) pictures.push(await frame.pixels());
  }
  d.close();
  return pictures;
}

describe('the CLI VP8/VP9 decoders (libav.js)', () => {
  it.each(['vp8-320x240', 'vp9-320x240', 'vp8-640x480', 'vp9-640x480'])('%s: every frame decodes, in order, to the scrolling pattern', { timeout: 60_000 }, async (name) => {
    const v = recording(name);
    const pattern = patternOf(v);
    const set = decoders();
    try {
      const pictures = await decodeAll(set, name);
      expect(pictures.length).toBe(v.frames.length);
      const offsets: number[] = [];
      for (const [i, px] of pictures.entries()) {
        expect([px.width, px.height]).toEqual([v.header.stream.srcWidth, v.header.stream.srcHeight]);
        const m = matchPattern(px, pattern);
        expect(m.mean, `${name} frame ${i} against the pattern at offset ${m.offset}`).toBeLessThan(VIDEO_MEAN_TOLERANCE);
        offsets.push(m.offset);
      }
      // The pattern scrolls SPEED pixels a frame: each frame is a later picture than the one before
      // (the server may skip some), never the same one again, nor one out of order.
      const { speed, width } = v.header.pattern;
      for (let i = 1; i < offsets.length; i++) {
        const step = (offsets[i] - offsets[i - 1] + width) % width;
        expect(step % speed, `${name}: frame ${i} moved ${step} pixels`).toBe(0);
        expect(step, `${name}: frame ${i} moved ${step} pixels`).toBeGreaterThan(0);
        expect(step).toBeLessThan(width / 2);
      }
    } finally {
      set.close();
    }
  });

  it('decodes in a worker thread started by the first stream, to the same pixels as in this thread', { timeout: 60_000 }, async () => {
    const backend = new VideoWorkerBackend({ logger: silentLogger, workerFile });
    const inWorker = decoders(() => backend);
    const here = decoders();
    try {
      expect(inWorker.supported.map((s) => s.codec)).toEqual([VideoCodec.VP8, VideoCodec.VP9]);
      expect(backend.started).toBe(false);
      for (const name of ['vp8-320x240', 'vp9-320x240']) {
        const got = await decodeAll(inWorker, name);
        const expected = await decodeAll(here, name);
        expect(got.length).toBe(expected.length);
        for (const [i, px] of got.entries()) expect(Buffer.from(px.data.buffer).equals(Buffer.from(expected[i].data.buffer)), `${name} frame ${i}`).toBe(true);
      }
      expect(backend.started).toBe(true);
      // libav.js was asked: both decoders initialised.
      expect(inWorker.supported).toEqual([
        { codec: VideoCodec.VP8, acceleration: 'software' },
        { codec: VideoCodec.VP9, acceleration: 'software' },
      ]);
    } finally {
      inWorker.close();
      here.close();
    }
  });

  it('rejects a corrupt frame with a SpiceError naming the codec, in the worker and here', async () => {
    const v = recording('vp8-320x240');
    const corrupt = v.frames[1].slice();
    for (let i = 0; i < corrupt.length; i++) corrupt[i] ^= 0x5a;
    for (const backend of [() => new VideoWorkerBackend({ logger: silentLogger, workerFile }), () => inThreadBackend()]) {
      const set = decoders(backend);
      try {
        const d = await set.create(VideoCodec.VP8, 320, 240);
        expect(await d.decode(v.frames[0], 320, 240)).not.toBeNull();
        const error = await d.decode(corrupt, 320, 240).then(
          () => null,
          (e: unknown) => e,
        );
        expect(isSpiceError(error), String(error)).toBe(true);
        expect((error as Error).message).toMatch(/VP8 decoder refused a frame of \d+ bytes/);
      } finally {
        set.close();
      }
    }
  });

  it('through the display pipeline: the stream shows the pattern, and a corrupt frame drops the stream naming it and its codec', { timeout: 30_000 }, async () => {
    const v = recording('vp9-320x240');
    const events: PipelineEvent[] = [];
    const set = decoders();
    const p = new DisplayPipeline({ logger: silentLogger, video: set, onEvent: (e) => events.push(e) });
    try {
      let serial = 0n;
      const submit = (type: number, b: Uint8Array) => p.submit(0, type, b, ++serial);
      submit(DisplayMsg.SURFACE_CREATE, new WireWriter().u32(0).u32(400).u32(300).u32(32).u32(1).finish());
      const dest = { left: 40, top: 30, right: 360, bottom: 270 };
      submit(DisplayMsg.STREAM_CREATE, streamCreate({ id: 7, codec: VideoCodec.VP9, width: 320, height: 240, dest }));
      for (const f of v.frames) submit(DisplayMsg.STREAM_DATA, streamData(7, 0, f));
      // Decoded by the stream's pump after the message chain: settle waits for every frame.
      await p.settle(0);
      const surface = p.primarySurface(0);
      expect(surface).toBeDefined();
      if (!surface) return;
      const data = new Uint32Array(320 * 240);
      for (let y = 0; y < 240; y++) data.set(surface.data.subarray((30 + y) * 400 + 40, (30 + y) * 400 + 360), y * 320);
      const m = matchPattern({ width: 320, height: 240, data, hasAlpha: false }, patternOf(v));
      expect(m.mean).toBeLessThan(VIDEO_MEAN_TOLERANCE);
      expect(events.filter((e) => e.type === 'stream-error')).toEqual([]);

      const corrupt = new Uint8Array(200).fill(0x33);
      submit(DisplayMsg.STREAM_DATA, streamData(7, 0, corrupt));
      await p.settle(0);
      const errors = events.filter((e) => e.type === 'stream-error');
      expect(errors.length).toBe(1);
      expect(errors[0].type === 'stream-error' && errors[0].message).toMatch(/video stream 7: its VP9 decoder failed on a frame \(.*VP9.*\); the stream is dropped/);
    } finally {
      p.close();
      set.close();
    }
  });

  it('announces only the codecs whose decoder initialised once libav.js has been asked', async () => {
    // libav.js as installed, except that its VP9 decoder does not initialise.
    const withoutVp9 = async (): Promise<LibavInstance> => {
      const libav = await loadLibav();
      const init = libav.ff_init_decoder.bind(libav);
      return Object.assign(Object.create(libav) as LibavInstance, {
        ff_init_decoder: (name: string) => (name.includes('vp9') ? Promise.reject(new Error('Codec not found')) : init(name)),
      });
    };
    const lines: string[] = [];
    const answer = { working: null };
    const set = new LibavVideoDecoders({ logger: recordingLogger(lines), backend: () => inThreadBackend(withoutVp9), answer });
    // Before the first stream, libav.js has not been asked: the variant's codecs.
    expect(set.supported.map((s) => s.codec)).toEqual([VideoCodec.VP8, VideoCodec.VP9]);
    const next = new LibavVideoDecoders({ logger: silentLogger, backend: () => inThreadBackend(withoutVp9), answer });
    try {
      expect(await set.start()).toEqual([VideoCodec.VP8]);
      expect(set.supported).toEqual([{ codec: VideoCodec.VP8, acceleration: 'software' }]);
      await expect(set.create(VideoCodec.VP9)).rejects.toThrow(/VP9 is not decoded here/);
      // A later session of the same process (a reconnect) announces what libav.js said, with the pool's MJPEG.
      const sink = new LocalDisplaySink({ logger: silentLogger, decoder: localImageDecoder(), video: combineVideoDecoders(mjpegVideoDecoders(localImageDecoder()), next) });
      expect(sink.videoCodecs().map((s) => s.codec)).toEqual([VideoCodec.MJPEG, VideoCodec.VP8]);
      sink.close();
      expect(lines).toEqual(['warn: libav.js has no working decoder for VP9: no longer announced']);
      // VP8 still decodes.
      expect((await decodeAll(set, 'vp8-320x240')).length).toBe(30);
    } finally {
      set.close();
    }

    // A libav.js that does not start at all: nothing is announced, and the reason is logged.
    const failing: string[] = [];
    const none = new LibavVideoDecoders({
      logger: recordingLogger(failing),
      backend: () => inThreadBackend(() => Promise.reject(new Error('Cannot find module @libav.js/variant-webm-vp9'))),
      answer: { working: null },
    });
    expect(await none.start()).toEqual([]);
    expect(none.supported).toEqual([]);
    await expect(none.create(VideoCodec.VP8)).rejects.toThrow(/VP8 is not decoded here/);
    expect(failing).toEqual(['error: libav.js did not start (Cannot find module @libav.js/variant-webm-vp9): no VP8/VP9 video is decoded']);
    none.close();
  });

  it('a video worker that cannot start fails the first stream with an error, and decodes nothing after', async () => {
    const lines: string[] = [];
    const set = new LibavVideoDecoders({
      logger: recordingLogger(lines),
      backend: () => new VideoWorkerBackend({ logger: silentLogger, workerFile: resolve('dist/no-such-video-worker.cjs') }),
      answer: { working: null },
    });
    try {
      await expect(set.create(VideoCodec.VP8, 320, 240)).rejects.toThrow(/VP8 is not decoded here/);
      expect(set.supported).toEqual([]);
      expect(lines.join('\n')).toMatch(/error: libav.js did not start \(the video worker failed: .*no-such-video-worker/);
    } finally {
      set.close();
    }
  });

  it('refuses frames that declare a larger picture than the stream before libvpx sees them', async () => {
    const set = decoders();
    try {
      const vp8 = await set.create(VideoCodec.VP8, 320, 240);
      const huge = recording('vp8-320x240').frames[0].slice();
      huge.set([0xff, 0x3f, 0xff, 0x3f], 6); // 16383x16383
      await expect(vp8.decode(huge, 320, 240)).rejects.toThrow(/VP8 frame declares a 16383x16383 picture, larger than the stream's 320x240/);
      const vp9 = await set.create(VideoCodec.VP9, 320, 240);
      const big = recording('vp9-640x480').frames[0];
      await expect(vp9.decode(big, 320, 240)).rejects.toThrow(/VP9 frame declares a 640x480 picture, larger than the stream's 320x240/);
    } finally {
      set.close();
    }
  });
});

describe('the CLI sessions\' VP8/VP9 set', () => {
  it('announces VP8 and VP9 where libav.js is installed, nothing where it is not, without starting it', () => {
    expect(libavInstalled(resolve('dist'))).toBe(true);
    expect(cliVideoDecoders(silentLogger, { resolveFrom: resolve('dist') }).supported.map((s) => s.codec)).toEqual([VideoCodec.VP8, VideoCodec.VP9]);
    const lines: string[] = [];
    expect(libavInstalled('/')).toBe(false);
    expect(cliVideoDecoders(recordingLogger(lines), { resolveFrom: '/' }).supported).toEqual([]);
    expect(lines).toEqual(['debug: @libav.js/variant-webm-vp9 is not installed: no VP8/VP9 video is decoded']);
  });
});
