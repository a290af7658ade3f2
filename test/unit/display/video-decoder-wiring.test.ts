// The display pipeline against the video-decoder.ts contract: one StreamDecoder per stream, made at
// STREAM_CREATE with its codec and size, fed every frame in order, closed when the stream goes
// (DESTROY, DESTROY_ALL, RESET, the pipeline closing); each picture handed to the presenter with its
// placement; the presenter told before every draw what it reads and writes; a stream whose decoder
// cannot be made or fails dropped with one error and one 'stream-error' event.
import { describe, expect, it } from 'vitest';
import type { PipelineEvent } from '../../../src/protocol/channels/display/display-sink.ts';
import { DisplayMsg, VideoCodec } from '../../../src/protocol/channels/display/display-messages.ts';
import { DisplayPipeline } from '../../../src/protocol/display/display-pipeline.ts';
import type { DecodedFrame, FramePlacement, FramePresenter, StreamDecoder, VideoDecoders } from '../../../src/protocol/display/video-decoder.ts';
import type { Rect } from '../../../src/protocol/pixels/geometry.ts';
import type { Logger } from '../../../src/protocol/logger.ts';
import { silentLogger } from '../../../src/protocol/logger.ts';
import { SpiceError } from '../../../src/protocol/wire/errors.ts';
import { WireWriter } from '../../../src/protocol/wire/writer.ts';
import { body, box } from '../channels/display/body-builder.ts';
import { streamClip, streamCreate, streamData, streamDataSized, streamDestroy } from '../channels/display/stream-bodies.ts';

const SURFACE = 32;

/** A picture of one colour, the frame's first byte, at the size asked. */
function solidFrame(colour: number, width: number, height: number, closed: () => void): DecodedFrame {
  return {
    width,
    height,
    pixels: () => Promise.resolve({ width, height, data: new Uint32Array(width * height).fill(colour), hasAlpha: false }),
    close: closed,
  };
}

/** Decoders that record what they are asked; a frame whose first byte is 0xee fails, 0 gives no picture. */
function recordingDecoders(o: { codecs?: number[]; createFails?: boolean } = {}) {
  const log: string[] = [];
  let framesClosed = 0;
  let nextStream = 0;
  const video: VideoDecoders = {
    supported: (o.codecs ?? [VideoCodec.VP8]).map((codec) => ({ codec, acceleration: 'software' as const })),
    create(codec, width, height) {
      const n = nextStream++;
      log.push(`create#${n} ${codec} ${width}x${height}`);
      if (o.createFails) return Promise.reject(new SpiceError('internal', 'no such decoder on this host'));
      const decoder: StreamDecoder = {
        acceleration: 'software',
        decode(data, w, h) {
          log.push(`decode#${n} ${data[0]} ${w}x${h}`);
          if (data[0] === 0xee) return Promise.reject(new SpiceError('protocol', 'corrupt frame'));
          if (data[0] === 0) return Promise.resolve(null);
          return Promise.resolve(solidFrame(0xff000000 | data[0], w, h, () => framesClosed++));
        },
        close: () => log.push(`close#${n}`),
      };
      return Promise.resolve(decoder);
    },
  };
  return { video, log, framesClosed: () => framesClosed };
}

function setup(o: { video: VideoDecoders; presenter?: FramePresenter; logger?: Logger }) {
  const events: PipelineEvent[] = [];
  const p = new DisplayPipeline({ logger: o.logger ?? silentLogger, video: o.video, framePresenter: o.presenter, onEvent: (e) => events.push(e) });
  let serial = 0n;
  const submit = (type: number, b: Uint8Array) => p.submit(0, type, b, ++serial);
  const surface = (id: number, w = SURFACE, h = SURFACE) => submit(DisplayMsg.SURFACE_CREATE, new WireWriter().u32(id).u32(w).u32(h).u32(32).u32(id === 0 ? 1 : 0).finish());
  surface(0);
  // Frames are queued and decoded by the stream's pump, not in the message chain: settle waits for them.
  const pixel = async (x: number, y: number) => {
    await p.settle(0);
    return (p.primarySurface(0)?.data[y * SURFACE + x] ?? 0) & 0xffffff;
  };
  const create = (id: number, dest: Rect, extra: { codec?: number; flags?: number; clip?: Rect[] | null } = {}) =>
    submit(DisplayMsg.STREAM_CREATE, streamCreate({ id, codec: VideoCodec.VP8, width: 8, height: 8, dest, ...extra }));
  const frame = (id: number, first: number) => submit(DisplayMsg.STREAM_DATA, streamData(id, 0, new Uint8Array([first, 1, 2])));
  return { p, events, submit, surface, pixel, create, frame, serial: () => serial };
}

describe('video decoders in the display pipeline', () => {
  it('makes one decoder per stream, feeds it every frame in order and closes it when the stream goes', async () => {
    const { video, log, framesClosed } = recordingDecoders();
    const { p, events, submit, pixel, create, frame } = setup({ video });
    create(1, box(0, 0, 8, 8));
    create(2, box(8, 8, 16, 16));
    frame(1, 0x10);
    frame(2, 0x20);
    frame(1, 0);
    submit(DisplayMsg.STREAM_DATA_SIZED, streamDataSized(1, 0, 4, 2, box(0, 16, 4, 20), new Uint8Array([0x30])));
    expect(await pixel(0, 0)).toBe(0x10);
    expect(await pixel(9, 9)).toBe(0x20);
    expect(await pixel(17, 1)).toBe(0x30);
    submit(DisplayMsg.STREAM_DESTROY, streamDestroy(1));
    // The same id again is a new stream with a decoder of its own.
    create(2, box(8, 8, 16, 16));
    submit(DisplayMsg.STREAM_DESTROY_ALL, new Uint8Array(0));
    create(3, box(0, 0, 8, 8));
    submit(DisplayMsg.RESET, new Uint8Array(0));
    await p.drain(0);
    expect(log).toEqual([
      'create#0 2 8x8',
      'create#1 2 8x8',
      'decode#0 16 8x8',
      'decode#1 32 8x8',
      'decode#0 0 8x8',
      'decode#0 48 4x2',
      'close#0',
      'close#1',
      'create#2 2 8x8',
      'close#2',
      'create#3 2 8x8',
      'close#3',
    ]);
    // Every picture given to the default presenter was drawn and given back.
    expect(framesClosed()).toBe(3);
    const invalidated = events.flatMap((e) => (e.type === 'invalidate' ? [e.rect] : []));
    expect(invalidated).toEqual([box(0, 0, 8, 8), box(8, 8, 16, 16), box(0, 16, 4, 20)]);
    expect(events.filter((e) => e.type === 'message-error' || e.type === 'stream-error')).toEqual([]);
  });

  it('closes the decoders of live streams when the pipeline closes', async () => {
    const { video, log } = recordingDecoders();
    const { p, create, frame } = setup({ video });
    create(4, box(0, 0, 8, 8));
    frame(4, 0x40);
    await p.settle(0);
    p.close();
    await Promise.resolve();
    expect(log.at(-1)).toBe('close#0');
  });

  it('hands the presenter each picture with its placement: surface, dest, clip and row order', async () => {
    const shown: { colour: number; at: Omit<FramePlacement, 'surface'> }[] = [];
    const gone: number[] = [];
    const presenter: FramePresenter = {
      async present(frame, at) {
        const { surface, ...rest } = at;
        expect(surface.width).toBe(SURFACE);
        shown.push({ colour: (await frame.pixels()).data[0] & 0xffffff, at: rest });
        frame.close();
        return null;
      },
      streamGone: (channelId, streamId) => gone.push(streamId),
    };
    const { video, framesClosed } = recordingDecoders();
    const { p, events, submit, create, frame } = setup({ video, presenter });
    create(5, box(2, 2, 10, 10), { flags: 0, clip: [box(2, 2, 6, 10)] });
    frame(5, 0x50);
    // Without an mm clock each picture is shown once decoded; a picture takes the clip the stream has when it is shown.
    await p.settle(0);
    submit(DisplayMsg.STREAM_CLIP, streamClip(5, null));
    frame(5, 0x51);
    await p.settle(0);
    submit(DisplayMsg.STREAM_DESTROY, streamDestroy(5));
    await p.drain(0);
    const base = { channelId: 0, surfaceId: 0, streamId: 5, dest: box(2, 2, 10, 10), bottomUp: true, mm: 0 };
    expect(shown).toEqual([
      { colour: 0x50, at: { ...base, clip: [box(2, 2, 6, 10)] } },
      { colour: 0x51, at: { ...base, clip: null } },
    ]);
    expect(gone).toEqual([5]);
    expect(framesClosed()).toBe(2);
    // The presenter changed nothing of the surface: no invalidate.
    expect(events.some((e) => e.type === 'invalidate')).toBe(false);
    // It left the surface alone.
    expect(p.primarySurface(0)?.data.every((v) => (v & 0xffffff) === 0)).toBe(true);
  });

  it('tells the presenter what each draw and COPY_BITS writes and reads, surface by surface', async () => {
    const calls: string[] = [];
    const presenter: FramePresenter = {
      present: (frame) => {
        frame.close();
        return Promise.resolve(null);
      },
      streamGone: () => {},
      beforeDraw: (channelId, surfaceId, a) => void calls.push(`${channelId}/${surfaceId} (${a.left},${a.top})-(${a.right},${a.bottom})`),
    };
    const { video } = recordingDecoders();
    const { p, submit, surface } = setup({ video, presenter });
    surface(1, 16, 16);
    // FILL of (1,2)-(5,6) on surface 0.
    submit(DisplayMsg.DRAW_FILL, body((x) => {
      x.base(0, box(2, 1, 6, 5));
      x.w.u8(1).u32(0xff0000).u16(8);
      x.noMask();
    }));
    // COPY_BITS of (10,10)-(14,12) from (20,0): both rectangles are touched.
    submit(DisplayMsg.COPY_BITS, body((x) => {
      x.base(0, box(10, 10, 12, 14));
      x.point(20, 0);
    }));
    // COPY from surface 1's (0,0)-(4,4) into surface 0's (0,0)-(4,4): surface 1 is read.
    submit(DisplayMsg.DRAW_COPY, body((x) => {
      x.base(0, box(0, 0, 4, 4));
      x.ptr((b) => (b.descriptor(9n, 104, 0, 16, 16), b.w.u32(1)));
      x.rect(box(0, 0, 4, 4));
      x.w.u16(8).u8(0);
      x.noMask();
    }));
    await p.drain(0);
    expect(calls).toEqual(['0/0 (1,2)-(5,6)', '0/0 (10,0)-(24,12)', '0/0 (0,0)-(4,4)', '0/1 (0,0)-(4,4)']);
  });

  it('drops a stream whose decoder cannot be made: one error, one stream-error naming its STREAM_CREATE, later frames quiet', async () => {
    const logged: string[] = [];
    const logger: Logger = { ...silentLogger, error: (_o, m) => void logged.push(String(m)) };
    const { video, log } = recordingDecoders({ createFails: true });
    const { p, events, create, frame, serial } = setup({ video, logger });
    create(49, box(0, 0, 8, 8));
    const createSerial = serial();
    for (let i = 0; i < 5; i++) frame(49, 0x10);
    await p.settle(0);
    expect(log).toEqual(['create#0 2 8x8']);
    const errors = events.filter((e) => e.type === 'stream-error' || e.type === 'message-error');
    expect(errors).toEqual([
      {
        type: 'stream-error',
        channelId: 0,
        streamId: 49,
        serial: createSerial,
        message: 'video stream 49: no VP8 decoder could be made for it (no such decoder on this host); the stream is dropped',
      },
    ]);
    expect(logged).toEqual([errors[0].type === 'stream-error' ? errors[0].message : '']);
  });

  it('drops a stream whose decoder fails on a frame, and takes the same id again once the server recreates it', async () => {
    const { video, log } = recordingDecoders();
    const { events, submit, pixel, create, frame } = setup({ video });
    create(7, box(0, 0, 8, 8));
    frame(7, 0x10);
    frame(7, 0xee);
    frame(7, 0x20);
    frame(7, 0x30);
    expect(await pixel(0, 0)).toBe(0x10);
    submit(DisplayMsg.STREAM_DESTROY, streamDestroy(7));
    create(7, box(0, 0, 8, 8));
    frame(7, 0x40);
    expect(await pixel(0, 0)).toBe(0x40);
    expect(log).toEqual(['create#0 2 8x8', 'decode#0 16 8x8', 'decode#0 238 8x8', 'close#0', 'create#1 2 8x8', 'decode#1 64 8x8']);
    const errors = events.flatMap((e) => (e.type === 'stream-error' || e.type === 'message-error' ? [`${e.type}: ${e.message}`] : []));
    expect(errors).toEqual(['stream-error: video stream 7: its VP8 decoder failed on a frame (corrupt frame); the stream is dropped']);
  });
});
