// The presentation delay of overlaid video pictures: measured in the worker's VideoOverlays (from
// present() to the animation frame that first draws a picture), kept as a bounded running median,
// and used by the streams' schedules to hand pictures over that much before their mm time. On a
// fake clock with an animation frame that comes a known while after it is asked for, pictures are
// drawn at their mm time; an absurd delay (a stalled page) is bounded.
import { describe, expect, it } from 'vitest';
import { DisplayMsg, VideoCodec } from '../../../../src/protocol/channels/display/display-messages.ts';
import { DisplayPipeline } from '../../../../src/protocol/display/display-pipeline.ts';
import type { DecodedFrame, VideoDecoders } from '../../../../src/protocol/display/video-decoder.ts';
import { silentLogger } from '../../../../src/protocol/logger.ts';
import { WireWriter } from '../../../../src/protocol/wire/writer.ts';
import {
  DEFAULT_PRESENTATION_DELAY_MS,
  MAX_PRESENTATION_DELAY_SAMPLE_MS,
  PRESENTATION_DELAY_SAMPLES,
  PresentationDelay,
} from '../../../../src/renderer/present/presentation-delay.ts';
import { VideoOverlays } from '../../../../src/renderer/present/video-overlay.ts';
import { box } from '../../channels/display/body-builder.ts';
import { streamCreate, streamData } from '../../channels/display/stream-bodies.ts';
import { fakeTimer } from '../../display/fake-presentation-timer.ts';

describe('PresentationDelay', () => {
  it('starts at one 60 Hz frame, then is the median of the recent samples: one stall does not move it', () => {
    const d = new PresentationDelay();
    expect(d.estimate).toBeCloseTo(DEFAULT_PRESENTATION_DELAY_MS);
    for (const sample of [4, 12, 8, 200, 9]) d.add(1000, 1000 + sample);
    expect(d.estimate).toBe(9);
    d.reset();
    expect([d.estimate, d.count]).toEqual([DEFAULT_PRESENTATION_DELAY_MS, 0]);
  });

  it(`keeps the last ${PRESENTATION_DELAY_SAMPLES} samples: a changed delay is followed`, () => {
    const d = new PresentationDelay();
    for (let i = 0; i < 100; i++) d.add(0, 5);
    for (let i = 0; i < PRESENTATION_DELAY_SAMPLES; i++) d.add(0, 14);
    expect([d.estimate, d.count]).toEqual([14, PRESENTATION_DELAY_SAMPLES]);
  });

  it('ignores samples that are not one (negative, not a number) and bounds absurd ones', () => {
    const d = new PresentationDelay();
    d.add(100, 50);
    d.add(0, Number.NaN);
    d.add(Number.NEGATIVE_INFINITY, 0);
    expect(d.count).toBe(0);
    for (let i = 0; i < 5; i++) d.add(0, 60_000);
    expect(d.estimate).toBe(MAX_PRESENTATION_DELAY_SAMPLE_MS);
  });
});

/** A page's worker on a fake clock: the display pipeline presents into VideoOverlays, whose animation frame comes `frameDelay` ms after it is asked for. */
function page(o: { frameDelay: number; overlaid?: boolean }) {
  const { timer, advance } = fakeTimer();
  const video: VideoDecoders = {
    supported: [{ codec: VideoCodec.VP9, acceleration: 'software' }],
    create: () =>
      Promise.resolve({
        acceleration: 'software',
        decode: (data, width, height) => {
          const frame: DecodedFrame = {
            width,
            height,
            native: { colour: data[0] },
            pixels: () => Promise.resolve({ width, height, data: new Uint32Array(width * height).fill(data[0]), hasAlpha: false }),
            close: () => {},
          };
          return Promise.resolve(frame);
        },
        close: () => {},
      }),
  };
  let frameAsked = false;
  const overlays: VideoOverlays = new VideoOverlays({
    overlaid: () => o.overlaid ?? true,
    damaged: () => {},
    requestFrame: () => {
      if (frameAsked) return;
      frameAsked = true;
      timer.after(o.frameDelay, () => {
        frameAsked = false;
        overlays.pictures(0, 0);
      });
    },
    now: () => timer.now(),
  });
  const p = new DisplayPipeline({ logger: silentLogger, video, framePresenter: overlays, presentationTimer: timer, onEvent: () => {} });
  let serial = 0n;
  const submit = (type: number, b: Uint8Array) => p.submit(0, type, b, ++serial);
  submit(DisplayMsg.SURFACE_CREATE, new WireWriter().u32(0).u32(16).u32(16).u32(32).u32(1).finish());
  submit(DisplayMsg.STREAM_CREATE, streamCreate({ id: 1, codec: VideoCodec.VP9, width: 8, height: 8, dest: box(0, 0, 8, 8) }));
  /**
   * The mm clock starts at 10,000 at time 0; `count` frames `interval` ms apart, each arriving 400 ms
   * before its time (the server's margin). Returns each picture's screen time minus its mm time's
   * (both on the fake clock): negative is early.
   */
  const play = async (count: number, interval = 40): Promise<number[]> => {
    p.setMediaTime(10_000);
    for (let i = 0; i < count; i++) {
      submit(DisplayMsg.STREAM_DATA, streamData(1, 10_400 + i * interval, new Uint8Array([i])));
      await p.drain(0);
      await advance(interval);
    }
    await advance(1000);
    return overlays.takePresentationLog().map((e) => e.at - performance.timeOrigin - (e.mm - 10_000));
  };
  return { overlays, play };
}

describe('overlaid pictures shown early by the measured presentation delay', () => {
  it('an animation frame 10 ms after the hand-over: once measured, every picture is drawn at its mm time', async () => {
    const t = page({ frameDelay: 10 });
    const offsets = await t.play(30);
    expect(offsets).toHaveLength(30);
    // Before anything was measured the delay is taken as one 60 Hz frame: the first two (scheduled
    // before the first was drawn) are drawn that much less 10 ms early.
    for (const offset of offsets.slice(0, 2)) expect(offset).toBeCloseTo(10 - DEFAULT_PRESENTATION_DELAY_MS, 2);
    for (const offset of offsets.slice(2)) expect(offset).toBeCloseTo(0, 2);
    expect(t.overlays.presentationDelayMs).toBe(10);
    expect(t.overlays.presentationDelay(0, 0)).toBe(10);
  });

  it('without the lead the same frames would be drawn 10 ms late: a surface written at once has no delay to take off', async () => {
    const t = page({ frameDelay: 10, overlaid: false });
    const offsets = await t.play(10);
    // Written into the surface when handed over, at its time (its own presentation is the page's).
    expect(offsets).toEqual(new Array(10).fill(0));
    expect(t.overlays.presentationDelay(0, 0)).toBe(0);
  });

  it('an animation frame 300 ms after the hand-over (a stalled page), a picture every 400 ms: the measure is bounded at 250 ms', async () => {
    const t = page({ frameDelay: 300 });
    const offsets = await t.play(10, 400);
    expect(t.overlays.presentationDelayMs).toBe(MAX_PRESENTATION_DELAY_SAMPLE_MS);
    // Once the median is of bounded samples: handed over 250 ms early (within the 400 ms interval),
    // drawn 300 ms later, so 50 ms late (a picture replaced before a frame drew it is not in the log).
    expect(offsets.length).toBeGreaterThanOrEqual(8);
    for (const offset of offsets.slice(-4)) expect(offset).toBeCloseTo(300 - MAX_PRESENTATION_DELAY_SAMPLE_MS, 2);
  });
});
