import { describe, expect, it } from 'vitest';
import { PendingBytes } from '../../../src/renderer/pending-bytes.ts';

const joined = (chunks: Uint8Array[]): number[] => chunks.flatMap((c) => [...c]);

describe('bytes kept until their consumer exists', () => {
  it('keeps copies in order, and is empty once taken', () => {
    const p = new PendingBytes(10);
    const reused = Uint8Array.of(1, 2, 3);
    p.push(reused);
    reused.fill(9);
    p.push(new Uint8Array(0));
    p.push(Uint8Array.of(4));
    expect(p.size).toBe(4);
    expect(joined(p.take())).toEqual([1, 2, 3, 4]);
    expect(p.size).toBe(0);
    expect(p.take()).toEqual([]);
  });

  it('drops the oldest bytes past its limit, part of a chunk too', () => {
    const p = new PendingBytes(5);
    p.push(Uint8Array.of(1, 2, 3));
    p.push(Uint8Array.of(4, 5, 6));
    expect(p.size).toBe(5);
    expect(joined(p.take())).toEqual([2, 3, 4, 5, 6]);
    p.push(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
    expect(joined(p.take())).toEqual([4, 5, 6, 7, 8]);
  });
});
