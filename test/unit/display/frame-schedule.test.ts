// When decoded stream pictures are shown, on an injected clock: at their mm time; a late one only
// when nothing follows it within a frame interval; never more than two waiting (a third, which only
// the pump's forced path gives, has the oldest shown early); stamp 0 as now+100;
// a step back or a jump starts over; without an mm clock, at once. And the pipeline's setMediaTime,
// stats and snapshots on top of it. A presenter that takes a known while to put a picture on the
// screen has each handed over that much early, within 0 and a frame interval.
import { describe, expect, it } from 'vitest';
import { FrameSchedule, MAX_WAITING, type DropReason } from '../../../src/protocol/display/frame-schedule.ts';
import { PresentationClock } from '../../../src/protocol/display/presentation-clock.ts';
import type { DecodedFrame } from '../../../src/protocol/display/video-decoder.ts';
import type { Rect } from '../../../src/protocol/pixels/geometry.ts';
import { LocalDisplaySink } from '../../../src/protocol/display/local-display-sink.ts';
import { silentLogger } from '../../../src/protocol/logger.ts';
import { DisplayMsg, VideoCodec } from '../../../src/protocol/channels/display/display-messages.ts';
import type { VideoDecoders } from '../../../src/protocol/display/video-decoder.ts';
import { WireWriter } from '../../../src/protocol/wire/writer.ts';
import { box } from '../channels/display/body-builder.ts';
import { streamCreate, streamData, streamDestroy } from '../channels/display/stream-bodies.ts';
import { fakeTimer } from './fake-presentation-timer.ts';

function schedule(o: { presentationDelay?: () => number } = {}) {
  const { timer, advance } = fakeTimer();
  const clock = new PresentationClock(timer);
  const shown: string[] = [];
  const closed: string[] = [];
  const drops: DropReason[] = [];
  const s = new FrameSchedule({
    clock,
    show: (frame) => {
      shown.push(`${(frame as DecodedFrame & { name: string }).name}@${timer.now()}`);
      frame.close();
      return Promise.resolve();
    },
    dropped: (why) => drops.push(why),
    presentationDelay: o.presentationDelay,
  });
  const frame = (name: string): DecodedFrame & { name: string } => ({
    name,
    width: 1,
    height: 1,
    pixels: () => Promise.reject(new Error('not used')),
    close: () => closed.push(name),
  });
  const dest: Rect = box(0, 0, 1, 1);
  const add = (name: string, mm: number) => s.add(frame(name), dest, mm);
  return { s, clock, shown, closed, drops, add, advance, timer };
}

describe('frame schedule', () => {
  it('shows pictures at once, in order, before the mm clock is set', async () => {
    const { shown, add } = schedule();
    await add('a', 5000);
    await add('b', 1);
    expect(shown).toEqual(['a@0', 'b@0']);
  });

  it('shows each picture when the mm clock reaches its time', async () => {
    const { clock, shown, drops, add, advance } = schedule();
    clock.set(1000);
    add('a', 1400);
    add('b', 1440);
    await advance(399);
    expect(shown).toEqual([]);
    await advance(1);
    expect(shown).toEqual(['a@400']);
    await advance(40);
    expect(shown).toEqual(['a@400', 'b@440']);
    expect(drops).toEqual([]);
  });

  it('drops a picture late when decoded if another follows within a frame interval, else shows it', async () => {
    const { clock, shown, drops, closed, add, advance } = schedule();
    clock.set(1000);
    add('a', 1000);
    add('b', 1040);
    await advance(40);
    expect(shown).toEqual(['a@0', 'b@40']);
    // 'c' is 10 ms late: it waits one frame interval (40 ms) for a successor, which comes.
    await advance(50);
    add('c', 1080);
    await advance(20);
    add('d', 1120);
    await advance(10);
    expect(drops).toEqual(['stream-late']);
    expect(closed).toContain('c');
    expect(shown).toEqual(['a@0', 'b@40', 'd@120']);
    // 'e' is late and nothing follows: shown one interval later, so the video does not freeze.
    await advance(200);
    add('e', 1160);
    await advance(39);
    expect(shown.at(-1)).toBe('d@120');
    await advance(1);
    expect(shown.at(-1)).toBe('e@360');
  });

  it('keeps at most two pictures waiting: a third (the pump forced to decode early) has the oldest shown at once, ahead of its time', async () => {
    const { s, clock, shown, drops, closed, add, advance } = schedule();
    clock.set(0);
    for (let i = 0; i < 6; i++) {
      add(`f${i}`, 400 + i * 40);
      expect(s.waitingCount).toBeLessThanOrEqual(MAX_WAITING);
    }
    expect(drops).toEqual(['stream-overflow', 'stream-overflow', 'stream-overflow', 'stream-overflow']);
    await advance(0);
    await advance(1000);
    // The four early ones as soon as the host could (this fake clock runs them once time moves), then the two at their time.
    expect(shown.map((x) => x.split('@')[0])).toEqual(['f0', 'f1', 'f2', 'f3', 'f4', 'f5']);
    expect(shown.slice(4)).toEqual(['f4@560', 'f5@600']);
    // Shown pictures are closed by the host; none was closed unshown.
    expect(closed).toEqual(['f0', 'f1', 'f2', 'f3', 'f4', 'f5']);
  });

  it('with the server margin of 400 ms and frames arriving 40 ms apart, every picture is shown', async () => {
    const { shown, closed, add, advance, clock } = schedule();
    clock.set(0);
    for (let i = 0; i < 30; i++) {
      add(`f${i}`, 400 + i * 40);
      await advance(40);
    }
    await advance(1000);
    expect(shown).toHaveLength(30);
    expect(closed).toHaveLength(30);
  });

  it('hands each picture over the presenter\'s delay before its time, so it reaches the screen at it', async () => {
    // The presenter draws a picture 12 ms after it is given one (the next animation frame).
    const { s, clock, shown, drops, add, advance } = schedule({ presentationDelay: () => 12 });
    clock.set(1000);
    add('a', 1400);
    add('b', 1440);
    await advance(387);
    expect(shown).toEqual([]);
    await advance(1);
    expect(shown).toEqual(['a@388']);
    expect(s.leadMs).toBe(12);
    await advance(40);
    expect(shown).toEqual(['a@388', 'b@428']);
    // A picture whose time is within the delay is due now, not late: late is judged by the mm time.
    await advance(2);
    add('c', 1435);
    await advance(0);
    expect(shown.at(-1)).toBe('c@430');
    expect(drops).toEqual([]);
  });

  it('bounds the presenter\'s delay: never over one frame interval, never below 0, 0 when not a number', async () => {
    for (const [delay, expected] of [
      [5000, 'a@360'],
      [Number.POSITIVE_INFINITY, 'a@400'],
      [-30, 'a@400'],
      [Number.NaN, 'a@400'],
    ] as const) {
      const { s, clock, shown, add, advance } = schedule({ presentationDelay: () => delay });
      clock.set(1000);
      add('z', 1360);
      add('a', 1400);
      // Two frames 40 ms apart: the interval, which bounds the lead.
      await advance(1000);
      expect(shown.at(-1), `a delay of ${delay}`).toBe(expected);
      expect(s.leadMs).toBe(expected === 'a@360' ? 40 : 0);
    }
  });

  it('takes a picture stamped 0 as meant for now + 100 ms', async () => {
    const { clock, shown, add, advance } = schedule();
    clock.set(77);
    await advance(10);
    add('zero', 0);
    await advance(99);
    expect(shown).toEqual([]);
    await advance(1);
    expect(shown).toEqual(['zero@110']);
  });

  it('starts over when a stream steps back or jumps ahead: what waits is shown now', async () => {
    const { clock, shown, drops, add, advance } = schedule();
    clock.set(0);
    add('a', 300);
    add('b', 340);
    // The server's stream restarted its stamps: 'b' (the newest waiting) is shown now, 'a' dropped.
    add('c', 100);
    await advance(0);
    expect(shown).toEqual(['b@0']);
    expect(drops).toEqual(['stream-late']);
    // A jump of over 500 ms ahead: the same.
    add('d', 700);
    await advance(0);
    expect(shown).toEqual(['b@0', 'c@0']);
    await advance(700);
    expect(shown).toEqual(['b@0', 'c@0', 'd@700']);
  });

  it('shows the newest waiting picture at once on settle, and closes what waits on close', async () => {
    const { s, clock, shown, closed, add } = schedule();
    clock.set(0);
    add('a', 300);
    add('b', 340);
    await s.settle();
    expect(shown).toEqual(['b@0']);
    add('c', 400);
    await s.close();
    expect(closed).toContain('c');
    expect(shown).toEqual(['b@0']);
    await s.add({ width: 1, height: 1, pixels: () => Promise.reject(new Error('no')), close: () => closed.push('after') }, box(0, 0, 1, 1), 500);
    expect(closed.at(-1)).toBe('after');
  });

  it('says when a setting of the mm clock is a jump: over 50 ms back, or over 500 ms ahead', async () => {
    const { timer, advance } = fakeTimer();
    const clock = new PresentationClock(timer);
    expect(clock.mmNow()).toBeNull();
    expect(clock.set(0xfffffff0)).toBe(false);
    await advance(100);
    // Wrapped: 0xfffffff0 + 100 ms is 84.
    expect(clock.mmNow()).toBe(84);
    expect(clock.set(84 + 500)).toBe(false);
    expect(clock.set(584 + 501)).toBe(true);
    expect(clock.set(1000)).toBe(true);
    expect(clock.set(1000)).toBe(false);
    // A small step back is the audio clock's correction, not a jump.
    expect(clock.set(1000 - 50)).toBe(false);
    expect(clock.set(950 - 51)).toBe(true);
  });
});

describe('the pipeline on the mm clock', () => {
  it('shows frames at their time, counts late ones, and a snapshot shows the newest at once', async () => {
    const { timer, advance } = fakeTimer();
    let decoded = 0;
    let closed = 0;
    const video: VideoDecoders = {
      supported: [{ codec: VideoCodec.VP8, acceleration: 'software' }],
      create: () =>
        Promise.resolve({
          acceleration: 'software',
          decode: (data, w, h) => {
            decoded++;
            return Promise.resolve({
              width: w,
              height: h,
              pixels: () => Promise.resolve({ width: w, height: h, data: new Uint32Array(w * h).fill(data[0]), hasAlpha: false }),
              close: () => void closed++,
            });
          },
          close: () => {},
        }),
    };
    const sink = new LocalDisplaySink({ logger: silentLogger, video, presentationTimer: timer });
    let serial = 0n;
    const submit = (type: number, b: Uint8Array) => sink.submit(0, type, b, ++serial);
    submit(DisplayMsg.SURFACE_CREATE, new WireWriter().u32(0).u32(8).u32(8).u32(32).u32(1).finish());
    submit(DisplayMsg.STREAM_CREATE, streamCreate({ id: 1, codec: VideoCodec.VP8, width: 8, height: 8, dest: box(0, 0, 8, 8) }));
    const pixel = () => sink.pipeline.primarySurface(0)!.data[0] & 0xff;
    sink.setMediaTime(10_000);
    submit(DisplayMsg.STREAM_DATA, streamData(1, 10_400, new Uint8Array([1])));
    await sink.pipeline.drain(0);
    expect(pixel()).toBe(0);
    await advance(400);
    expect(pixel()).toBe(1);
    // Two frames late when decoded, one right after the other: the first is dropped.
    submit(DisplayMsg.STREAM_DATA, streamData(1, 10_000, new Uint8Array([2])));
    submit(DisplayMsg.STREAM_DATA, streamData(1, 10_040, new Uint8Array([3])));
    await sink.pipeline.drain(0);
    await advance(1000);
    expect(pixel()).toBe(3);
    expect((await sink.stats(0)).ops).toMatchObject({ 'stream-frame': 3, 'stream-late': 1 });
    // A frame for 2 s from now: a snapshot shows it without waiting.
    submit(DisplayMsg.STREAM_DATA, streamData(1, 13_400, new Uint8Array([4])));
    const snapshot = await sink.snapshot(0);
    expect(snapshot!.data[0] & 0xff).toBe(4);
    // A destroyed stream's queued frames are never decoded, nor shown.
    submit(DisplayMsg.STREAM_DATA, streamData(1, 13_500, new Uint8Array([5])));
    submit(DisplayMsg.STREAM_DESTROY, streamDestroy(1));
    await sink.pipeline.drain(0);
    await advance(5000);
    expect(pixel()).toBe(4);
    // Every picture decoded was given back: shown, dropped, or closed with its stream.
    expect([decoded, closed]).toEqual([4, 4]);
    sink.close();
  });
});
