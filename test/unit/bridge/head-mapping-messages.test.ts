import { describe, expect, it } from 'vitest';
import { decodeHostMessage, encodeHostMessage } from '../../../src/protocol/bridge/host-codec.ts';

describe('HEAD_MAPPING bridge message', () => {
  it('round-trips the mapping and where it came from, as kind 0x22', () => {
    const given = { kind: 'head-mapping' as const, source: 'given' as const, mapping: [1, 0] };
    const bytes = encodeHostMessage(given);
    expect([...bytes]).toEqual([0x22, 1, 2, 1, 0]);
    expect(decodeHostMessage(bytes)).toEqual(given);
    expect(decodeHostMessage(encodeHostMessage({ kind: 'head-mapping', source: 'remembered', mapping: [2] }))).toEqual({ kind: 'head-mapping', source: 'remembered', mapping: [2] });
    expect(decodeHostMessage(encodeHostMessage({ kind: 'head-mapping', source: 'none', mapping: [] }))).toEqual({ kind: 'head-mapping', source: 'none', mapping: [] });
  });

  it('refuses malformed ones, naming the field', () => {
    const m = (...b: number[]) => () => decodeHostMessage(Uint8Array.from(b));
    expect(m(0x22, 3, 0)).toThrow(/source is 3/);
    expect(m(0x22, 1, 0)).toThrow(/head count is 0, outside 1\.\.4/);
    expect(m(0x22, 0, 1, 0)).toThrow(/head count is 1, outside 0\.\.0/);
    expect(m(0x22, 1, 5, 0, 1, 2, 3, 4)).toThrow(/head count is 5/);
    expect(m(0x22, 1, 2, 0, 0)).toThrow(/monitor 1 is named twice/);
    expect(m(0x22, 1, 1, 64)).toThrow(/monitor is 64, outside 0\.\.63/);
    expect(m(0x22, 1, 2, 0)).toThrow(/needs 1 bytes/);
    expect(m(0x22, 1, 1, 0, 9)).toThrow(/unexpected bytes/);
  });
});
