// The page's sound output (AudioOutput) with a fake AudioContext and worklet node: once the
// playout has reported idle for IDLE_SUSPEND_MS and no microphone is open, the context is
// suspended with the gate still on; the next START resumes it; an open microphone keeps it
// running; a browser that will not resume without a gesture makes the gate wait for one.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AudioOutput, IDLE_SUSPEND_MS, type PlayoutLinkState, type SoundGate } from '../../../../src/renderer/audio/audio-output.ts';
import type { FromPlayout } from '../../../../src/renderer/audio/worklet-messages.ts';
import type { PlayoutStats } from '../../../../src/renderer/audio/playout.ts';

class FakeContext {
  static last: FakeContext | null = null;
  static resumeAllowed = true;
  state: 'running' | 'suspended' | 'closed' = 'suspended';
  onstatechange: (() => void) | null = null;
  suspends = 0;
  readonly audioWorklet = { addModule: () => Promise.resolve() };
  readonly destination = {};
  constructor() {
    FakeContext.last = this;
  }
  private set(state: FakeContext['state']): void {
    this.state = state;
    this.onstatechange?.();
  }
  resume(): Promise<void> {
    if (!FakeContext.resumeAllowed) return new Promise(() => {});
    return Promise.resolve().then(() => this.set('running'));
  }
  suspend(): Promise<void> {
    this.suspends++;
    return Promise.resolve().then(() => this.set('suspended'));
  }
}

class FakeNode {
  static last: FakeNode | null = null;
  readonly posted: unknown[] = [];
  readonly port = { onmessage: null as ((e: { data: FromPlayout }) => void) | null, postMessage: (m: unknown) => this.posted.push(m) };
  constructor() {
    FakeNode.last = this;
  }
  connect(): void {}
}

const stats = (state: PlayoutStats['state']): PlayoutStats => ({ state, levelMs: 0, targetMs: 80, floorMs: 0, correction: 0, underruns: 0, skips: 0, quietSkips: 0, skippedFrames: 0, droppedFrames: 0, framesIn: 0, framesOut: 0 });

describe('AudioOutput suspends an idle context', () => {
  const g = globalThis as unknown as Record<string, unknown>;
  const saved = { AudioContext: g.AudioContext, AudioWorkletNode: g.AudioWorkletNode };
  let now = 0;
  let gates: SoundGate[] = [];
  const fakeWindow = { location: { href: 'http://127.0.0.1/' }, addEventListener() {}, removeEventListener() {} } as unknown as Window;

  beforeEach(() => {
    vi.useFakeTimers();
    g.AudioContext = FakeContext;
    g.AudioWorkletNode = FakeNode;
    FakeContext.resumeAllowed = true;
    now = 0;
    gates = [];
  });
  afterEach(() => {
    vi.useRealTimers();
    g.AudioContext = saved.AudioContext;
    g.AudioWorkletNode = saved.AudioWorkletNode;
  });

  async function started(): Promise<{ output: AudioOutput; ctx: FakeContext; node: FakeNode; report(state: PlayoutStats['state']): void }> {
    const output = new AudioOutput({ gate: (s) => gates.push(s), position: () => {}, tap: () => {} }, fakeWindow, () => now);
    output.post({ type: 'start', rate: 48000 });
    await vi.advanceTimersByTimeAsync(0);
    const ctx = FakeContext.last!;
    const node = FakeNode.last!;
    expect(output.gate).toBe('on');
    const report = (state: PlayoutStats['state']): void => node.port.onmessage!({ data: { type: 'position', position: null, contextTime: 0, stats: stats(state), output: { lostMs: 0, longestMs: 0 }, opus: { decoded: 0, errors: 0, dropped: 0 } } });
    return { output, ctx, node, report };
  }

  it('suspends after the playout was idle long enough, keeps the gate on, and resumes with the next START', async () => {
    const { output, ctx, node, report } = await started();
    gates = [];
    report('playing');
    report('idle');
    now += IDLE_SUSPEND_MS - 1;
    report('idle');
    expect(ctx.suspends).toBe(0);
    // Playing again in between starts the wait over.
    report('buffering');
    report('idle');
    now += IDLE_SUSPEND_MS - 1;
    report('idle');
    expect(ctx.suspends).toBe(0);
    now += 2;
    report('idle');
    await vi.advanceTimersByTimeAsync(0);
    expect(ctx.suspends).toBe(1);
    expect(ctx.state).toBe('suspended');
    expect(output.sleeping).toBe(true);
    expect(output.gate).toBe('on');
    expect(gates).not.toContain('waiting');

    output.post({ type: 'start', rate: 48000 });
    await vi.advanceTimersByTimeAsync(0);
    expect(ctx.state).toBe('running');
    expect(output.sleeping).toBe(false);
    expect(node.posted.at(-1)).toEqual({ type: 'start', rate: 48000 });
    await vi.advanceTimersByTimeAsync(2000);
    expect(output.gate).toBe('on');
    expect(gates).not.toContain('waiting');
  });

  it('never suspends while the microphone is open', async () => {
    const { output, ctx, report } = await started();
    output.setMicrophoneOpen(true);
    report('idle');
    now += 2 * IDLE_SUSPEND_MS;
    report('idle');
    await vi.advanceTimersByTimeAsync(0);
    expect(ctx.suspends).toBe(0);
    output.setMicrophoneOpen(false);
    report('idle');
    now += IDLE_SUSPEND_MS + 1;
    report('idle');
    await vi.advanceTimersByTimeAsync(0);
    expect(ctx.suspends).toBe(1);
  });

  it('waits for a gesture when the browser will not resume without one', async () => {
    const { output, ctx, report } = await started();
    report('idle');
    now += IDLE_SUSPEND_MS + 1;
    report('idle');
    await vi.advanceTimersByTimeAsync(0);
    expect(ctx.state).toBe('suspended');
    FakeContext.resumeAllowed = false;
    output.post({ type: 'start', rate: 48000 });
    await vi.advanceTimersByTimeAsync(2000);
    expect(output.gate).toBe('waiting');
  });

  it("gives the decode worker a port into the worklet and follows its gate and sleep; the worker's sound opens and wakes it (want)", async () => {
    const ports: MessagePort[] = [];
    const links: PlayoutLinkState[] = [];
    const output = new AudioOutput({ gate: () => {}, position: () => {}, tap: () => {}, playoutPort: (p) => ports.push(p), link: (l) => links.push(l) }, fakeWindow, () => now);
    expect(links).toEqual([]);
    output.want();
    await vi.advanceTimersByTimeAsync(0);
    const ctx = FakeContext.last!;
    const node = FakeNode.last!;
    // The worklet got the other end of the worker's port.
    expect(ports).toHaveLength(1);
    expect(node.posted[0]).toMatchObject({ type: 'port' });
    expect((node.posted[0] as { port: unknown }).port).not.toBe(ports[0]);
    // The fake context starts suspended, as a browser's does, until its resume().
    expect(links.map((l) => l.gate)).toEqual(['starting', 'waiting', 'on']);
    const report = (state: PlayoutStats['state']): void => node.port.onmessage!({ data: { type: 'position', position: null, contextTime: 0, stats: stats(state), output: { lostMs: 0, longestMs: 0 }, opus: { decoded: 0, errors: 0, dropped: 0 } } });
    report('idle');
    now += IDLE_SUSPEND_MS + 1;
    report('idle');
    await vi.advanceTimersByTimeAsync(0);
    expect(links.at(-1)).toEqual({ gate: 'on', asleep: true });
    output.want();
    await vi.advanceTimersByTimeAsync(0);
    expect(ctx.state).toBe('running');
    expect(links.at(-1)).toEqual({ gate: 'on', asleep: false });
    for (const p of ports) p.close();
    (node.posted[0] as { port: MessagePort }).port.close();
  });
});
