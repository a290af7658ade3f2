// The worker's video overlay (VideoOverlays) as the display pipeline's FramePresenter, with a fake
// decoder whose pictures are one colour: pictures stay over the surface, not in it, until a draw
// needs the area (then the picture is written into the surface first, the draw wins where it
// draws, and COPY_BITS copies the video's pixels), or the stream ends; frames dropped are closed.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DisplayMsg, VideoCodec } from '../../../../src/protocol/channels/display/display-messages.ts';
import { DisplayPipeline } from '../../../../src/protocol/display/display-pipeline.ts';
import type { DecodedFrame, StreamDecoder, VideoDecoders } from '../../../../src/protocol/display/video-decoder.ts';
import type { Rect } from '../../../../src/protocol/pixels/geometry.ts';
import { silentLogger } from '../../../../src/protocol/logger.ts';
import { WireWriter } from '../../../../src/protocol/wire/writer.ts';
import { VideoOverlays } from '../../../../src/renderer/present/video-overlay.ts';
import { body, box } from '../../channels/display/body-builder.ts';
import { streamCreate, streamData, streamDestroy } from '../../channels/display/stream-bodies.ts';

const SURFACE = 64;

interface FakeNative {
  colour: number;
  closed: boolean;
}

/** Decoders whose pictures are the colour 0x0000XX of the frame's first byte, with a fake native picture. */
function solidDecoders(videoFrames = false): { video: VideoDecoders; natives: FakeNative[] } {
  const natives: FakeNative[] = [];
  const video: VideoDecoders = {
    supported: [{ codec: VideoCodec.VP9, acceleration: 'software' }],
    create() {
      const decoder: StreamDecoder = {
        acceleration: 'software',
        decode(data, width, height) {
          const native: FakeNative = videoFrames ? new FakeVideoFrame(data[0]) : { colour: data[0], closed: false };
          natives.push(native);
          const frame: DecodedFrame & { codec: number; acceleration: 'software' } = {
            width,
            height,
            native,
            codec: VideoCodec.VP9,
            acceleration: 'software',
            pixels: () => Promise.resolve({ width, height, data: new Uint32Array(width * height).fill(0xff000000 | data[0]), hasAlpha: false }),
            close: () => void (native.closed = true),
          };
          return Promise.resolve(frame);
        },
        close: () => {},
      };
      return Promise.resolve(decoder);
    },
  };
  return { video, natives };
}

/** A stand-in for WebCodecs' VideoFrame (Node has none): the element path takes only VideoFrames, and clones them. */
class FakeVideoFrame implements FakeNative {
  closed = false;
  clones: FakeVideoFrame[] = [];
  constructor(readonly colour: number) {}
  clone(): FakeVideoFrame {
    const c = new FakeVideoFrame(this.colour);
    this.clones.push(c);
    return c;
  }
  close(): void {
    this.closed = true;
  }
}

function setup(o: { overlaid?: boolean; videoFrames?: boolean } = {}) {
  const { video, natives } = solidDecoders(o.videoFrames === true);
  const damaged: Rect[] = [];
  let frames = 0;
  let clock = 0;
  const overlays = new VideoOverlays({
    overlaid: (channelId, surfaceId) => (o.overlaid ?? true) && channelId === 0 && surfaceId === 0,
    damaged: (_c, _s, r) => void damaged.push(r),
    requestFrame: () => void frames++,
    now: () => clock,
  });
  const p = new DisplayPipeline({ logger: silentLogger, video, framePresenter: overlays, onEvent: () => {} });
  let serial = 0n;
  const submit = (type: number, b: Uint8Array) => p.submit(0, type, b, ++serial);
  submit(DisplayMsg.SURFACE_CREATE, new WireWriter().u32(0).u32(SURFACE).u32(SURFACE).u32(32).u32(1).finish());
  // Frames are decoded by their stream's pump, after the message chain: settle waits for them.
  const pixel = async (x: number, y: number) => {
    await p.settle(0);
    return (p.primarySurface(0)?.data[y * SURFACE + x] ?? 0) & 0xffffff;
  };
  const create = (id: number, dest: Rect, clip: Rect[] | null = null) => submit(DisplayMsg.STREAM_CREATE, streamCreate({ id, codec: VideoCodec.VP9, width: 8, height: 8, dest, clip }));
  const frame = (id: number, colour: number, mm = 0) => submit(DisplayMsg.STREAM_DATA, streamData(id, mm, new Uint8Array([colour, 1, 2])));
  const fill = (r: Rect, colour: number) =>
    submit(DisplayMsg.DRAW_FILL, body((x) => {
      x.base(0, r);
      x.w.u8(1).u32(colour).u16(8);
      x.noMask();
    }));
  const copyBits = (to: Rect, fromX: number, fromY: number) =>
    submit(DisplayMsg.COPY_BITS, body((x) => {
      x.base(0, to);
      x.point(fromX, fromY);
    }));
  return { p, overlays, natives, damaged, frames: () => frames, submit, pixel, create, frame, fill, copyBits, tick: (ms: number) => (clock += ms) };
}

describe('VideoOverlays', () => {
  it('logs each picture once, with its mm time, when an animation frame first draws it and when it was handed over (an A/V sync test reads this)', async () => {
    const t = setup();
    t.create(1, box(0, 0, 16, 16));
    t.frame(1, 0x10, 1000);
    await t.p.settle(0);
    t.tick(5);
    t.overlays.pictures(0, 0);
    t.tick(40);
    t.overlays.pictures(0, 0);
    // Replaced before any frame drew it: never on the screen, not logged.
    t.frame(1, 0x20, 1040);
    t.frame(1, 0x30, 1080);
    await t.p.settle(0);
    t.tick(45);
    t.overlays.pictures(0, 0);
    const origin = performance.timeOrigin;
    expect(t.overlays.takePresentationLog()).toEqual([
      { mm: 1000, at: origin + 5, handed: origin },
      { mm: 1080, at: origin + 90, handed: origin + 45 },
    ]);
    expect(t.overlays.takePresentationLog()).toEqual([]);
  });

  it('logs a picture written into a surface that is not overlaid when it is written', async () => {
    const t = setup({ overlaid: false });
    t.create(1, box(0, 0, 16, 16));
    t.tick(7);
    t.frame(1, 0x10, 500);
    await t.p.settle(0);
    expect(t.overlays.takePresentationLog()).toEqual([{ mm: 500, at: performance.timeOrigin + 7, handed: performance.timeOrigin + 7 }]);
  });

  it('keeps the newest picture over the surface, closing the one it replaces', async () => {
    const t = setup();
    t.create(1, box(0, 0, 16, 16));
    t.frame(1, 0x10);
    t.frame(1, 0x20);
    // Not in the surface: drawn over it.
    expect(await t.pixel(4, 4)).toBe(0);
    const pictures = t.overlays.pictures(0, 0);
    expect(pictures).toHaveLength(1);
    expect((pictures[0].source as unknown as FakeNative).colour).toBe(0x20);
    expect(pictures[0].rects).toEqual([box(0, 0, 16, 16)]);
    expect(t.natives.map((n) => n.closed)).toEqual([true, false]);
    expect(t.frames()).toBe(2);
  });

  it('a draw over the video: the picture goes into the surface first, the draw wins where it draws, and the stream is overlaid again from its next picture', async () => {
    const t = setup();
    t.create(1, box(0, 0, 16, 16));
    t.frame(1, 0x30);
    // Without an mm clock the picture is shown once decoded, by the stream's pump: before the draw here.
    await t.p.settle(0);
    t.fill(box(0, 0, 4, 4), 0x0000ff);
    expect(await t.pixel(2, 2)).toBe(0x0000ff);
    expect(await t.pixel(10, 10)).toBe(0x30);
    expect(t.overlays.pictures(0, 0)).toEqual([]);
    expect(t.natives[0].closed).toBe(true);
    expect(t.damaged).toContainEqual(box(0, 0, 16, 16));
    expect(t.overlays.materialised).toBe(1);
    t.frame(1, 0x40);
    await t.p.settle(0);
    expect(t.overlays.pictures(0, 0)).toHaveLength(1);
  });

  it('a draw elsewhere leaves the overlay alone', async () => {
    const t = setup();
    t.create(1, box(0, 0, 16, 16), [box(0, 0, 16, 8)]);
    t.frame(1, 0x30);
    await t.p.settle(0);
    // Inside dest but outside the clip: the picture is not drawn there.
    t.fill(box(0, 12, 4, 16), 0x00ff00);
    t.fill(box(40, 40, 48, 48), 0x00ff00);
    await t.p.drain(0);
    expect(t.overlays.pictures(0, 0)).toHaveLength(1);
    expect(t.overlays.materialised).toBe(0);
  });

  it('COPY_BITS from the video area copies the video picture', async () => {
    const t = setup();
    t.create(1, box(0, 0, 16, 16));
    t.frame(1, 0x50);
    await t.p.settle(0);
    // (32,32)-(40,40) from (4,4).
    t.copyBits(box(32, 32, 40, 40), 4, 4);
    expect(await t.pixel(35, 35)).toBe(0x50);
    expect(await t.pixel(4, 4)).toBe(0x50);
  });

  it('a stream that ends leaves its last picture in the surface', async () => {
    const t = setup();
    t.create(1, box(0, 0, 16, 16));
    t.frame(1, 0x60);
    await t.p.settle(0);
    t.submit(DisplayMsg.STREAM_DESTROY, streamDestroy(1));
    // The next draw waits for the write.
    t.fill(box(60, 60, 64, 64), 0);
    expect(await t.pixel(8, 8)).toBe(0x60);
    expect(t.overlays.pictures(0, 0)).toEqual([]);
    expect(t.natives.every((n) => n.closed)).toBe(true);
  });

  it('writes pictures of a surface it does not overlay into the surface at once', async () => {
    const t = setup({ overlaid: false });
    t.create(1, box(0, 0, 16, 16));
    t.frame(1, 0x70);
    expect(await t.pixel(8, 8)).toBe(0x70);
    expect(t.overlays.pictures(0, 0)).toEqual([]);
    expect(t.natives[0].closed).toBe(true);
  });

  it('status: the codec, its acceleration and the pictures of the last second; nothing once the stream is gone', async () => {
    const t = setup();
    expect(t.overlays.status()).toBeNull();
    t.create(1, box(0, 0, 16, 16));
    for (let i = 0; i < 5; i++) {
      t.frame(1, i + 1);
      await t.p.settle(0);
      t.tick(100);
    }
    expect(t.overlays.status()).toEqual({ codec: VideoCodec.VP9, acceleration: 'software', fps: 5 });
    // At 1200 ms the last second holds the pictures of 300 and 400 ms.
    t.tick(700);
    expect(t.overlays.status()?.fps).toBe(2);
    t.tick(300);
    expect(t.overlays.status()).toBeNull();
    t.frame(1, 9);
    await t.p.settle(0);
    expect(t.overlays.status()?.fps).toBe(1);
    t.submit(DisplayMsg.STREAM_DESTROY, streamDestroy(1));
    await t.p.drain(0);
    expect(t.overlays.status()).toBeNull();
  });

  it('clear() closes every picture and forgets it without writing it', async () => {
    const t = setup();
    t.create(1, box(0, 0, 16, 16));
    t.frame(1, 0x11);
    await t.p.settle(0);
    t.overlays.clear();
    expect(t.natives.every((n) => n.closed)).toBe(true);
    expect(t.overlays.pictures(0, 0)).toEqual([]);
    expect(await t.pixel(8, 8)).toBe(0);
  });
});

describe('VideoOverlays, the element path (a <video> on the page shows VideoFrame pictures)', () => {
  afterEach(() => vi.unstubAllGlobals());

  function withElement(o: { videoFrames: boolean }) {
    vi.stubGlobal('VideoFrame', FakeVideoFrame);
    const t = setup({ videoFrames: o.videoFrames });
    const shown: { key: string; frame: FakeVideoFrame; mm: number }[] = [];
    const hidden: string[] = [];
    t.overlays.element = {
      show: (key, frame, picture) => void shown.push({ key, frame: frame as unknown as FakeVideoFrame, mm: picture.mm }),
      hide: (key) => void hidden.push(key),
    };
    return { ...t, shown, hidden };
  }

  it('hands each picture to the element as a clone, keeps the original for the surface, and draws nothing into the canvas', async () => {
    const t = withElement({ videoFrames: true });
    t.create(1, box(0, 0, 16, 16));
    t.frame(1, 0x10);
    t.frame(1, 0x20);
    await t.p.settle(0);
    expect(t.shown.map((s) => [s.key, s.frame.colour])).toEqual([
      ['0:1', 0x10],
      ['0:1', 0x20],
    ]);
    expect(t.shown[1].frame).toBe((t.natives[1] as FakeVideoFrame).clones[0]);
    expect(t.overlays.pictures(0, 0)).toEqual([]);
    // A read-back of the screen still gets it.
    expect(t.overlays.pictures(0, 0, true)).toHaveLength(1);
    expect(t.frames()).toBe(0);
    expect(t.natives.map((n) => n.closed)).toEqual([true, false]);
    // Handed over by the element's own delay, not the canvas's animation frame.
    expect(t.overlays.presentationDelay(0, 0, 1)).toBe(1);
    expect(t.overlays.presentationDelay(0, 0, 2)).toBeCloseTo(16.7, 1);
  });

  it('a draw over the video: the kept picture goes into the surface and the element is hidden; the next picture shows it again', async () => {
    const t = withElement({ videoFrames: true });
    t.create(1, box(0, 0, 16, 16));
    t.frame(1, 0x30);
    await t.p.settle(0);
    t.fill(box(0, 0, 4, 4), 0x0000ff);
    expect(await t.pixel(10, 10)).toBe(0x30);
    expect(t.hidden).toEqual(['0:1']);
    expect(t.overlays.materialised).toBe(1);
    t.frame(1, 0x40);
    await t.p.settle(0);
    expect(t.shown.at(-1)?.frame.colour).toBe(0x40);
  });

  it('a stream that ends: its last picture stays in the surface, the element is hidden', async () => {
    const t = withElement({ videoFrames: true });
    t.create(1, box(0, 0, 16, 16));
    t.frame(1, 0x60);
    await t.p.settle(0);
    t.submit(DisplayMsg.STREAM_DESTROY, streamDestroy(1));
    t.fill(box(60, 60, 64, 64), 0);
    expect(await t.pixel(8, 8)).toBe(0x60);
    expect(t.hidden).toEqual(['0:1']);
  });

  it('another screen shown: the elements of streams elsewhere are hidden', async () => {
    const t = withElement({ videoFrames: true });
    t.create(1, box(0, 0, 16, 16));
    t.frame(1, 0x10);
    await t.p.settle(0);
    t.overlays.showOnly(0, 0);
    expect(t.hidden).toEqual([]);
    t.overlays.showOnly(1, 0);
    expect(t.hidden).toEqual(['0:1']);
  });

  it('pictures that are not VideoFrames (MJPEG ImageBitmaps) stay on the canvas', async () => {
    const t = withElement({ videoFrames: false });
    t.create(1, box(0, 0, 16, 16));
    t.frame(1, 0x70);
    await t.p.settle(0);
    expect(t.shown).toEqual([]);
    expect(t.overlays.pictures(0, 0)).toHaveLength(1);
    expect(t.frames()).toBe(1);
  });
});
