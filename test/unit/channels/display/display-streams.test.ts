// The display channel's stream gate: which stream messages reach the pipeline, the STREAM_REPORTs
// computed as spice-gtk does, and hostile streams (unknown ids, codecs never announced, too many
// streams, oversized frames) refused with a clear error and a "cannot decode" report.
import { describe, expect, it } from 'vitest';
import { DisplayClientMsg, DisplayMsg, VideoCodec } from '../../../../src/protocol/channels/display/display-messages.ts';
import { MAX_FRAME_BYTES, MAX_LIVE_STREAMS, StreamGate } from '../../../../src/protocol/channels/display/display-streams.ts';
import { WireReader } from '../../../../src/protocol/wire/reader.ts';
import { box } from './body-builder.ts';
import { activateReport, streamClip, streamCreate, streamData, streamDataSized, streamDestroy } from './stream-bodies.ts';

interface SentReport {
  streamId: number;
  uniqueId: number;
  start: number;
  end: number;
  frames: number;
  drops: number;
  lastDelay: number;
  audioDelay: number;
}

function gate(o: { codecs?: readonly number[] | null; mm?: () => number | null } = {}) {
  const reports: SentReport[] = [];
  const errors: string[] = [];
  let wall = 1000;
  const g = new StreamGate({
    announcedCodecs: o.codecs === undefined ? [VideoCodec.MJPEG] : o.codecs,
    send(type, b) {
      expect(type).toBe(DisplayClientMsg.STREAM_REPORT);
      expect(b.length).toBe(32);
      const r = new WireReader(b, 0, {});
      reports.push({ streamId: r.u32(), uniqueId: r.u32(), start: r.u32(), end: r.u32(), frames: r.u32(), drops: r.u32(), lastDelay: r.i32(), audioDelay: r.u32() });
    },
    mediaTime: o.mm ?? (() => 5000),
    error: (m) => errors.push(m),
    wallMs: () => wall,
  });
  const advance = (ms: number) => (wall += ms);
  return { g, reports, errors, advance };
}

const create = (id: number, codec: number = VideoCodec.MJPEG) => streamCreate({ id, codec, width: 8, height: 8, dest: box(0, 0, 8, 8) });
const frame = new Uint8Array([0xff, 0xd8, 0xff, 0xd9]);

describe('display stream gate', () => {
  it('forwards a stream and reports every window of max_window_size frames, with margins against the mm clock', () => {
    const { g, reports, errors } = gate({ mm: () => 5000 });
    expect(g.admit(DisplayMsg.STREAM_CREATE, create(49))?.type).toBe(DisplayMsg.STREAM_CREATE);
    // ACTIVATE_REPORT is the channel's, not the pipeline's.
    expect(g.admit(DisplayMsg.STREAM_ACTIVATE_REPORT, activateReport(49, 0xabcdef, 5, 1000))).toBeNull();
    const times = [5400, 5440, 4990, 5520, 5560];
    for (const [i, t] of times.entries()) {
      expect(g.admit(DisplayMsg.STREAM_DATA, streamData(49, t, frame))?.type).toBe(DisplayMsg.STREAM_DATA);
      expect(reports).toHaveLength(i === 4 ? 1 : 0);
    }
    expect(reports[0]).toEqual({ streamId: 49, uniqueId: 0xabcdef, start: 5400, end: 5560, frames: 5, drops: 1, lastDelay: 560, audioDelay: 0xffffffff });
    expect(errors).toEqual([]);
  });

  it('sends the window early after 3 late frames in a row, and after timeout_ms of wall time', () => {
    const { g, reports, advance } = gate({ mm: () => 5000 });
    g.admit(DisplayMsg.STREAM_CREATE, create(3));
    g.admit(DisplayMsg.STREAM_ACTIVATE_REPORT, activateReport(3, 7, 100, 1000));
    for (const t of [4000, 4100, 4200]) g.admit(DisplayMsg.STREAM_DATA, streamData(3, t, frame));
    expect(reports).toEqual([{ streamId: 3, uniqueId: 7, start: 4000, end: 4200, frames: 3, drops: 3, lastDelay: -800, audioDelay: 0xffffffff }]);
    g.admit(DisplayMsg.STREAM_DATA_SIZED, streamDataSized(3, 5100, 4, 4, box(0, 0, 4, 4), frame));
    advance(999);
    g.admit(DisplayMsg.STREAM_DATA, streamData(3, 5200, frame));
    expect(reports).toHaveLength(1);
    advance(1);
    g.admit(DisplayMsg.STREAM_DATA, streamData(3, 5300, frame));
    expect(reports[1]).toMatchObject({ start: 5100, end: 5300, frames: 3, drops: 0, lastDelay: 300 });
  });

  it('reports nothing before ACTIVATE_REPORT', () => {
    const { g, reports } = gate();
    g.admit(DisplayMsg.STREAM_CREATE, create(1));
    for (let i = 0; i < 20; i++) g.admit(DisplayMsg.STREAM_DATA, streamData(1, 6000 + i, frame));
    expect(reports).toEqual([]);
  });

  it('refuses frames and ACTIVATE_REPORT for an unknown stream id (one error and one "cannot decode" report per id), ignores its clips; nothing forwarded', () => {
    const { g, reports, errors } = gate();
    expect(g.admit(DisplayMsg.STREAM_DATA, streamData(12, 1, frame))).toBeNull();
    expect(g.admit(DisplayMsg.STREAM_DATA, streamData(12, 2, frame))).toBeNull();
    expect(g.admit(DisplayMsg.STREAM_CLIP, streamClip(12, null))).toBeNull();
    // spice-server sends clips of streams it never created for this client: ignored, not an error.
    expect(g.admit(DisplayMsg.STREAM_CLIP, streamClip(14, null))).toBeNull();
    expect(g.admit(DisplayMsg.STREAM_ACTIVATE_REPORT, activateReport(13, 1, 5, 1000))).toBeNull();
    expect(errors).toEqual([
      expect.stringMatching(/STREAM_DATA names video stream 12, which does not exist/),
      expect.stringMatching(/STREAM_ACTIVATE_REPORT names video stream 13, which does not exist/),
    ]);
    expect(reports).toEqual([
      { streamId: 12, uniqueId: 0, start: 0, end: 0, frames: 0, drops: 0xffffffff, lastDelay: 0, audioDelay: 0 },
      { streamId: 13, uniqueId: 0, start: 0, end: 0, frames: 0, drops: 0xffffffff, lastDelay: 0, audioDelay: 0 },
    ]);
  });

  it('refuses a codec it never announced, and every stream when it announced none', () => {
    const { g, reports, errors } = gate();
    expect(g.admit(DisplayMsg.STREAM_CREATE, create(4, VideoCodec.VP8))).toBeNull();
    expect(errors[0]).toMatch(/video stream 4 uses VP8, which this client did not announce \(it announced MJPEG\); the stream is dropped/);
    expect(reports).toHaveLength(1);
    // Its frames are then an unknown stream's (already reported).
    expect(g.admit(DisplayMsg.STREAM_DATA, streamData(4, 1, frame))).toBeNull();
    expect(reports).toHaveLength(1);

    const none = gate({ codecs: null });
    expect(none.g.admit(DisplayMsg.STREAM_CREATE, create(4))).toBeNull();
    expect(none.errors[0]).toMatch(/uses MJPEG, which this client did not announce \(it announced none\)/);
    // Without the STREAM_REPORT cap no report is sent.
    expect(none.reports).toEqual([]);
  });

  it(`refuses more than ${MAX_LIVE_STREAMS} streams at once and ids of 64 or more, without reporting ids the server would reject`, () => {
    const { g, reports, errors } = gate();
    for (let id = 0; id < MAX_LIVE_STREAMS; id++) expect(g.admit(DisplayMsg.STREAM_CREATE, create(id))).not.toBeNull();
    expect(g.admit(DisplayMsg.STREAM_CREATE, create(55))).toBeNull();
    expect(errors[0]).toMatch(/video stream 55 would be stream number 51, over the server's maximum of 50/);
    expect(g.admit(DisplayMsg.STREAM_CREATE, create(64))).toBeNull();
    expect(errors[1]).toMatch(/video stream id 64 is out of range \(ids are below 64\)/);
    // Ids 50 and up are never named in a report: spice-server would drop the display channel.
    expect(reports).toEqual([]);
    // Destroying one makes room again.
    g.admit(DisplayMsg.STREAM_DESTROY, streamDestroy(0));
    expect(g.admit(DisplayMsg.STREAM_CREATE, create(55))).not.toBeNull();
    g.admit(DisplayMsg.STREAM_DESTROY_ALL, new Uint8Array(0));
    expect(g.liveStreams).toBe(0);
  });

  it('drops a stream whose frame is over the size bound: the pipeline gets a STREAM_DESTROY instead', () => {
    const { g, reports, errors } = gate();
    g.admit(DisplayMsg.STREAM_CREATE, create(2));
    const huge = new Uint8Array(MAX_FRAME_BYTES + 1);
    const forwarded = g.admit(DisplayMsg.STREAM_DATA, streamData(2, 1, huge));
    expect(forwarded).toEqual({ type: DisplayMsg.STREAM_DESTROY, body: streamDestroy(2) });
    expect(errors[0]).toMatch(new RegExp(`video stream 2: a frame of ${MAX_FRAME_BYTES + 1} bytes is over the ${MAX_FRAME_BYTES}-byte bound; the stream is dropped`));
    expect(reports).toMatchObject([{ streamId: 2, frames: 0, drops: 0xffffffff }]);
    expect(g.admit(DisplayMsg.STREAM_DATA, streamData(2, 2, frame))).toBeNull();
  });

  it('forwards a malformed stream message for the pipeline to report with its offset', () => {
    const { g, errors } = gate();
    const truncated = new Uint8Array([1, 2, 3]);
    expect(g.admit(DisplayMsg.STREAM_DATA, truncated)).toEqual({ type: DisplayMsg.STREAM_DATA, body: truncated });
    expect(errors).toEqual([]);
  });

  it('forwards a frame whose size field overruns its body as it came, uncounted, for the pipeline to report', () => {
    const { g, reports, errors } = gate();
    g.admit(DisplayMsg.STREAM_CREATE, create(6));
    g.admit(DisplayMsg.STREAM_ACTIVATE_REPORT, activateReport(6, 1, 1, 1000));
    const overrun = streamData(6, 5100, frame);
    new DataView(overrun.buffer, overrun.byteOffset).setUint32(8, frame.byteLength + 1, true);
    expect(g.admit(DisplayMsg.STREAM_DATA, overrun)).toEqual({ type: DisplayMsg.STREAM_DATA, body: overrun });
    expect(reports).toEqual([]);
    expect(errors).toEqual([]);
    // A well-formed frame read in place counts (a window of one frame: one report).
    expect(g.admit(DisplayMsg.STREAM_DATA, streamData(6, 5100, frame))?.type).toBe(DisplayMsg.STREAM_DATA);
    expect(reports).toMatchObject([{ streamId: 6, start: 5100, end: 5100, frames: 1, drops: 0, lastDelay: 100 }]);
  });

  it('tells the server a stream the pipeline could not decode, once, and leaves a newer stream of that id alone', () => {
    const { g, reports, errors } = gate();
    g.admit(DisplayMsg.STREAM_CREATE, create(49), 10n);
    g.admit(DisplayMsg.STREAM_ACTIVATE_REPORT, activateReport(49, 5, 5, 1000));
    g.decodeFailed(49, 10n);
    expect(reports).toEqual([{ streamId: 49, uniqueId: 0, start: 0, end: 0, frames: 0, drops: 0xffffffff, lastDelay: 0, audioDelay: 0 }]);
    expect(g.liveStreams).toBe(0);
    // Its later frames are an unknown stream's, already told: no flood of reports or errors.
    for (let i = 0; i < 10; i++) expect(g.admit(DisplayMsg.STREAM_DATA, streamData(49, 6000 + i, frame))).toBeNull();
    g.decodeFailed(49, 10n);
    expect(reports).toHaveLength(1);
    expect(errors).toEqual([]);
    // The server destroys it and makes another with the same id: an error about the old one is stale.
    g.admit(DisplayMsg.STREAM_DESTROY, streamDestroy(49), 20n);
    g.admit(DisplayMsg.STREAM_CREATE, create(49), 30n);
    g.decodeFailed(49, 10n);
    expect(g.liveStreams).toBe(1);
    expect(g.admit(DisplayMsg.STREAM_DATA, streamData(49, 7000, frame))?.type).toBe(DisplayMsg.STREAM_DATA);
    expect(reports).toHaveLength(1);
  });
});
