import { afterEach, describe, expect, it, vi } from 'vitest';
import { READ_BUFFER_BYTES, ReadBufferPool, takeSentHook } from '../../../../src/main/webdav/read-buffers.ts';

afterEach(() => vi.useRealTimers());

describe('the GET read buffers', () => {
  it('gives a buffer back only through its sent hook, taken once, and reads into it again', () => {
    const pool = new ReadBufferPool();
    const a = pool.take();
    expect(a.byteLength).toBe(READ_BUFFER_BYTES);
    // Its own memory, never Node's shared pool (a hook is keyed by the memory).
    expect(a.buffer.byteLength).toBe(READ_BUFFER_BYTES);
    pool.lend(a);
    // Not given back yet: the next read gets another buffer.
    const b = pool.take();
    expect(b).not.toBe(a);
    const hook = takeSentHook(a.subarray(0, 100));
    expect(hook).toBeTypeOf('function');
    expect(takeSentHook(a)).toBeUndefined();
    hook!();
    expect(pool.take()).toBe(a);
    expect(pool.counts).toEqual({ made: 2, reused: 1 });
  });

  it('has no hook for bytes that are not a lent buffer', () => {
    expect(takeSentHook(Buffer.from('HTTP/1.1 200 OK\r\n'))).toBeUndefined();
  });

  it('keeps at most 4 buffers, and none once idle', () => {
    vi.useFakeTimers();
    const pool = new ReadBufferPool();
    const lent = Array.from({ length: 6 }, () => pool.take());
    for (const b of lent) pool.lend(b);
    for (const b of lent) takeSentHook(b)!();
    const again = Array.from({ length: 5 }, () => pool.take());
    expect(again.filter((b) => lent.includes(b))).toHaveLength(4);
    for (const b of again) pool.lend(b);
    for (const b of again) takeSentHook(b)!();
    vi.advanceTimersByTime(31_000);
    expect(lent.concat(again)).not.toContain(pool.take());
  });
});
