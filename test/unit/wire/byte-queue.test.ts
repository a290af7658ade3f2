import { describe, expect, it } from 'vitest';
import { ByteQueue } from '../../../src/protocol/wire/byte-queue.ts';
import { MemoryTransport } from '../../helpers/memory-transport.ts';

describe('ByteQueue', () => {
  it('assembles exact reads across chunk boundaries', async () => {
    const t = new MemoryTransport();
    const q = new ByteQueue(t, 'test');
    const pending = q.read(5);
    t.feed(new Uint8Array([1, 2]));
    t.feed(new Uint8Array([3, 4, 5, 6]));
    expect(Array.from(await pending)).toEqual([1, 2, 3, 4, 5]);
    expect(q.available).toBe(1);
    expect(q.tryRead(2)).toBeNull();
    expect(Array.from(q.tryRead(1)!)).toEqual([6]);
  });

  it('rejects a pending read when the connection ends', async () => {
    const t = new MemoryTransport();
    const q = new ByteQueue(t, 'main channel');
    const pending = q.read(4);
    t.feed(new Uint8Array([1]));
    t.end();
    await expect(pending).rejects.toThrow(/closed the main channel connection/);
    expect(Array.from(await q.read(1))).toEqual([1]); // buffered bytes stay readable
    await expect(q.read(1)).rejects.toThrow(/closed/);
  });

  it('passes the transport error through', async () => {
    const t = new MemoryTransport();
    const q = new ByteQueue(t, 'x');
    const pending = q.read(1);
    t.end(new Error('reset by peer'));
    await expect(pending).rejects.toThrow('reset by peer');
  });
});
