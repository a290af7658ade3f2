import { describe, expect, it } from 'vitest';
import { adoptDecodeWorker, startEarlyWorker, type PageGlobals } from '../../../src/renderer/early-worker.ts';

/** A Worker that records how it was made and lets the test fire its events. */
class FakeWorker extends EventTarget {
  static made: FakeWorker[] = [];
  onmessage: ((e: MessageEvent) => void) | null = null;
  constructor(
    readonly url: string,
    readonly options: WorkerOptions,
  ) {
    super();
    FakeWorker.made.push(this);
  }
  say(data: unknown): void {
    const e = new MessageEvent('message', { data });
    this.dispatchEvent(e);
    this.onmessage?.(e);
  }
  fail(): void {
    this.dispatchEvent(new Event('error'));
  }
}

function page(): PageGlobals {
  FakeWorker.made = [];
  return { Worker: FakeWorker as unknown as typeof Worker };
}

describe('the decode worker started by boot.js', () => {
  it('is started once, holds what the worker says until adopted, and is adopted once', () => {
    const w = page();
    startEarlyWorker(w);
    startEarlyWorker(w);
    expect(FakeWorker.made).toHaveLength(1);
    expect(FakeWorker.made[0].url).toBe('decode-worker.js');
    expect(FakeWorker.made[0].options.type).toBe('module');
    FakeWorker.made[0].say({ kind: 'start-mark', name: 'worker-start', epochMs: 1 });
    FakeWorker.made[0].say({ kind: 'start-mark', name: 'wasm-ready', epochMs: 2 });

    const first = adoptDecodeWorker(w);
    expect(first.worker).toBe(FakeWorker.made[0]);
    expect(first.early).toBe(true);
    expect(first.held).toEqual([
      { kind: 'message', data: { kind: 'start-mark', name: 'worker-start', epochMs: 1 } },
      { kind: 'message', data: { kind: 'start-mark', name: 'wasm-ready', epochMs: 2 } },
    ]);
    // After adoption nothing more is held: the adopter's own handlers get it.
    FakeWorker.made[0].say({ kind: 'late' });
    expect(first.held).toHaveLength(2);

    // A second display view gets a worker of its own.
    const second = adoptDecodeWorker(w);
    expect(second.worker).not.toBe(first.worker);
    expect(second.held).toEqual([]);
    expect(second.early).toBe(false);
    expect(FakeWorker.made).toHaveLength(2);
  });

  it('holds a failed start (a plain error Event) as an error with a sentence', () => {
    const w = page();
    startEarlyWorker(w);
    FakeWorker.made[0].fail();
    expect(adoptDecodeWorker(w).held).toEqual([{ kind: 'error', message: 'the decode worker failed to start' }]);
  });

  it('starts a worker when no boot script ran', () => {
    const w = page();
    const { worker, held } = adoptDecodeWorker(w);
    expect(worker).toBe(FakeWorker.made[0]);
    expect(held).toEqual([]);
  });
});
