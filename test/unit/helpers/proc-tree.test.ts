// threadsOf reads a process's threads from /proc (the benches' CPU by thread).
import { describe, expect, it } from 'vitest';
import { threadsOf } from '../../helpers/proc-tree.ts';

describe('threadsOf', () => {
  it('lists this process\'s threads with their names and CPU ticks, and nothing for a process that is gone', () => {
    const threads = threadsOf(process.pid);
    const main = threads.find((t) => t.tid === String(process.pid));
    expect(main).toBeDefined();
    expect(main!.comm.length).toBeGreaterThan(0);
    expect(Number.isInteger(main!.ticks) && main!.ticks >= 0).toBe(true);
    // Pids stop at 2^22 on Linux: this one never exists.
    expect(threadsOf(4_194_305)).toEqual([]);
  });
});
