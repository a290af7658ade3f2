// The page's playback against a fake output (no Web Audio in Node): the channel bodies as the host
// forwards them become START, DATA (RAW to Float32), STOP and gain messages for the worklet; the
// guest's VOLUME (cubic) and MUTE apply on top of the page's slider and mute; a malformed body is
// reported and the sound goes on. Xspice sends no VOLUME or MUTE (QEMU's guest does: a later test).
import { describe, expect, it } from 'vitest';
import { AudioDataMode } from '../../../../src/protocol/audio/audio-format.ts';
import { PlaybackMsg } from '../../../../src/protocol/channels/playback/playback-messages.ts';
import { PagePlayback } from '../../../../src/renderer/audio/page-playback.ts';
import type { SoundGate } from '../../../../src/renderer/audio/audio-output.ts';
import type { ToPlayout } from '../../../../src/renderer/audio/worklet-messages.ts';
import { dataBody, modeBody, sinePcm, startBody, u8Body, volumeBody } from '../../channels/playback/audio-bodies.ts';

/** A LATENCY body: u32 ms. */
function u32Body(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v, true);
  return b;
}

function fakeOutput() {
  const posted: ToPlayout[] = [];
  const output = {
    gate: 'off' as SoundGate,
    post(m: ToPlayout) {
      posted.push(m);
      // The first post opens the output (audio-output.ts).
      if (output.gate === 'off') output.gate = 'on';
    },
  };
  return { output, posted, gains: () => posted.filter((m) => m.type === 'gain').map((m) => (m as { gain: number }).gain) };
}

describe('PagePlayback', () => {
  it('plays RAW packets as stereo Float32 with their DATA.time, between START and STOP', () => {
    const { output, posted } = fakeOutput();
    const problems: string[] = [];
    const p = new PagePlayback(output, (m) => problems.push(m));
    p.receive(PlaybackMsg.MODE, modeBody(10, AudioDataMode.RAW));
    // DATA before START has no format: dropped.
    p.receive(PlaybackMsg.DATA, dataBody(5, sinePcm()));
    expect(posted).toEqual([]);
    p.receive(PlaybackMsg.START, startBody({ time: 100 }));
    p.receive(PlaybackMsg.DATA, dataBody(100, sinePcm(480, 16384)));
    p.receive(PlaybackMsg.STOP, new Uint8Array(0));
    const kinds = posted.map((m) => m.type);
    expect(kinds).toEqual(['start', 'gain', 'data', 'stop']);
    const data = posted[2] as Extract<ToPlayout, { type: 'data' }>;
    expect(data.time).toBe(100);
    expect(data.frames.length).toBe(960);
    expect(Math.max(...data.frames)).toBeCloseTo(0.5, 3);
    expect(p.stats).toMatchObject({ packets: 2, dropped: 1, starts: 1, mode: 'raw', stream: null });
    expect(problems).toEqual([]);
  });

  it('makes the server\'s LATENCY the buffer\'s floor while its stream plays (one before START waits for it), and forgets it at STOP', () => {
    const { output, posted } = fakeOutput();
    const p = new PagePlayback(output, () => {});
    const floors = () => posted.filter((m) => m.type === 'min-latency').map((m) => (m as { ms: number }).ms);
    // Outside a stream nothing is posted (nor is the output opened for it).
    p.receive(PlaybackMsg.LATENCY, u32Body(250));
    expect(posted).toEqual([]);
    expect(p.stats.serverLatencyMs).toBe(250);
    p.receive(PlaybackMsg.START, startBody());
    expect(posted.map((m) => m.type)).toEqual(['start', 'min-latency', 'gain']);
    p.receive(PlaybackMsg.LATENCY, u32Body(400));
    expect(floors()).toEqual([250, 400]);
    p.receive(PlaybackMsg.STOP, new Uint8Array(0));
    expect(p.stats.serverLatencyMs).toBeNull();
    // The next stream starts without it.
    p.receive(PlaybackMsg.START, startBody());
    expect(floors()).toEqual([250, 400]);
  });

  it('applies the guest\'s VOLUME on a cubic curve and its MUTE on top of the page\'s slider and mute', () => {
    const { output, gains } = fakeOutput();
    const p = new PagePlayback(output, () => {});
    p.receive(PlaybackMsg.START, startBody());
    p.receive(PlaybackMsg.VOLUME, volumeBody(32768, 32768));
    expect(gains().at(-1)).toBeCloseTo(0.125, 3);
    p.setLocal(0.5, false);
    expect(gains().at(-1)).toBeCloseTo(0.0625, 3);
    p.receive(PlaybackMsg.MUTE, u8Body(1));
    expect(gains().at(-1)).toBe(0);
    p.receive(PlaybackMsg.MUTE, u8Body(0));
    expect(gains().at(-1)).toBeCloseTo(0.0625, 3);
    p.setLocal(0.5, true);
    expect(gains().at(-1)).toBe(0);
    expect(p.stats.guest).toEqual({ volume: [32768, 32768], muted: false });
  });

  it('reports a malformed body and goes on', () => {
    const { output, posted } = fakeOutput();
    const problems: string[] = [];
    const p = new PagePlayback(output, (m) => problems.push(m));
    p.receive(PlaybackMsg.START, startBody());
    p.receive(PlaybackMsg.START, new Uint8Array(3));
    p.receive(PlaybackMsg.MODE, modeBody(0, 2));
    p.receive(PlaybackMsg.DATA, dataBody(7, sinePcm()));
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^sound: /);
    expect(p.stats.errors).toBe(2);
    expect(posted.filter((m) => m.type === 'data')).toHaveLength(1);
  });

  it('sends Opus packets to the worklet as they came, those of one bridge message in one post after the stream\'s format, DATA before a STOP', async () => {
    const { output, posted } = fakeOutput();
    const p = new PagePlayback(output, () => {});
    p.receive(PlaybackMsg.MODE, modeBody(10, AudioDataMode.OPUS));
    p.receive(PlaybackMsg.START, startBody({ time: 100 }));
    // One bridge message: two DATA, then (next message) one DATA and the STOP.
    p.receive(PlaybackMsg.DATA, dataBody(100, new Uint8Array([1, 2, 3])));
    const second = dataBody(110, new Uint8Array([4, 5]));
    p.receive(PlaybackMsg.DATA, second);
    // A display message after them in the same bridge message transfers its buffer to the decode worker.
    structuredClone(second.buffer, { transfer: [second.buffer] });
    await Promise.resolve();
    p.receive(PlaybackMsg.DATA, dataBody(120, new Uint8Array([6])));
    p.receive(PlaybackMsg.STOP, new Uint8Array(0));
    await Promise.resolve();
    expect(posted.map((m) => m.type)).toEqual(['start', 'gain', 'opus-stream', 'opus', 'opus', 'stop']);
    expect(posted[2]).toEqual({ type: 'opus-stream', channels: 2, rate: 48000 });
    const first = posted[3] as Extract<ToPlayout, { type: 'opus' }>;
    expect([...first.bytes]).toEqual([1, 2, 3, 4, 5]);
    expect(first.lengths).toEqual([3, 2]);
    expect(first.times).toEqual([100, 110]);
    const next = posted[4] as Extract<ToPlayout, { type: 'opus' }>;
    expect([...next.bytes]).toEqual([6]);
    expect(next.times).toEqual([120]);
    // The worklet's counts are the page's.
    p.workletCounts({ decoded: 3, errors: 0, dropped: 0 });
    expect(p.stats).toMatchObject({ packets: 3, decoded: 3, dropped: 0, opusDecoding: 'worklet' });
  });

  it('decodes on the page from when the worklet says it cannot, and says so', () => {
    const { output } = fakeOutput();
    const problems: string[] = [];
    const p = new PagePlayback(output, (m) => problems.push(m));
    p.workletUnavailable('WebAssembly refused');
    expect(p.stats.opusDecoding).toBe('page');
    expect(problems).toEqual(["sound: Opus is decoded on the page's thread (the worklet's decoder: WebAssembly refused)"]);
  });
});
