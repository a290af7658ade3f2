import { describe, expect, it } from 'vitest';
import { ByteQueue } from '../../../src/protocol/wire/byte-queue.ts';
import { MemoryBudget, MemoryLimitError } from '../../../src/protocol/wire/memory-budget.ts';
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

describe('ByteQueue large reads', () => {
  const bytes = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

  it('assembles a read larger than its chunks while they arrive, leaving the rest queued', async () => {
    const t = new MemoryTransport();
    const q = new ByteQueue(t, 'display');
    const all = bytes(300_000, 7);
    t.feed(all.subarray(0, 1000)); // already buffered when the read starts
    const pending = q.read(200_000);
    let resolved = false;
    void pending.then(() => (resolved = true));
    t.feed(all.subarray(1000, 70_000));
    t.feed(all.subarray(70_000, 199_999));
    await Promise.resolve();
    expect(resolved).toBe(false);
    t.feed(all.subarray(199_999, 250_000)); // completes it and carries the next message's start
    const got = await pending;
    expect(got.byteLength).toBe(200_000);
    expect(Buffer.from(got).equals(Buffer.from(all.subarray(0, 200_000)))).toBe(true);
    expect(q.available).toBe(50_000);
    const next = await q.read(50_000);
    expect(Buffer.from(next).equals(Buffer.from(all.subarray(200_000, 250_000)))).toBe(true);
  });

  it('a large read cut short by the end of the connection leaves every byte readable', async () => {
    const t = new MemoryTransport();
    const q = new ByteQueue(t, 'display');
    const all = bytes(100_000, 3);
    const pending = q.read(150_000);
    t.feed(all.subarray(0, 40_000));
    t.feed(all.subarray(40_000));
    t.end();
    await expect(pending).rejects.toThrow(/closed the display connection/);
    expect(q.available).toBe(100_000);
    const back = await q.read(100_000);
    expect(Buffer.from(back).equals(Buffer.from(all))).toBe(true);
  });

  it('tryRead does not take bytes a pending read is waiting for', async () => {
    const t = new MemoryTransport();
    const q = new ByteQueue(t, 'x');
    const pending = q.read(70_000);
    t.feed(bytes(10, 1));
    expect(q.tryRead(5)).toBeNull();
    t.feed(bytes(69_990, 2));
    expect((await pending).byteLength).toBe(70_000);
  });
});

describe('ByteQueue.peek', () => {
  it('copies the first buffered bytes across chunks without taking them', async () => {
    const t = new MemoryTransport();
    const q = new ByteQueue(t, 'x');
    t.feed(new Uint8Array([1, 2, 3]));
    t.feed(new Uint8Array([4, 5]));
    expect(Array.from(q.tryRead(1)!)).toEqual([1]);
    expect(Array.from(q.peek(3))).toEqual([2, 3, 4]);
    expect(Array.from(q.peek(100))).toEqual([2, 3, 4, 5]);
    expect(Array.from(await q.read(4))).toEqual([2, 3, 4, 5]);
    expect(q.peek(10).byteLength).toBe(0);
  });

});

describe('ByteQueue with a memory budget', () => {
  it('charges the bytes it holds and gives them back as they are read', async () => {
    const t = new MemoryTransport();
    const budget = new MemoryBudget(1024 * 1024);
    const q = new ByteQueue(t, 'display channel', budget);
    t.feed(new Uint8Array(100));
    t.feed(new Uint8Array(50));
    expect(budget.usedFor('incoming messages')).toBe(150);
    q.tryRead(100);
    expect(budget.usedFor('incoming messages')).toBe(50);
    await q.read(50);
    expect(budget.used).toBe(0);
  });

  it('charges a large message before allocating its buffer, and refuses one over the budget', async () => {
    const t = new MemoryTransport();
    const budget = new MemoryBudget(16 * 1024 * 1024);
    const q = new ByteQueue(t, 'display channel', budget);
    const read = q.read(8 * 1024 * 1024);
    expect(budget.usedFor('incoming messages')).toBe(8 * 1024 * 1024);
    t.feed(new Uint8Array(8 * 1024 * 1024));
    expect((await read).byteLength).toBe(8 * 1024 * 1024);
    expect(budget.used).toBe(0);
    // 128 MiB announced: refused at once, nothing allocated or charged.
    await expect(q.read(128 * 1024 * 1024)).rejects.toThrow(
      /^the server asked for a message of 128 MiB on the display channel \(128 MiB\), which would take this session to 128 MiB of its 16 MiB memory limit/,
    );
    expect(budget.used).toBe(0);
  });

  it('ends the queue when a peer that is not read keeps sending past the budget', async () => {
    const t = new MemoryTransport();
    const budget = new MemoryBudget(1024 * 1024);
    const q = new ByteQueue(t, 'cursor channel', budget);
    for (let i = 0; i < 20; i++) t.feed(new Uint8Array(64 * 1024)); // 1.25 MiB, no one reading
    expect(budget.exceeded).toBeInstanceOf(MemoryLimitError);
    expect(budget.exceeded!.message).toMatch(/^the server asked for room for more data on the cursor channel, where 1 MiB waited to be read \(64 KiB\), which would take this session to 1.06 MiB of its 1 MiB memory limit/);
    expect(q.available).toBeLessThanOrEqual(1024 * 1024);
    q.dispose();
    expect(budget.used).toBe(0);
    // What is read now fails with why the queue ended.
    await expect(q.read(1)).rejects.toBeInstanceOf(MemoryLimitError);
  });
});
