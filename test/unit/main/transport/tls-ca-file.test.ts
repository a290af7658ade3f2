import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caFileForCommand, combineTrust, defaultTrustStore, readCaFile } from '../../../../src/main/transport/tls-ca-file.ts';
import { CertificateWorkshop, type CertificateAuthority } from '../../../peers/tls-certs.ts';

const dir = mkdtempSync(join(tmpdir(), 'spicedesk-cafile-'));
const workshop = new CertificateWorkshop();
let ca: CertificateAuthority;
let other: CertificateAuthority;
beforeAll(() => {
  ca = workshop.createCa('file-ca');
  other = workshop.createCa('other-ca');
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  workshop.remove();
});

function file(name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe('readCaFile', () => {
  it('reads the certificates of a PEM file, dropping text around them', () => {
    const path = file('two.pem', `# the lab CAs\n${ca.pem}\nsome note\n${other.pem}`);
    const read = readCaFile(path);
    expect(read.path).toBe(path);
    expect(read.pem).toBe(`${ca.pem.trim()}\n${other.pem.trim()}\n`);
  });

  it('refuses, naming the file and the problem: missing, a directory, empty, no certificate, a key, binary, broken base64', () => {
    const cases: [string, RegExp][] = [
      [join(dir, 'nope.pem'), /"[^"]*nope\.pem" does not exist/],
      [dir, /is a directory/],
      [file('empty.pem', ''), /empty\.pem" holds no PEM certificate/],
      [file('text.pem', 'hello\n'), /text\.pem" holds no PEM certificate/],
      [file('key.pem', '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n'), /key\.pem" holds a private key, not CA certificates/],
      [file('der.crt', new Uint8Array([0x30, 0x82, 0x01, 0x00, 0x00, 0x02])), /der\.crt" is not a PEM file .*openssl x509 -inform der/],
      [file('broken.pem', `${ca.pem}-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n`), /broken\.pem" has a certificate that cannot be read \(number 2 of 2\)/],
    ];
    for (const [path, message] of cases) {
      let error: unknown;
      try {
        readCaFile(path);
      } catch (e) {
        error = e;
      }
      expect(error, path).toMatchObject({ kind: 'usage' });
      expect((error as Error).message, path).toMatch(/^--spice-ca-file "/);
      expect((error as Error).message, path).toMatch(message);
    }
  });

  // A file no one may read, root included: Linux checks the mode of /proc/sys files for root too,
  // and drop_caches is write-only (0200). Root reads any ordinary file whatever its mode, so a
  // chmod 000 file would not fail where the tests run as root (CI). The link gives it our name.
  const WRITE_ONLY = '/proc/sys/vm/drop_caches';
  it('an unreadable file: permission denied (for root too)', () => {
    // Never skipped: every Linux machine the tests run on has it, and a machine without it must say so.
    expect(existsSync(WRITE_ONLY), `${WRITE_ONLY} is missing: this test needs Linux's /proc/sys`).toBe(true);
    const path = join(dir, 'secret.pem');
    symlinkSync(WRITE_ONLY, path);
    expect(() => readCaFile(path)).toThrow(/secret\.pem" cannot be read: permission denied/);
  });
});

describe('the default trust store and the command option', () => {
  it('~/.spicec/spice_truststore.pem is used when it exists and no file is given', () => {
    const home = join(dir, 'home');
    mkdirSync(join(home, '.spicec'), { recursive: true });
    const warnings: string[] = [];
    expect(defaultTrustStore({ HOME: home }, (l) => warnings.push(l))).toBeUndefined();
    writeFileSync(join(home, '.spicec', 'spice_truststore.pem'), ca.pem);
    expect(caFileForCommand(undefined, { env: { HOME: home }, warn: (l) => warnings.push(l) })?.pem).toBe(`${ca.pem.trim()}\n`);
    // --spice-ca-file replaces it.
    const given = file('given.pem', other.pem);
    expect(caFileForCommand(given, { env: { HOME: home }, warn: (l) => warnings.push(l) })?.pem).toBe(`${other.pem.trim()}\n`);
    expect(warnings).toEqual([]);
  });

  it('a broken default trust store is skipped with a warning naming it', () => {
    const home = join(dir, 'home-broken');
    mkdirSync(join(home, '.spicec'), { recursive: true });
    writeFileSync(join(home, '.spicec', 'spice_truststore.pem'), 'junk');
    const warnings: string[] = [];
    expect(defaultTrustStore({ HOME: home }, (l) => warnings.push(l))).toBeUndefined();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^the trust store ".*spice_truststore\.pem" holds no PEM certificate \(.*\); it is not used$/);
  });

  it('a missing --spice-ca-file is an error even when the default store exists', () => {
    expect(() => caFileForCommand(join(dir, 'missing.pem'), { env: {}, warn: () => {} })).toThrow(/missing\.pem" does not exist/);
  });
});

describe('combineTrust', () => {
  it('the .vv ca and the file are trusted together, as spice-gtk does; neither means the system store', () => {
    expect(combineTrust(undefined, undefined)).toEqual({});
    expect(combineTrust('A\n', undefined)).toEqual({ ca: 'A\n', source: "the profile's ca" });
    expect(combineTrust(undefined, { path: 'f.pem', pem: 'B\n' })).toEqual({ ca: 'B\n', source: '"f.pem"' });
    expect(combineTrust('A\n\n', { path: 'f.pem', pem: 'B\n' })).toEqual({ ca: 'A\nB\n', source: `the profile's ca and "f.pem"` });
  });
});
