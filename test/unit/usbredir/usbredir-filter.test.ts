import { describe, expect, it } from 'vitest';
import {
  checkUsbredirFilter, parseUsbredirFilter, UsbredirFilterError, UsbredirFilterFlag, usbredirFilterToString,
  type UsbredirFilterDevice,
} from '../../../src/protocol/usbredir/usbredir-filter.ts';

// The cases of usbredir's tests/filter.c (string -> rules -> string), re-stated: name, filter,
// separators, expected rule count (or 'EINVAL'), and the serialised form when it differs.
const parseCases: [string, string, string | undefined, string | undefined, number | 'EINVAL', string?][] = [
  ['empty filter', '', undefined, undefined, 0],
  ['separators only', '|||', undefined, undefined, 0, ''],
  ['one rule', '0x03,-1,-1,-1,0', undefined, undefined, 1],
  ['two rules', '0x03,-1,-1,-1,0|-1,-1,-1,-1,1', undefined, undefined, 2],
  ['ignore trailing rule_sep', '|0x03,-1,-1,-1,0|-1,-1,-1,-1,1|', undefined, undefined, 2, '0x03,-1,-1,-1,0|-1,-1,-1,-1,1'],
  ['ignores empty rules', '0x03,-1,-1,-1,0|||-1,-1,-1,-1,1', undefined, undefined, 2, '0x03,-1,-1,-1,0|-1,-1,-1,-1,1'],
  ['several trailing rule_sep and empty rules', '||||0x03,-1,-1,-1,0|||-1,-1,-1,-1,1||||', undefined, undefined, 2, '0x03,-1,-1,-1,0|-1,-1,-1,-1,1'],
  ['change rule separator using multiple characters', '0x03,-1,-1,-1,0', ',;', ' \t\n', 1],
  ['mix of different separators', '\t 0x03,-1;-1;-1,0\n\n', ',;', ' \t\n', 1, '0x03,-1,-1,-1,0'],
  ['multiple rules, separators not the first character', '\n\t0x03;-1,-1,-1,0\n\n-1,-1,-1;-1;1', ',;', ' \t\n', 2, '0x03,-1,-1,-1,0 -1,-1,-1,-1,1'],
  ['upper limit on class', '0x100,-1,-1,-1,0', undefined, undefined, 'EINVAL'],
  ['lower limit on class', '-2,-1,-1,-1,0', undefined, undefined, 'EINVAL'],
  ['upper limit on vendor', '0x03,,0x10000-1,-1,0', undefined, undefined, 'EINVAL'],
  ['lower limit on vendor', '0x03,-2,-1,-1,0', undefined, undefined, 'EINVAL'],
  ['upper limit on product', '0x03,-1,0x10000-1,,0', undefined, undefined, 'EINVAL'],
  ['lower limit on product', '0x03,-1,-2,-1,0', undefined, undefined, 'EINVAL'],
  ['upper limit on bcd', '0x03,-1,-1,0x10000,0', undefined, undefined, 'EINVAL'],
  ['lower limit on bcd', '0x03,-1,-1,-2,0', undefined, undefined, 'EINVAL'],
  ['extra argument', '0x03,-1,-1,-1,0,1', undefined, undefined, 'EINVAL'],
  ['missing argument', '0x03,-1,-1,-1', undefined, undefined, 'EINVAL'],
  ['missing value in argument', '0x03,-1,-1,,-1', undefined, undefined, 'EINVAL'],
  ['letter as value in argument', '0x03,-1,-1,a,-1', undefined, undefined, 'EINVAL'],
  ['number sign as value in argument', '0x03,-1,-1,#,-1', undefined, undefined, 'EINVAL'],
  ['space as value in argument', '0x03,-1,-1, ,-1', undefined, undefined, 'EINVAL'],
  ['invalid token_sep', '0x03;-1;-1;-1;0', undefined, undefined, 'EINVAL'],
  ['invalid rule_sep', '0x03,-1,-1,-1,0;-1,-1,-1,-1,1', undefined, undefined, 'EINVAL'],
  ['bad rule in many', '0x03,-1,-1,-1,0|3|-1,-1,-1,-1,1', undefined, undefined, 'EINVAL'],
  ['empty token separator', '0x03,-1,-1,-1,0', '', undefined, 'EINVAL'],
  ['empty rule separator', '0x03,-1,-1,-1,0', undefined, '', 'EINVAL'],
];

describe('usbredir filter strings (usbredir tests/filter.c)', () => {
  for (const [name, filter, tokenSep, ruleSep, want, serialised] of parseCases) {
    it(name, () => {
      const t = tokenSep ?? ',';
      const r = ruleSep ?? '|';
      if (want === 'EINVAL') {
        expect(() => parseUsbredirFilter(filter, t, r)).toThrow(UsbredirFilterError);
        return;
      }
      const rules = parseUsbredirFilter(filter, t, r);
      expect(rules).toHaveLength(want);
      expect(usbredirFilterToString(rules, t, r)).toBe(serialised ?? filter);
    });
  }

  it('reads fields as strtol base 0 into a C int: octal, white space, sign, overflow', () => {
    expect(parseUsbredirFilter('010,-1,-1,-1,1')[0].deviceClass).toBe(8);
    expect(parseUsbredirFilter(' 0x0a,+5,-1,-1,1')[0]).toMatchObject({ deviceClass: 10, vendorId: 5 });
    expect(() => parseUsbredirFilter('08,-1,-1,-1,1')).toThrow(UsbredirFilterError); // 8 is not octal
    expect(() => parseUsbredirFilter('0x,-1,-1,-1,1')).toThrow(UsbredirFilterError); // strtol stops at the x
    expect(() => parseUsbredirFilter('3 ,-1,-1,-1,1')).toThrow(UsbredirFilterError); // trailing space not consumed
    // 2^32 + 3 keeps its low 32 bits in an int: 3; 2^70 saturates to LONG_MAX, whose low 32 bits are -1.
    expect(parseUsbredirFilter('4294967299,-1,-1,-1,1')[0].deviceClass).toBe(3);
    expect(parseUsbredirFilter('1180591620717411303424,-1,-1,-1,1')[0].deviceClass).toBe(-1);
    // allow is any number: non-zero allows, and serialises as 1.
    expect(usbredirFilterToString(parseUsbredirFilter('-1,-1,-1,-1,7'))).toBe('-1,-1,-1,-1,1');
  });

  it("QEMU's property form (':' between fields) reads the same as the wire form", () => {
    expect(parseUsbredirFilter('0x03:-1:-1:-1:0|-1:-1:-1:-1:1', ':', '|')).toEqual(parseUsbredirFilter('0x03,-1,-1,-1,0|-1,-1,-1,-1,1'));
  });
});

const keyboard: UsbredirFilterDevice = {
  deviceClass: 0, deviceSubclass: 0, deviceProtocol: 0, vendorId: 0x1234, productId: 0x5678, deviceVersionBcd: 0x0100,
  interfaces: [{ class: 3, subclass: 1, protocol: 1 }],
};
const disk: UsbredirFilterDevice = { ...keyboard, vendorId: 0x0781, productId: 0x5567, interfaces: [{ class: 8, subclass: 6, protocol: 0x50 }] };
// A headset: audio control + audio streaming + a non-boot HID interface for its volume buttons.
const headset: UsbredirFilterDevice = {
  ...keyboard, vendorId: 0x046d, productId: 0x0a44,
  interfaces: [{ class: 1, subclass: 1, protocol: 0 }, { class: 1, subclass: 2, protocol: 0 }, { class: 3, subclass: 0, protocol: 0 }],
};

describe('usbredirfilter_check semantics', () => {
  const allButHid = parseUsbredirFilter('0x03,-1,-1,-1,0|-1,-1,-1,-1,1');

  it('examples of usbredirfilter.h / spice-gtk: allow all, everything but HID, only one vendor', () => {
    const all = parseUsbredirFilter('-1,-1,-1,-1,1');
    expect(checkUsbredirFilter(all, keyboard)).toBe('allowed');
    expect(checkUsbredirFilter(allButHid, keyboard)).toBe('blocked');
    expect(checkUsbredirFilter(allButHid, disk)).toBe('allowed');
    const sandiskOnly = parseUsbredirFilter('-1,0x0781,-1,-1,1');
    expect(checkUsbredirFilter(sandiskOnly, disk)).toBe('allowed');
    expect(checkUsbredirFilter(sandiskOnly, keyboard)).toBe('no-match');
    expect(checkUsbredirFilter(sandiskOnly, keyboard, UsbredirFilterFlag.defaultAllow)).toBe('allowed');
  });

  it('skips a non-boot HID interface of a device with several interfaces, unless told not to', () => {
    expect(checkUsbredirFilter(allButHid, headset)).toBe('allowed');
    expect(checkUsbredirFilter(allButHid, headset, UsbredirFilterFlag.dontSkipNonBootHid)).toBe('blocked');
    // One interface only: never skipped.
    const gamepad = { ...keyboard, interfaces: [{ class: 3, subclass: 0, protocol: 0 }] };
    expect(checkUsbredirFilter(allButHid, gamepad)).toBe('blocked');
  });

  it('checks again without skipping when every interface was skipped (usbredir 0.7.1 fix)', () => {
    const twoHid = { ...keyboard, interfaces: [{ class: 3, subclass: 0, protocol: 0 }, { class: 3, subclass: 0, protocol: 0 }] };
    expect(checkUsbredirFilter(allButHid, twoHid)).toBe('blocked');
  });

  it('has a device-class pass, skipped for classes 0x00 and 0xEF', () => {
    const hub = { ...keyboard, deviceClass: 9, interfaces: [{ class: 9, subclass: 0, protocol: 0 }] };
    expect(checkUsbredirFilter(parseUsbredirFilter('0x09,-1,-1,-1,0|-1,-1,-1,-1,1'), hub)).toBe('blocked');
    // The device class 0xEF is skipped, so a rule on 0xEF never blocks.
    const composite = { ...disk, deviceClass: 0xef };
    expect(checkUsbredirFilter(parseUsbredirFilter('0xef,-1,-1,-1,0|-1,-1,-1,-1,1'), composite)).toBe('allowed');
    // A device-class pass that finds no rule stops the check.
    const vendorClass = { ...disk, deviceClass: 0xff };
    expect(checkUsbredirFilter(parseUsbredirFilter('0x08,-1,-1,-1,1'), vendorClass)).toBe('no-match');
  });

  it('matches vendor, product and version; the first matching rule wins; no interfaces and class 0 is allowed', () => {
    const rules = parseUsbredirFilter('-1,0x1234,0x5678,0x0100,0|-1,-1,-1,-1,1');
    expect(checkUsbredirFilter(rules, keyboard)).toBe('blocked');
    expect(checkUsbredirFilter(rules, { ...keyboard, deviceVersionBcd: 0x0200 })).toBe('allowed');
    expect(checkUsbredirFilter([], { ...keyboard, interfaces: [] })).toBe('allowed');
    expect(checkUsbredirFilter([], keyboard)).toBe('no-match');
    expect(checkUsbredirFilter([{ deviceClass: 300, vendorId: -1, productId: -1, deviceVersionBcd: -1, allow: true }], keyboard)).toBe('invalid-rules');
  });
});
