// The guest's playback in the decode worker (worker-playback.ts, playout-link.ts) against a fake
// port and page: messages go straight into the worklet's port once the page's output is on, are
// held in order (bounded, the oldest sound dropped) before, and sound asks the page to open or wake
// its output; the page hears the numbers and problems; the page's proxy adds the worklet's counts.
import { describe, expect, it } from 'vitest';
import { AudioDataMode } from '../../../../src/protocol/audio/audio-format.ts';
import { PlaybackMsg } from '../../../../src/protocol/channels/playback/playback-messages.ts';
import { MAX_HELD, PlayoutLink } from '../../../../src/renderer/audio/playout-link.ts';
import { endsSound, STATS_EVERY_MS, WorkerPlayback, WorkerPlaybackProxy, type PlaybackFromWorker, type PlaybackToWorker } from '../../../../src/renderer/audio/worker-playback.ts';
import type { ToPlayout } from '../../../../src/renderer/audio/worklet-messages.ts';
import { dataBody, modeBody, sinePcm, startBody } from '../../channels/playback/audio-bodies.ts';

function fakePort() {
  const posted: ToPlayout[] = [];
  let closed = false;
  return { port: { postMessage: (m: ToPlayout) => posted.push(m), close: () => (closed = true) }, posted, closed: () => closed };
}

const data = (time: number): ToPlayout => ({ type: 'data', frames: new Float32Array(2), time });

describe('PlayoutLink', () => {
  it('holds messages until the output is on and has given its port, then sends them in order; sound asks once for the output', () => {
    let wants = 0;
    const link = new PlayoutLink(() => wants++);
    link.post({ type: 'gain', gain: 1 });
    expect(wants).toBe(0);
    link.post({ type: 'start', rate: 48000 });
    link.post(data(1));
    // Asked once: the link takes the output as starting until the page says otherwise.
    expect([wants, link.gate]).toEqual([1, 'starting']);
    const p = fakePort();
    link.setPort(p.port);
    link.setState({ gate: 'waiting', asleep: false });
    link.post(data(2));
    expect(p.posted).toEqual([]);
    link.setState({ gate: 'on', asleep: false });
    expect(p.posted.map((m) => m.type)).toEqual(['gain', 'start', 'data', 'data']);
    link.post({ type: 'stop' });
    expect(p.posted.at(-1)).toEqual({ type: 'stop' });
    expect([link.heldCount, wants]).toEqual([0, 1]);
  });

  it('keeps the newest sound while it waits (the oldest DATA goes, counted) and never drops a START or STOP for it', () => {
    const link = new PlayoutLink(() => {});
    link.post({ type: 'start', rate: 48000 });
    for (let i = 0; i < MAX_HELD + 10; i++) link.post(data(i));
    link.post({ type: 'stop' });
    expect(link.heldCount).toBe(MAX_HELD);
    // START, 210 DATA and STOP: the 12 oldest DATA went.
    expect(link.dropped).toBe(12);
    const p = fakePort();
    link.setPort(p.port);
    link.setState({ gate: 'on', asleep: false });
    expect(p.posted[0]).toEqual({ type: 'start', rate: 48000 });
    expect((p.posted[1] as { time: number }).time).toBe(12);
    expect(p.posted.at(-1)).toEqual({ type: 'stop' });
  });

  it('wakes a sleeping output with the next sound, drops everything once the output failed, and closes a replaced port', () => {
    let wants = 0;
    const link = new PlayoutLink(() => wants++);
    const first = fakePort();
    link.setPort(first.port);
    link.setState({ gate: 'on', asleep: true });
    link.post({ type: 'gain', gain: 0.5 });
    expect(wants).toBe(0);
    link.post({ type: 'start', rate: 48000 });
    link.post(data(1));
    expect(wants).toBe(1);
    // Sent at once: the suspended context's worklet takes them when it resumes.
    expect(first.posted.map((m) => m.type)).toEqual(['gain', 'start', 'data']);
    const second = fakePort();
    link.setPort(second.port);
    expect(first.closed()).toBe(true);
    link.setState({ gate: 'failed', asleep: false });
    link.post(data(2));
    expect(second.posted).toEqual([]);
    expect(link.dropped).toBe(1);
  });
});

describe('WorkerPlayback', () => {
  function worker() {
    const fromWorker: PlaybackFromWorker[] = [];
    let now = 0;
    const w = new WorkerPlayback((m) => fromWorker.push(m), 'worklet', () => now);
    return { w, fromWorker, stats: () => fromWorker.filter((m) => m.kind === 'playback-stats'), advance: (ms: number) => (now += ms) };
  }

  it('plays the bodies into the worklet through the page\'s port and tells the page the numbers, DATA at most every STATS_EVERY_MS', () => {
    const t = worker();
    t.w.receive(PlaybackMsg.MODE, modeBody(10, AudioDataMode.RAW));
    t.w.receive(PlaybackMsg.START, startBody({ time: 100 }));
    expect(t.fromWorker.filter((m) => m.kind === 'playout-want')).toHaveLength(1);
    const p = fakePort();
    t.w.command({ kind: 'playout-port', port: p.port as unknown as MessagePort, ring: null });
    t.w.command({ kind: 'playout-state', state: { gate: 'on', asleep: false } });
    const before = t.stats().length;
    for (let i = 0; i < 5; i++) t.w.receive(PlaybackMsg.DATA, dataBody(100 + 10 * i, sinePcm(480, 16384)));
    // Five DATA within STATS_EVERY_MS of the numbers the START sent: none sent for them.
    expect(t.stats().length - before).toBe(0);
    t.advance(STATS_EVERY_MS);
    t.w.receive(PlaybackMsg.DATA, dataBody(150, sinePcm(480, 16384)));
    t.w.receive(PlaybackMsg.DATA, dataBody(160, sinePcm(480, 16384)));
    expect(t.stats().length - before).toBe(1);
    expect(p.posted.map((m) => m.type)).toEqual(['start', 'gain', ...Array<string>(7).fill('data')]);
    t.w.command({ kind: 'playback-local', volume: 0.5, muted: false });
    expect(p.posted.at(-1)).toEqual({ type: 'gain', gain: 0.5 });
    t.w.receive(PlaybackMsg.STOP, new Uint8Array(0));
    const last = t.stats().at(-1) as Extract<PlaybackFromWorker, { kind: 'playback-stats' }>;
    expect(last.stats).toMatchObject({ packets: 7, starts: 1, mode: 'raw', stream: null });
  });

  it('reports a malformed body as a problem and ends a playing stream on reset', () => {
    const t = worker();
    const p = fakePort();
    t.w.command({ kind: 'playout-port', port: p.port as unknown as MessagePort, ring: null });
    t.w.command({ kind: 'playout-state', state: { gate: 'on', asleep: false } });
    t.w.receive(PlaybackMsg.START, new Uint8Array(3));
    expect(t.fromWorker.find((m) => m.kind === 'playback-problem')).toMatchObject({ message: expect.stringMatching(/^sound: /) });
    t.w.receive(PlaybackMsg.START, startBody({ time: 1 }));
    t.w.reset();
    expect(p.posted.at(-1)).toEqual({ type: 'stop' });
    expect((t.stats().at(-1) as Extract<PlaybackFromWorker, { kind: 'playback-stats' }>).stats).toMatchObject({ errors: 1, stream: null, mode: null });
  });

  it('decodes on the page\'s side of WebCodecs once the worklet says it cannot, and says so', () => {
    const t = worker();
    t.w.command({ kind: 'playback-worklet', report: 'opus-unavailable', why: 'no WebAssembly' });
    expect(t.fromWorker.find((m) => m.kind === 'playback-problem')).toMatchObject({ message: expect.stringContaining('no WebAssembly') });
    expect((t.stats().at(-1) as Extract<PlaybackFromWorker, { kind: 'playback-stats' }>).stats.opusDecoding).toBe('page');
  });
});

describe('WorkerPlaybackProxy (the page side)', () => {
  it('asks the worker to play here, passes the controls on, and adds the worklet\'s own counts to the worker\'s numbers', () => {
    const sent: PlaybackToWorker[] = [];
    const proxy = new WorkerPlaybackProxy((m) => sent.push(m), 'worklet');
    expect(sent).toEqual([{ kind: 'playback-here', opusDecoding: 'worklet' }]);
    proxy.setLocal(0.25, true);
    proxy.workletUnavailable('why');
    expect(sent.slice(1)).toEqual([
      { kind: 'playback-local', volume: 0.25, muted: true },
      { kind: 'playback-worklet', report: 'opus-unavailable', why: 'why' },
    ]);
    expect(proxy.playing).toBe(false);
    proxy.update({ packets: 10, decoded: 1, dropped: 0, errors: 0, starts: 1, restamped: 0, opusDecoding: 'worklet', mode: 'opus', stream: { channels: 2, frequency: 48000 }, guest: { volume: null, muted: false }, serverLatencyMs: null, route: 'worker-port' });
    proxy.workletCounts({ decoded: 9, errors: 1, dropped: 2 });
    expect(proxy.playing).toBe(true);
    expect(proxy.stats).toMatchObject({ packets: 10, decoded: 10, errors: 1, dropped: 2 });
  });

  it('ends the sound on the host messages that end a session', () => {
    expect(endsSound({ kind: 'display-reset' })).toBe(true);
    expect(endsSound({ kind: 'status', status: { state: 'reconnecting', where: 'h:1', attempt: 1, delayMs: 100 } } as never)).toBe(true);
    expect(endsSound({ kind: 'status', status: { state: 'connecting', where: 'h:1' } })).toBe(false);
  });
});
