// Video stream frames in the display pipeline: MJPEG frames decoded and drawn at the stream's place,
// inside its clip, flipped when bottom-up, with the Huffman tables the built-in encoder leaves out
// after the first frame put back; streams that cannot be drawn refused with a clear error while the
// pipeline goes on drawing.
import { encode } from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import type { PipelineEvent } from '../../../src/protocol/channels/display/display-sink.ts';
import { DisplayMsg, VideoCodec } from '../../../src/protocol/channels/display/display-messages.ts';
import { DisplayPipeline } from '../../../src/protocol/display/display-pipeline.ts';
import { localImageDecoder } from '../../../src/protocol/display/run-decode-job.ts';
import { mjpegVideoDecoders } from '../../../src/protocol/display/mjpeg-video-decoders.ts';
import type { ImageDecoder } from '../../../src/protocol/display/image-decode-job.ts';
import { silentLogger } from '../../../src/protocol/logger.ts';
import { MjpegTables } from '../../../src/protocol/codecs/mjpeg.ts';
import { nodeJpegDecoder } from '../../../src/main/node/jpeg-node.ts';
import { WireWriter } from '../../../src/protocol/wire/writer.ts';
import { SpiceError } from '../../../src/protocol/wire/errors.ts';
import { box } from '../channels/display/body-builder.ts';
import { streamClip, streamCreate, streamData, streamDataSized, streamDestroy, type StreamCreateFields } from '../channels/display/stream-bodies.ts';
import { concat } from '../../helpers/memory-transport.ts';

const RED = 0xff0000;
const BLUE = 0x0000ff;
const SURFACE = 32;

/** A JPEG of w×h: the top half `top`, the bottom half `bottom` (RGB), at top quality. */
function jpeg(w: number, h: number, top: number, bottom: number): Uint8Array {
  const rgba = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) {
    const c = y < h / 2 ? top : bottom;
    for (let x = 0; x < w; x++) rgba.set([c >> 16, (c >> 8) & 0xff, c & 0xff, 255], (y * w + x) * 4);
  }
  return new Uint8Array(encode({ data: rgba, width: w, height: h }, 100).data);
}

/** The frame without its DHT segments, as spice:mjpeg sends every frame after the first. */
function withoutHuffmanTables(frame: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [frame.subarray(0, 2)];
  let at = 2;
  while (frame[at + 1] !== 0xda) {
    const length = (frame[at + 2] << 8) | frame[at + 3];
    if (frame[at + 1] !== 0xc4) parts.push(frame.subarray(at, at + 2 + length));
    at += 2 + length;
  }
  parts.push(frame.subarray(at));
  return concat(parts);
}

function pipeline(decoder = localImageDecoder({ jpeg: nodeJpegDecoder })) {
  const events: PipelineEvent[] = [];
  const p = new DisplayPipeline({ logger: silentLogger, decoder, video: mjpegVideoDecoders(decoder), onEvent: (e) => events.push(e) });
  let serial = 0n;
  const submit = (type: number, b: Uint8Array) => p.submit(0, type, b, ++serial);
  submit(DisplayMsg.SURFACE_CREATE, new WireWriter().u32(0).u32(SURFACE).u32(SURFACE).u32(32).u32(1).finish());
  const errors = () => events.flatMap((e) => (e.type === 'message-error' || e.type === 'stream-error' ? [e.message] : []));
  const streamErrors = () => events.flatMap((e) => (e.type === 'stream-error' ? [e.streamId] : []));
  // Frames are decoded by their stream's pump, after the message chain: settle waits for them.
  const pixel = async (x: number, y: number) => {
    await p.settle(0);
    return (p.primarySurface(0)?.data[y * SURFACE + x] ?? 0) & 0xffffff;
  };
  const create = (f: Omit<StreamCreateFields, 'width' | 'height'> & { width?: number; height?: number }) =>
    submit(DisplayMsg.STREAM_CREATE, streamCreate({ width: 8, height: 8, ...f }));
  return { p, submit, errors, streamErrors, pixel, create };
}

/** Near a colour, as JPEG gives it back. */
const near = (actual: number, expected: number) =>
  [16, 8, 0].every((s) => Math.abs(((actual >> s) & 0xff) - ((expected >> s) & 0xff)) <= 24);

describe('video streams in the display pipeline', () => {
  it('draws each MJPEG frame scaled into the stream dest, abbreviated frames included', async () => {
    const { submit, errors, pixel, create } = pipeline();
    create({ id: 49, dest: box(8, 4, 24, 20) });
    const first = jpeg(8, 8, RED, BLUE);
    submit(DisplayMsg.STREAM_DATA, streamData(49, 1, first));
    expect(near(await pixel(4, 8), RED)).toBe(true);
    expect(near(await pixel(19, 23), BLUE)).toBe(true);
    expect(await pixel(3, 8)).toBe(0);
    expect(await pixel(20, 23)).toBe(0);
    // The second frame has no DHT: the first frame's tables are put back.
    submit(DisplayMsg.STREAM_DATA, streamData(49, 2, withoutHuffmanTables(jpeg(8, 8, BLUE, RED))));
    expect(near(await pixel(4, 8), BLUE)).toBe(true);
    expect(near(await pixel(19, 23), RED)).toBe(true);
    expect(errors()).toEqual([]);
  });

  it('flips a bottom-up stream and draws only inside the clip', async () => {
    const { submit, errors, pixel, create } = pipeline();
    create({ id: 1, flags: 0, dest: box(0, 0, 8, 8), clip: [box(0, 0, 8, 4)] });
    submit(DisplayMsg.STREAM_DATA, streamData(1, 1, jpeg(8, 8, RED, BLUE)));
    expect(near(await pixel(0, 0), BLUE)).toBe(true);
    expect(near(await pixel(3, 7), RED)).toBe(true);
    expect(await pixel(4, 0)).toBe(0);
    // An empty clip (RECTS with none) hides the stream; CLIP NONE shows it whole.
    submit(DisplayMsg.STREAM_CLIP, streamClip(1, []));
    submit(DisplayMsg.STREAM_DATA, streamData(1, 2, jpeg(8, 8, BLUE, BLUE)));
    expect(near(await pixel(0, 7), RED)).toBe(true);
    submit(DisplayMsg.STREAM_CLIP, streamClip(1, null));
    submit(DisplayMsg.STREAM_DATA, streamData(1, 3, jpeg(8, 8, BLUE, BLUE)));
    expect(near(await pixel(7, 7), BLUE)).toBe(true);
    expect(errors()).toEqual([]);
  });

  it('draws a STREAM_DATA_SIZED frame at its own size and dest', async () => {
    const { submit, errors, pixel, create } = pipeline();
    create({ id: 2, dest: box(0, 0, 8, 8) });
    submit(DisplayMsg.STREAM_DATA_SIZED, streamDataSized(2, 1, 16, 8, box(16, 0, 24, 32), jpeg(16, 8, RED, RED)));
    expect(near(await pixel(31, 23), RED)).toBe(true);
    expect(await pixel(0, 0)).toBe(0);
    expect(errors()).toEqual([]);
  });

  it('refuses a stream larger than its surface, a codec it cannot decode, and frames of streams it does not have', async () => {
    const { submit, errors, streamErrors, pixel, create } = pipeline();
    create({ id: 3, dest: box(0, 0, 8, 40) });
    // The frames of a stream dropped here are ignored quietly: its error was told once.
    submit(DisplayMsg.STREAM_DATA, streamData(3, 1, jpeg(8, 8, RED, RED)));
    create({ id: 4, codec: VideoCodec.VP8, dest: box(0, 0, 8, 8) });
    create({ id: 5, dest: box(0, 0, 8, 8) });
    submit(DisplayMsg.STREAM_DESTROY, streamDestroy(5));
    submit(DisplayMsg.STREAM_DATA, streamData(5, 1, jpeg(8, 8, RED, RED)));
    // A frame its decoder fails on drops the stream (the server then sends draws): once.
    create({ id: 6, dest: box(0, 0, 8, 8) });
    submit(DisplayMsg.STREAM_DATA, streamData(6, 1, new Uint8Array([0xff, 0xd8, 1, 2])));
    submit(DisplayMsg.STREAM_DATA, streamData(6, 2, jpeg(8, 8, RED, RED)));
    expect(await pixel(0, 0)).toBe(0);
    // Frames larger than the surface: the stream, or one sized frame.
    create({ id: 8, width: 64, height: 64, dest: box(0, 0, 8, 8) });
    create({ id: 9, dest: box(0, 0, 8, 8) });
    submit(DisplayMsg.STREAM_DATA_SIZED, streamDataSized(9, 1, 33, 32, box(0, 0, 8, 8), jpeg(8, 8, RED, RED)));
    submit(DisplayMsg.STREAM_DATA, streamData(9, 2, jpeg(8, 8, RED, RED)));
    expect(near(await pixel(0, 0), RED)).toBe(true);
    const e = errors();
    expect(e[0]).toMatch(/video stream 3 at \(0,0\)-\(40,8\) does not fit its 32x32 surface 0; the stream is dropped/);
    expect(e[1]).toMatch(/video stream 4 uses VP8, which is not decoded here; the stream is dropped/);
    expect(e[2]).toMatch(/a frame for video stream 5, which does not exist here/);
    expect(e[3]).toMatch(/video stream 6: its MJPEG decoder failed on a frame \(.+\); the stream is dropped/);
    expect(e[4]).toMatch(/video stream 8's frames of 64x64 are larger than its 32x32 surface 0; the stream is dropped/);
    expect(e[5]).toMatch(/video stream 9: a frame of 33x32 is larger than its 32x32 surface; ignoring the frame/);
    expect(e).toHaveLength(6);
    expect(streamErrors()).toEqual([3, 4, 6, 8]);
  });

  it('gives a decoder that transfers its jobs a copy of the frame, never the buffer the messages share', async () => {
    const local = localImageDecoder({ jpeg: nodeJpegDecoder });
    const transferring: ImageDecoder = {
      transfersJobs: true,
      // As the CLI's decode pool does: the job's buffer moves to another thread.
      decode: (job) => local.decode({ ...job, data: new Uint8Array(structuredClone(job.data.buffer, { transfer: [job.data.buffer] })) }),
      close: () => local.close(),
    };
    const { submit, errors, pixel, create } = pipeline(transferring);
    create({ id: 7, dest: box(0, 0, 8, 8) });
    const first = streamData(7, 1, jpeg(8, 8, RED, RED));
    const second = streamData(7, 2, jpeg(8, 8, BLUE, BLUE));
    // Two messages in one received buffer, as the socket delivers them.
    const shared = new Uint8Array(first.length + second.length);
    shared.set(first, 0);
    shared.set(second, first.length);
    submit(DisplayMsg.STREAM_DATA, shared.subarray(0, first.length));
    submit(DisplayMsg.STREAM_DATA, shared.subarray(first.length));
    expect(near(await pixel(0, 0), BLUE)).toBe(true);
    expect(errors()).toEqual([]);
  });

  it('reports nothing for a frame whose decoding the closing pipeline cut short', async () => {
    let started: () => void = () => {};
    const decodeStarted = new Promise<void>((resolve) => (started = resolve));
    let rejectPending: (e: Error) => void = () => {};
    const stalled: ImageDecoder = {
      transfersJobs: false,
      decode: () =>
        new Promise((_resolve, reject) => {
          rejectPending = reject;
          started();
        }),
      // As the CLI's decode pool: closing rejects the jobs still in flight.
      close: () => rejectPending(new SpiceError('internal', 'the decode pool closed')),
    };
    const { p, submit, errors, create } = pipeline(stalled);
    create({ id: 1, dest: box(0, 0, 8, 8) });
    submit(DisplayMsg.STREAM_DATA, streamData(1, 1, jpeg(8, 8, RED, RED)));
    await decodeStarted;
    p.close();
    await p.drain(0);
    expect(errors()).toEqual([]);
  });

  it('keeps and puts back Huffman tables only before SOS, leaving malformed bytes to the decoder', async () => {
    const tables = new MjpegTables();
    const junk = new Uint8Array([1, 2, 3]);
    expect(tables.complete(junk)).toBe(junk);
    const abbreviated = withoutHuffmanTables(jpeg(8, 8, RED, RED));
    expect(tables.complete(abbreviated)).toBe(abbreviated);
    const full = jpeg(8, 8, BLUE, BLUE);
    expect(tables.complete(full)).toBe(full);
    const restored = tables.complete(abbreviated);
    expect(restored.length).toBe(abbreviated.length + (full.length - withoutHuffmanTables(full).length));
    expect((await nodeJpegDecoder.decode(restored, { width: 8, height: 8 })).width).toBe(8);
    expect(() => nodeJpegDecoder.decode(abbreviated, { width: 8, height: 8 })).toThrow();
  });
});
