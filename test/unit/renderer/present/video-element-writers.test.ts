// The element path's worker side (video-element-writers.ts): once the page handed over a stream's
// track writable, pictures are written into it here and the page hears only of placement changes
// and hiding; the first picture waits for the writable; a page that could not hand it over gets
// the pictures as messages; a track that does not take its frames has the newest dropped past
// MAX_QUEUED; the page's log gets each picture's mm time only once it watches.
import { describe, expect, it } from 'vitest';
import { MAX_QUEUED, VideoElementWriters, type ElementMessage } from '../../../../src/renderer/present/video-element-writers.ts';
import type { ElementPicture } from '../../../../src/renderer/present/video-overlay.ts';

const box = (left: number, top: number, right: number, bottom: number) => ({ left, top, right, bottom });

/** A VideoFrame stand-in: its timestamp, and whether it was closed. */
function fakeFrame(timestamp: number): VideoFrame & { closed: boolean } {
  const f = { timestamp, closed: false, close: () => void (f.closed = true) };
  return f as unknown as VideoFrame & { closed: boolean };
}

/** A track writable whose sink takes frames only when `take` is on (the track's queue grows otherwise). */
function fakeTrack() {
  const taken: VideoFrame[] = [];
  let release: (() => void)[] = [];
  let taking = true;
  const writable = new WritableStream<VideoFrame>(
    {
      write: (frame) => {
        taken.push(frame);
        if (taking) return;
        return new Promise<void>((done) => release.push(done));
      },
    },
    { highWaterMark: 1 },
  );
  return {
    writable,
    taken,
    stall: () => void (taking = false),
    resume: () => {
      taking = true;
      for (const r of release) r();
      release = [];
    },
  };
}

const picture = (mm: number, dest = box(0, 0, 64, 48)): ElementPicture => ({ dest, rects: [dest], bottomUp: false, mm, handed: 1000 + mm });
const turns = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe('VideoElementWriters', () => {
  it('asks the page for the element once, keeps the first picture until the writable comes, then writes every picture itself', async () => {
    const posted: ElementMessage[] = [];
    const w = new VideoElementWriters((m) => posted.push(m));
    const track = fakeTrack();
    const first = fakeFrame(0);
    w.show('0:1', first, picture(100));
    expect(posted.map((m) => m.kind)).toEqual(['video-place']);
    w.adopt('0:1', track.writable);
    await turns();
    expect(track.taken).toEqual([first]);
    for (let i = 1; i <= 5; i++) {
      w.show('0:1', fakeFrame(i * 40_000), picture(100 + i * 40));
      await turns();
    }
    // Same placement: nothing more for the page's thread.
    expect(posted.map((m) => m.kind)).toEqual(['video-place']);
    expect(track.taken.map((f) => f.timestamp)).toEqual([0, 40_000, 80_000, 120_000, 160_000, 200_000]);
  });

  it('tells the page where the element goes when the dest changes and when it shows again after a hide', async () => {
    const posted: ElementMessage[] = [];
    const w = new VideoElementWriters((m) => posted.push(m));
    w.adopt('0:1', fakeTrack().writable);
    w.show('0:1', fakeFrame(0), picture(0));
    w.show('0:1', fakeFrame(1), picture(40, box(10, 10, 74, 58)));
    w.hide('0:1');
    w.show('0:1', fakeFrame(2), picture(80, box(10, 10, 74, 58)));
    expect(posted.map((m) => m.kind)).toEqual(['video-place', 'video-place', 'video-hide', 'video-place']);
    expect(posted[1]).toMatchObject({ dest: box(10, 10, 74, 58) });
  });

  it('where the page keeps the writable, sends it each picture', async () => {
    const posted: { m: ElementMessage; transfer?: Transferable[] }[] = [];
    const w = new VideoElementWriters((m, transfer) => posted.push({ m, transfer }));
    const waiting = fakeFrame(0);
    w.show('0:1', waiting, picture(0));
    w.adopt('0:1', null);
    // The one that waited is not worth a message: the next comes within a frame.
    expect(waiting.closed).toBe(true);
    const next = fakeFrame(1);
    w.show('0:1', next, picture(40));
    expect(posted.map((p) => p.m.kind)).toEqual(['video-place', 'video-picture']);
    expect(posted[1].transfer).toEqual([next]);
  });

  it('drops the newest picture while the track has not taken MAX_QUEUED before it', async () => {
    const w = new VideoElementWriters(() => undefined);
    const track = fakeTrack();
    w.adopt('0:1', track.writable);
    track.stall();
    const frames = Array.from({ length: MAX_QUEUED + 4 }, (_, i) => fakeFrame(i));
    for (const f of frames) {
      w.show('0:1', f, picture(i(f)));
      await turns();
    }
    expect(w.dropped).toBeGreaterThan(0);
    expect(frames.filter((f) => f.closed).length).toBe(w.dropped);
    track.resume();
  });

  it("sends each picture's mm time only once the page watches", () => {
    const posted: ElementMessage[] = [];
    const w = new VideoElementWriters((m) => posted.push(m));
    w.adopt('0:1', fakeTrack().writable);
    w.show('0:1', fakeFrame(0), picture(0));
    w.watching = true;
    w.show('0:1', fakeFrame(40_000), picture(40));
    expect(posted.filter((m) => m.kind === 'video-handed')).toEqual([{ kind: 'video-handed', key: '0:1', timestamp: 40_000, mm: 40, handed: 1040 }]);
  });

  it('clear() closes a picture still waiting for its writable', () => {
    const w = new VideoElementWriters(() => undefined);
    const waiting = fakeFrame(0);
    w.show('0:1', waiting, picture(0));
    w.clear();
    expect(waiting.closed).toBe(true);
  });
});

const i = (f: VideoFrame): number => f.timestamp;
