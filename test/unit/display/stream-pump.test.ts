// Video frames decoded just in time, through the display pipeline on an injected clock: with the
// server's 400 ms margin at 25 fps every picture is shown at its mm time and none early, while at
// most two decoded pictures exist; decoding keeps arrival order; the encoded queue's bounds (frames,
// bytes) force the oldest to be decoded early; a snapshot decodes everything and shows the newest;
// a destroyed stream frees its queue, its budget and its pictures; a clock jump or a stream's
// stamps stepping back decode what is queued and show the newest; a decoder failing on a queued
// frame drops the stream with one stream-error.
import { describe, expect, it } from 'vitest';
import type { PipelineEvent } from '../../../src/protocol/channels/display/display-sink.ts';
import { DisplayMsg, VideoCodec } from '../../../src/protocol/channels/display/display-messages.ts';
import { DisplayPipeline } from '../../../src/protocol/display/display-pipeline.ts';
import { DECODE_LEAD_MS, MAX_QUEUED_BYTES, MAX_QUEUED_FRAMES } from '../../../src/protocol/display/stream-pump.ts';
import type { FramePresenter, VideoDecoders } from '../../../src/protocol/display/video-decoder.ts';
import { silentLogger } from '../../../src/protocol/logger.ts';
import { MemoryBudget } from '../../../src/protocol/wire/memory-budget.ts';
import { WireWriter } from '../../../src/protocol/wire/writer.ts';
import { box } from '../channels/display/body-builder.ts';
import { streamCreate, streamData, streamDestroy } from '../channels/display/stream-bodies.ts';
import { fakeTimer } from './fake-presentation-timer.ts';

/** A frame's number, in its first two bytes (0xeeee: the decoder fails on it). */
const numbered = (n: number, size = 4): Uint8Array => {
  const data = new Uint8Array(size);
  data[0] = n & 0xff;
  data[1] = n >> 8;
  return data;
};
const FAILING = 0xeeee;

function setup() {
  const { timer, advance, fired } = fakeTimer();
  const budget = new MemoryBudget();
  const decodes: number[] = [];
  /** Decoded pictures not closed yet, now and at most. */
  let alive = 0;
  let mostAlive = 0;
  const closedDecoders: number[] = [];
  let streams = 0;
  const video: VideoDecoders = {
    supported: [{ codec: VideoCodec.VP8, acceleration: 'software' }],
    create: () => {
      const n = streams++;
      return Promise.resolve({
        acceleration: 'software',
        decode: (data, width, height) => {
          const id = data[0] | (data[1] << 8);
          decodes.push(id);
          if (id === FAILING) return Promise.reject(new Error('corrupt frame'));
          alive++;
          mostAlive = Math.max(mostAlive, alive);
          let closed = false;
          return Promise.resolve({
            width,
            height,
            id,
            pixels: () => Promise.reject(new Error('not used')),
            close: () => {
              if (!closed) alive--;
              closed = true;
            },
          });
        },
        close: () => void closedDecoders.push(n),
      });
    },
  };
  /** Pictures shown: the frame's number and the monotonic ms it was shown at. */
  const shown: { id: number; at: number }[] = [];
  const presenter: FramePresenter = {
    present: (frame) => {
      shown.push({ id: (frame as typeof frame & { id: number }).id, at: timer.now() });
      frame.close();
      return Promise.resolve(null);
    },
    streamGone: () => {},
  };
  const events: PipelineEvent[] = [];
  const p = new DisplayPipeline({ logger: silentLogger, video, framePresenter: presenter, presentationTimer: timer, budget, onEvent: (e) => events.push(e) });
  let serial = 0n;
  const submit = (type: number, b: Uint8Array) => p.submit(0, type, b, ++serial);
  submit(DisplayMsg.SURFACE_CREATE, new WireWriter().u32(0).u32(64).u32(64).u32(32).u32(1).finish());
  const create = (id = 1) => submit(DisplayMsg.STREAM_CREATE, streamCreate({ id, codec: VideoCodec.VP8, width: 8, height: 8, dest: box(0, 0, 8, 8) }));
  const frame = (mm: number, n: number, size?: number, id = 1) => submit(DisplayMsg.STREAM_DATA, streamData(id, mm, numbered(n, size)));
  const ops = () => p.stats(0).ops;
  return {
    p,
    timer,
    advance,
    budget,
    decodes,
    shown,
    events,
    submit,
    create,
    frame,
    ops,
    closedDecoders,
    fired,
    alive: () => alive,
    mostAlive: () => mostAlive,
  };
}

describe('video frames decoded just in time', () => {
  it('with the server 400 ms ahead at 25 fps, shows every picture at its mm time, none early, with at most two decoded', async () => {
    const t = setup();
    t.create();
    // The client's clock 400 ms behind the server's (MAIN_INIT): every frame comes 400 ms early.
    t.p.setMediaTime(10_000);
    const FRAMES = 50;
    for (let i = 0; i < FRAMES; i++) {
      t.frame(10_400 + i * 40, i);
      await t.p.drain(0);
      // The message chain never waits for a frame's time: the frame is queued, not decoded yet.
      expect(t.decodes.length).toBeLessThan(i + 1);
      await t.advance(40);
    }
    await t.advance(1000);
    expect(t.shown.map((s) => s.id)).toEqual([...Array(FRAMES).keys()]);
    // Each at its mm time (10_400 + 40 i at monotonic 400 + 40 i), on this fake clock exactly.
    const off = t.shown.map((s, i) => s.at - (400 + i * 40));
    expect(Math.max(...off.map(Math.abs))).toBeLessThanOrEqual(2);
    expect(t.ops()['stream-overflow'] ?? 0).toBe(0);
    expect(t.ops()['stream-late'] ?? 0).toBe(0);
    expect(t.decodes).toEqual([...Array(FRAMES).keys()]);
    expect(t.mostAlive()).toBeLessThanOrEqual(2);
    expect(t.alive()).toBe(0);
    expect(t.budget.usedFor('queued video frames')).toBe(0);
    t.p.close();
  });

  it('at 25 fps decodes each frame when the picture before it is shown: one timer a picture, not one for the decode and one for the show', async () => {
    const t = setup();
    t.create();
    t.p.setMediaTime(10_000);
    // All queued at once, every one due within MAX_WAIT_MS of its arrival.
    const FRAMES = 30;
    for (let i = 0; i < FRAMES; i++) t.frame(10_400 + i * 40, i);
    await t.p.drain(0);
    const before = t.fired();
    await t.advance(400 + FRAMES * 40 + 1000);
    expect(t.shown.map((s) => s.id)).toEqual([...Array(FRAMES).keys()]);
    expect(Math.max(...t.shown.map((s, i) => Math.abs(s.at - (400 + i * 40))))).toBeLessThanOrEqual(2);
    // The first decode waits on a timer of its own; from then on each show's wake-up decodes the next.
    expect(t.fired() - before).toBeLessThanOrEqual(FRAMES + 2);
    expect(t.mostAlive()).toBeLessThanOrEqual(2);
    t.p.close();
  });

  it('starts each decode DECODE_LEAD_MS before its time, and charges the queued frames to the budget', async () => {
    const t = setup();
    t.create();
    t.p.setMediaTime(0);
    t.frame(400, 1, 1000);
    t.frame(440, 2, 500);
    await t.p.drain(0);
    expect(t.decodes).toEqual([]);
    expect(t.budget.usedFor('queued video frames')).toBe(1500);
    await t.advance(400 - DECODE_LEAD_MS - 1);
    expect(t.decodes).toEqual([]);
    await t.advance(1);
    expect(t.decodes).toEqual([1]);
    expect(t.budget.usedFor('queued video frames')).toBe(500);
    await t.advance(40);
    expect(t.decodes).toEqual([1, 2]);
    expect(t.budget.usedFor('queued video frames')).toBe(0);
    expect(t.shown).toEqual([]);
    await t.advance(DECODE_LEAD_MS);
    expect(t.shown).toEqual([{ id: 1, at: 400 }, { id: 2, at: 440 }]);
    t.p.close();
  });

  it('decodes a late frame at once, shows it only if nothing follows within a frame interval, and counts it', async () => {
    const t = setup();
    t.create();
    t.p.setMediaTime(1000);
    // Both already late: the first is decoded but dropped for the second, which is shown after one interval.
    t.frame(900, 1);
    t.frame(940, 2);
    await t.p.drain(0);
    await t.advance(0);
    expect(t.decodes).toEqual([1, 2]);
    await t.advance(100);
    expect(t.shown.map((s) => s.id)).toEqual([2]);
    expect(t.ops()['stream-late']).toBe(1);
    expect(t.alive()).toBe(0);
    t.p.close();
  });

  it('decodes the oldest frames early when the queue is over MAX_QUEUED_FRAMES, in order, and shows them early as overflow', async () => {
    const t = setup();
    t.create();
    t.p.setMediaTime(0);
    const N = MAX_QUEUED_FRAMES + 6;
    // 50 fps, all within MAX_WAIT_MS of their arrival.
    for (let i = 0; i < N; i++) t.frame(100 + i * 20, i);
    await t.p.drain(0);
    await t.advance(0);
    // Six over the bound: those decoded now, in order; two wait, four were shown early.
    expect(t.decodes).toEqual([0, 1, 2, 3, 4, 5]);
    expect(t.ops()['stream-overflow']).toBe(4);
    expect(t.shown.map((s) => s.id)).toEqual([0, 1, 2, 3]);
    expect(t.mostAlive()).toBeLessThanOrEqual(3);
    // The rest at their time.
    await t.advance(100 + N * 20);
    expect(t.decodes).toEqual([...Array(N).keys()]);
    expect(t.shown.map((s) => s.id)).toEqual([...Array(N).keys()]);
    expect(t.shown.slice(4).every((s) => s.at === 100 + s.id * 20)).toBe(true);
    expect(t.ops()['stream-overflow']).toBe(4);
    expect(t.alive()).toBe(0);
    t.p.close();
  });

  it('decodes the oldest frame early when the queued bytes are over MAX_QUEUED_BYTES', async () => {
    const t = setup();
    t.create();
    t.p.setMediaTime(0);
    const size = Math.floor(MAX_QUEUED_BYTES / 3) + 1;
    for (let i = 0; i < 4; i++) t.frame(1000 + i * 40, i, size);
    await t.p.drain(0);
    await t.advance(0);
    // Three frames are over the bound: the oldest is decoded, the queue is back within it.
    expect(t.decodes).toEqual([0, 1]);
    expect(t.budget.usedFor('queued video frames')).toBe(2 * size);
    expect(t.ops()['stream-overflow'] ?? 0).toBe(0);
    t.p.close();
    expect(t.budget.used).toBe(0);
  });

  it('on a snapshot, decodes everything queued in order and shows the newest at once', async () => {
    const t = setup();
    t.create();
    t.p.setMediaTime(0);
    for (let i = 0; i < 8; i++) t.frame(400 + i * 40, i);
    await t.p.settle(0);
    expect(t.decodes).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(t.shown).toEqual([{ id: 7, at: 0 }]);
    expect(t.alive()).toBe(0);
    expect(t.ops()['stream-overflow'] ?? 0).toBe(0);
    // What comes after is scheduled again.
    t.frame(720, 8);
    await t.p.drain(0);
    await t.advance(719);
    expect(t.shown.map((s) => s.id)).toEqual([7]);
    await t.advance(1);
    expect(t.shown.map((s) => s.id)).toEqual([7, 8]);
    t.p.close();
  });

  it('frees a destroyed stream: its queue and budget, its decoded pictures, its decoder; the pipeline closing too', async () => {
    const t = setup();
    t.create(1);
    t.create(2);
    t.p.setMediaTime(0);
    for (let i = 0; i < 6; i++) {
      t.frame(100 + i * 40, i, 1000, 1);
      t.frame(100 + i * 40, 100 + i, 1000, 2);
    }
    await t.p.drain(0);
    // Two pictures of each stream decoded and waiting, the rest queued.
    await t.advance(100 - DECODE_LEAD_MS + 40);
    expect(t.alive()).toBe(4);
    expect(t.budget.usedFor('queued video frames')).toBe(8000);
    t.submit(DisplayMsg.STREAM_DESTROY, streamDestroy(1));
    await t.p.drain(0);
    await t.advance(0);
    expect(t.closedDecoders).toEqual([0]);
    expect(t.alive()).toBe(2);
    expect(t.budget.usedFor('queued video frames')).toBe(4000);
    await t.advance(10_000);
    expect(t.decodes.filter((n) => n < 100)).toEqual([0, 1]);
    t.frame(20_000, 200, 3000, 2);
    t.frame(20_040, 201, 3000, 2);
    await t.p.drain(0);
    expect(t.budget.usedFor('queued video frames')).toBe(6000);
    t.p.close();
    await t.advance(0);
    expect(t.budget.usedFor('queued video frames')).toBe(0);
    expect(t.alive()).toBe(0);
    expect(t.closedDecoders).toEqual([0, 1]);
  });

  it('on a clock jump, or a stream stepping back in time, decodes what is queued now and shows the newest', async () => {
    const t = setup();
    t.create();
    t.p.setMediaTime(0);
    for (let i = 0; i < 5; i++) t.frame(400 + i * 40, i);
    await t.p.drain(0);
    t.p.setMediaTime(5000);
    await t.advance(0);
    expect(t.decodes).toEqual([0, 1, 2, 3, 4]);
    expect(t.shown).toEqual([{ id: 4, at: 0 }]);
    // The stream's stamps go back (its encoder restarted): the frames of the old timeline first, at once.
    t.frame(5400, 5);
    t.frame(5440, 6);
    t.frame(5000, 7);
    await t.p.drain(0);
    await t.advance(0);
    expect(t.decodes).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(t.shown.map((s) => s.id)).toEqual([4, 6, 7]);
    expect(t.alive()).toBe(0);
    t.p.close();
  });

  it('drops a stream whose decoder fails on a queued frame: one stream-error, nothing more decoded, its budget back', async () => {
    const t = setup();
    t.create();
    t.p.setMediaTime(0);
    t.frame(400, 1);
    t.frame(440, FAILING);
    t.frame(480, 3);
    t.frame(520, 4);
    await t.p.drain(0);
    await t.advance(1000);
    expect(t.decodes).toEqual([1, FAILING]);
    const errors = t.events.filter((e) => e.type === 'stream-error' || e.type === 'message-error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ type: 'stream-error', streamId: 1, message: 'video stream 1: its VP8 decoder failed on a frame (corrupt frame); the stream is dropped' });
    expect(t.budget.usedFor('queued video frames')).toBe(0);
    expect(t.alive()).toBe(0);
    // Frames still on their way for it are ignored quietly.
    t.frame(560, 5);
    await t.p.drain(0);
    expect(t.events.filter((e) => e.type === 'stream-error' || e.type === 'message-error')).toHaveLength(1);
    t.p.close();
  });
});
