import { describe, expect, it } from 'vitest';
import { holdsPemCertificate, pemCertificateBlocks } from '../../../src/protocol/profile/pem.ts';

const block = (body: string): string => `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----`;

describe('pemCertificateBlocks', () => {
  it('finds every block in order, and what a lazy BEGIN...END expression finds', () => {
    const texts = [
      `# comment\n${block('A')}\njunk\n${block('B')}\n`,
      `-----BEGIN CERTIFICATE-----\n${block('C')}`,
      `${block('D')}\n-----BEGIN CERTIFICATE-----\nno end`,
      'nothing here',
    ];
    for (const text of texts) {
      expect(pemCertificateBlocks(text)).toEqual(text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []);
    }
    expect(holdsPemCertificate(texts[0])).toBe(true);
    expect(holdsPemCertificate(texts[3])).toBe(false);
  });

  it('scans four megabytes of BEGIN lines without an END once, not once per BEGIN', () => {
    const text = '-----BEGIN CERTIFICATE-----\n'.repeat(150_000);
    let scanned = 0;
    const indexOf = String.prototype.indexOf;
    String.prototype.indexOf = function (this: string, ...args: [string, number?]) {
      scanned++;
      return indexOf.apply(this, args);
    };
    try {
      expect(pemCertificateBlocks(text)).toEqual([]);
    } finally {
      String.prototype.indexOf = indexOf;
    }
    expect(scanned).toBeLessThan(10);
  });
});
