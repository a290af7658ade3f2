import { describe, expect, it } from 'vitest';
import { compareVersions, parseVersion, versionRequirement } from '../../../src/protocol/profile/versions.ts';
import { parseVvFile } from '../../../src/protocol/profile/index.ts';

const v = (text: string) => {
  const parsed = parseVersion(text);
  if (!parsed) throw new Error(`test version ${text} did not parse`);
  return parsed;
};

describe('parseVersion', () => {
  it('reads dotted numbers with an optional numeric release', () => {
    expect(parseVersion('0.1.0')).toEqual({ parts: [0, 1, 0], release: [] });
    expect(parseVersion('2.0-160')).toEqual({ parts: [2, 0], release: [160] });
    expect(parseVersion(' 7 ')).toEqual({ parts: [7], release: [] });
  });

  it('refuses suffixes, empty parts and anything that is not a version', () => {
    for (const bad of ['', '1.0rc1', '1..2', '.1', '1.', 'v1.2', '1.2-', '1.2-beta', '-1', '1,2', '12345678901']) expect(parseVersion(bad)).toBeUndefined();
  });
});

describe('compareVersions', () => {
  it('compares part by part as numbers, not as text', () => {
    expect(compareVersions(v('1.10'), v('1.9'))).toBeGreaterThan(0);
    expect(compareVersions(v('0.1.0'), v('0.2'))).toBeLessThan(0);
    expect(compareVersions(v('2.0'), v('2.0'))).toBe(0);
  });

  it('a missing part is lower (1.2 < 1.2.0), as in virt-viewer', () => {
    expect(compareVersions(v('1.2'), v('1.2.0'))).toBeLessThan(0);
    expect(compareVersions(v('1.2.0'), v('1.2'))).toBeGreaterThan(0);
  });

  it('the release decides between equal versions: 1.0-2 > 1.0-1, 1.0 < 1.0-1', () => {
    expect(compareVersions(v('1.0-2'), v('1.0-1'))).toBeGreaterThan(0);
    expect(compareVersions(v('1.0'), v('1.0-1'))).toBeLessThan(0);
    expect(compareVersions(v('1.1-1'), v('1.0-9'))).toBeGreaterThan(0);
  });
});

describe('versionRequirement', () => {
  it('picks the first of the ids that the file names, and lists the others', () => {
    const p = parseVvFile('[virt-viewer]\ntype=spice\nhost=h\nport=1\nversions=rhev-win64:2.0-160;spicedesk:0.3;spicedesk-linux:0.4\n');
    expect(versionRequirement(p, ['spicedesk-linux', 'spicedesk'])).toEqual({ requirement: { id: 'spicedesk-linux', minimum: '0.4' }, otherIds: ['rhev-win64'] });
    expect(versionRequirement(p, ['spicedesk-windows', 'spicedesk'])).toEqual({
      requirement: { id: 'spicedesk', minimum: '0.3' },
      otherIds: ['rhev-win64', 'spicedesk-linux'],
    });
  });

  it('no versions key, or none for this client: no requirement', () => {
    expect(versionRequirement({}, ['spicedesk'])).toEqual({ otherIds: [] });
    expect(versionRequirement({ versions: { rhel8: '7.0-3' } }, ['spicedesk'])).toEqual({ otherIds: ['rhel8'] });
  });

  it('an id named like a property of every object is just another id', () => {
    expect(versionRequirement({ versions: { constructor: '9' } }, ['spicedesk', 'constructor'])).toEqual({ requirement: { id: 'constructor', minimum: '9' }, otherIds: [] });
    expect(versionRequirement({ versions: {} }, ['toString'])).toEqual({ otherIds: [] });
  });
});
