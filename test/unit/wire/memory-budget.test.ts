// The session's memory budget: what it charges and releases, the sentence a server over it gets,
// that it trips once (and stays tripped), and the sizes --memory-limit accepts.
import { describe, expect, it } from 'vitest';
import { formatBytes, MemoryBudget, MemoryLimitError, parseByteSize } from '../../../src/protocol/wire/memory-budget.ts';
import { isSpiceError } from '../../../src/protocol/wire/errors.ts';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

describe('MemoryBudget', () => {
  it('charges and releases by use, never below zero', () => {
    const b = new MemoryBudget(100 * MiB);
    b.charge('surfaces', 30 * MiB, () => 'surface 1');
    b.charge('image cache', 10 * MiB, () => 'image 1');
    expect(b.used).toBe(40 * MiB);
    expect(b.usedFor('surfaces')).toBe(30 * MiB);
    b.release('surfaces', 30 * MiB);
    b.release('image cache', 50 * MiB); // more than was charged: only what was
    expect(b.used).toBe(0);
    expect(b.usedFor('image cache')).toBe(0);
  });

  it('refuses what would go past the limit with a sentence naming what was asked and the totals', () => {
    const b = new MemoryBudget(GiB);
    for (let i = 0; i < 3; i++) b.charge('surfaces', 256 * MiB, () => `surface ${i}`);
    b.charge('incoming messages', 16 * MiB, () => 'bytes');
    let error: unknown;
    try {
      b.charge('surfaces', 256 * MiB, () => 'surface 7 of 8192x8192');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MemoryLimitError);
    const e = error as MemoryLimitError;
    expect(e.kind).toBe('protocol');
    expect(isSpiceError(e)).toBe(true);
    expect(e.message).toBe(
      'the server asked for surface 7 of 8192x8192 (256 MiB), which would take this session to 1.02 GiB of its 1 GiB memory limit ' +
        '(held now: surfaces 768 MiB, incoming messages 16 MiB)',
    );
    // Nothing of the refused charge was taken.
    expect(b.used).toBe(784 * MiB);
  });

  it('says "just over" when the total, rounded, would read as the limit itself', () => {
    const b = new MemoryBudget(4 * MiB);
    b.charge('surfaces', 4 * MiB - 100, () => 'a');
    expect(() => b.charge('incoming messages', 549, () => 'b')).toThrow(/^the server asked for b \(549 bytes\), which would take this session to just over 4 MiB of its 4 MiB memory limit/);
  });

  it('trips once: the listener hears the first refusal, and every later charge fails too', () => {
    const b = new MemoryBudget(10 * MiB);
    const heard: MemoryLimitError[] = [];
    b.onExceeded((e) => heard.push(e));
    expect(b.tryCharge('surfaces', 20 * MiB, () => 'a')).toBeInstanceOf(MemoryLimitError);
    // Even a small charge fails now: the session is ending.
    expect(b.tryCharge('palette cache', 1024, () => 'b')).toBe(b.exceeded);
    expect(heard).toHaveLength(1);
    expect(heard[0].message).toMatch(/^the server asked for a \(20 MiB\)/);
  });

  it('rearmed for a new session, it takes charges again and reports the next refusal', () => {
    const b = new MemoryBudget(10 * MiB);
    const heard: string[] = [];
    b.onExceeded((e) => heard.push(e.message));
    b.tryCharge('cursor cache', 20 * MiB, () => 'a');
    b.rearm();
    expect(b.exceeded).toBeNull();
    expect(b.tryCharge('cursor cache', MiB, () => 'b')).toBeNull();
    b.tryCharge('cursor cache', 20 * MiB, () => 'c');
    expect(heard.map((m) => m.slice(0, 22))).toEqual(['the server asked for a', 'the server asked for c']);
  });

  it('formats sizes in binary units', () => {
    expect(formatBytes(100)).toBe('100 bytes');
    expect(formatBytes(12 * 1024)).toBe('12 KiB');
    expect(formatBytes(256 * MiB)).toBe('256 MiB');
    expect(formatBytes(GiB + 20 * MiB)).toBe('1.02 GiB');
  });

  it('reads the sizes --memory-limit takes, and nothing else', () => {
    expect(parseByteSize('512M')).toBe(512 * MiB);
    expect(parseByteSize('1g')).toBe(GiB);
    expect(parseByteSize('1536MiB')).toBe(1536 * MiB);
    expect(parseByteSize('2GB')).toBe(2 * GiB);
    expect(parseByteSize('4096')).toBe(4096);
    for (const bad of ['', 'M', '1.5G', '-1G', '1X', '1 G B', '99999999999999999T', 'toString', '__proto__']) expect(parseByteSize(bad)).toBeNull();
  });
});
