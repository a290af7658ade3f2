import { describe, expect, it } from 'vitest';
import { formatMonitorMapping, parseMonitorMapping, resolveMapping } from '../../../src/protocol/monitors/monitor-mapping.ts';

describe('monitor mapping (virt-viewer notation)', () => {
  it('parses head:monitor pairs, 1-based, into 0-based monitors by head', () => {
    expect(parseMonitorMapping('1:2;2:1')).toEqual([1, 0]);
    expect(parseMonitorMapping('2:3;1:1;')).toEqual([0, 2]);
    expect(parseMonitorMapping(' 1:1 ')).toEqual([0]);
  });

  it('refuses what virt-viewer refuses, naming the problem', () => {
    expect(() => parseMonitorMapping('')).toThrow(/empty/);
    expect(() => parseMonitorMapping('1:1;1:2')).toThrow(/guest head 1 is mapped twice/);
    expect(() => parseMonitorMapping('1:1;2:1')).toThrow(/client monitor 1 is used twice/);
    expect(() => parseMonitorMapping('1:1;3:2')).toThrow(/guest head 2 is missing/);
    expect(() => parseMonitorMapping('3:3')).toThrow(/guest head 1 is missing/);
    expect(() => parseMonitorMapping('0:1')).toThrow(/outside 1\.\.4/);
    expect(() => parseMonitorMapping('1:0')).toThrow(/client monitor 0/);
    expect(() => parseMonitorMapping('1-2')).toThrow(/"1-2" is not GUEST-HEAD:CLIENT-MONITOR/);
    expect(() => parseMonitorMapping('1:+2')).toThrow(/usage|not GUEST-HEAD/);
    expect(() => parseMonitorMapping('5:1')).toThrow(/outside 1\.\.4/);
  });

  it('formats back to the stored notation', () => {
    expect(formatMonitorMapping([1, 0, 2])).toBe('1:2;2:1;3:3');
    expect(formatMonitorMapping(parseMonitorMapping('1:2;2:3'))).toBe('1:2;2:3');
  });

  it('falls back to one head per monitor when a monitor is missing, and says so', () => {
    expect(resolveMapping([1, 0], 2)).toEqual({ mapping: [1, 0], source: 'given' });
    const r = resolveMapping([1], 1);
    expect(r.mapping).toEqual([0]);
    expect(r.source).toBe('default');
    expect(r.problem).toMatch(/names client monitor 2, but this client has 1/);
    expect(resolveMapping(null, 6)).toEqual({ mapping: [0, 1, 2, 3], source: 'default' });
  });
});
