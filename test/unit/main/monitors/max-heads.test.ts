// How many heads the views may show, from each display channel's MONITORS_CONFIG max_allowed.
import { describe, expect, it } from 'vitest';
import { maxHeadsOf } from '../../../../src/main/monitors/head-group.ts';

describe('maxHeadsOf', () => {
  it('takes one channel with several heads at its max_allowed (Xspice --numheads 2)', () => {
    expect(maxHeadsOf(new Map([[0, 2]]))).toBe(2);
  });

  it('counts one head per channel when each allows one (QEMU with a display channel per output)', () => {
    expect(maxHeadsOf(new Map([[0, 1], [1, 1]]))).toBe(2);
    // Channel 1's MONITORS_CONFIG first, then channel 0's max_allowed of 1 must not take head 2 away.
    expect(maxHeadsOf(new Map([[1, 1], [0, 1]]))).toBe(2);
    expect(maxHeadsOf(new Map([[0, 1], [2, 1]]))).toBe(3);
  });

  it('is at least 1 and at most 4', () => {
    expect(maxHeadsOf(new Map())).toBe(1);
    expect(maxHeadsOf(new Map([[0, 0]]))).toBe(1);
    expect(maxHeadsOf(new Map([[0, 16]]))).toBe(4);
    expect(maxHeadsOf(new Map([[3, 4]]))).toBe(4);
  });
});
