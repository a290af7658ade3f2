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

  it('finds nothing in four megabytes of BEGIN lines without an END, at once', () => {
    // The lazy expression rescans the rest from every BEGIN: minutes on this input, past the test's timeout.
    const text = '-----BEGIN CERTIFICATE-----\n'.repeat(150_000);
    expect(pemCertificateBlocks(text)).toEqual([]);
    expect(holdsPemCertificate(text)).toBe(false);
  });
});
