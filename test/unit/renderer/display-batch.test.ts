import { describe, expect, it } from 'vitest';
import { forEachDisplayItem, packDisplayBatch } from '../../../src/renderer/display-batch.ts';

describe('display batches for the decode worker', () => {
  it('carries each item as a row of numbers into its buffer, and back, in order', () => {
    const packet = new Uint8Array(64).map((_, i) => i);
    const other = new Uint8Array([200, 201, 202]);
    const items = [
      { channelId: 0, type: 302, serial: 1n, body: packet.subarray(10, 20) },
      { channelId: 1, type: 304, serial: 0x1_0000_0002n, body: other.subarray(1) },
      { channelId: 0, type: 305, serial: 0xffff_ffff_ffff_ffffn, body: packet.subarray(40, 40) },
    ];
    const batch = packDisplayBatch(items);
    expect(batch.buffers).toEqual([packet.buffer, other.buffer]);
    expect(Array.from(batch.table)).toEqual([0, 0, 302, 10, 10, 1, 0, 1, 1, 304, 1, 2, 2, 1, 0, 0, 305, 40, 0, 0xffffffff, 0xffffffff]);
    const out: unknown[] = [];
    forEachDisplayItem(batch, (channelId, type, body, serial) => out.push([channelId, type, Array.from(body), serial]));
    expect(out).toEqual([
      [0, 302, [10, 11, 12, 13, 14, 15, 16, 17, 18, 19], 1n],
      [1, 304, [201, 202], 0x1_0000_0002n],
      [0, 305, [], 0xffff_ffff_ffff_ffffn],
    ]);
  });

  it('refuses a table that points outside its buffers', () => {
    const batch = packDisplayBatch([{ channelId: 0, type: 302, serial: 1n, body: new Uint8Array(8).subarray(2, 6) }]);
    batch.table[4] = 7; // length past the end
    expect(() => forEachDisplayItem(batch, () => undefined)).toThrow(/outside its buffer/);
    batch.table[0] = 3; // no such buffer
    expect(() => forEachDisplayItem(batch, () => undefined)).toThrow(/outside its buffer/);
    expect(() => forEachDisplayItem({ buffers: [], table: new Uint32Array(5) }, () => undefined)).toThrow(/not rows of 7/);
  });
});
