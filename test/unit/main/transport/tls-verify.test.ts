import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  certificateSubject,
  dnsNameMatches,
  explainTlsError,
  formatSubject,
  hostNameMismatch,
  parseAltNames,
  parseHostSubject,
  subjectsMatch,
} from '../../../../src/main/transport/tls-verify.ts';
import { CertificateWorkshop } from '../../../peers/tls-certs.ts';

describe('parseHostSubject (spice-common rules)', () => {
  it('reads comma-separated pairs and skips spaces before keys', () => {
    expect(parseHostSubject('C=IL, L=Raanana, O=Red Hat, CN=my server')).toEqual([
      { key: 'C', value: 'IL' },
      { key: 'L', value: 'Raanana' },
      { key: 'O', value: 'Red Hat' },
      { key: 'CN', value: 'my server' },
    ]);
  });
  it('takes \\, and \\\\ as escapes', () => {
    expect(parseHostSubject('O=Acme\\, Inc.,CN=a\\\\b')).toEqual([
      { key: 'O', value: 'Acme, Inc.' },
      { key: 'CN', value: 'a\\b' },
    ]);
  });
  it('maps long attribute names to the short ones', () => {
    expect(parseHostSubject('commonName=x,organizationName=y')).toEqual([
      { key: 'CN', value: 'x' },
      { key: 'O', value: 'y' },
    ]);
  });
  it.each([
    ['', /empty/],
    ['CN', /has no "=value"/],
    ['CN=a,O', /"O" has no "=value"/],
    ['CN=', /empty value/],
    ['CN=a\\b', /backslash/],
    [',CN=a', /has no "=value"/],
  ])('refuses %j', (text, why) => {
    expect(() => parseHostSubject(text)).toThrow(why);
  });
});

describe('subjectsMatch', () => {
  const cert = [
    { key: 'C', value: 'IL' },
    { key: 'CN', value: 'my server' },
  ];
  it('matches case- and space-insensitively, like X509_NAME_cmp', () => {
    expect(subjectsMatch(parseHostSubject('C=il, CN=My  Server'), cert)).toBe(true);
  });
  it('needs the same entries in the same order', () => {
    expect(subjectsMatch(parseHostSubject('CN=my server, C=IL'), cert)).toBe(false);
    expect(subjectsMatch(parseHostSubject('CN=my server'), cert)).toBe(false);
    expect(subjectsMatch(parseHostSubject('C=IL, CN=my server, O=x'), cert)).toBe(false);
    expect(subjectsMatch(parseHostSubject('C=IL, CN=other'), cert)).toBe(false);
  });
  it('formats with escapes', () => {
    expect(formatSubject([{ key: 'O', value: 'A,B' }])).toBe('O=A\\,B');
  });
});

describe('host names', () => {
  it('matches wildcards in the leftmost label only', () => {
    expect(dnsNameMatches('*.example.com', 'vm.example.com')).toBe(true);
    expect(dnsNameMatches('*.example.com', 'a.vm.example.com')).toBe(false);
    expect(dnsNameMatches('*.example.com', 'example.com')).toBe(false);
    expect(dnsNameMatches('*.com', 'example.com')).toBe(false);
    expect(dnsNameMatches('vm*.example.com', 'vm1.example.com')).toBe(true);
    expect(dnsNameMatches('vm*.example.com', 'xm1.example.com')).toBe(false);
    expect(dnsNameMatches('a.*.com', 'a.b.com')).toBe(false);
    expect(dnsNameMatches('Host.Example.com.', 'host.example.COM')).toBe(true);
  });
  it('reads node subjectaltname strings', () => {
    expect(parseAltNames('DNS:a.example, IP Address:10.0.0.1, DNS:"b,c", email:x@y')).toEqual({ dns: ['a.example', 'b,c'], ip: ['10.0.0.1'] });
  });
  it('uses the CN only when there is no DNS SAN', () => {
    expect(hostNameMismatch('srv', { subject: { CN: 'srv' } as never, subjectaltname: undefined as never })).toBeUndefined();
    expect(hostNameMismatch('srv', { subject: { CN: 'srv' } as never, subjectaltname: 'DNS:other' })).toBe('DNS:other');
    expect(hostNameMismatch('srv', { subject: { CN: 'srv' } as never, subjectaltname: 'IP Address:10.0.0.1' })).toBeUndefined();
  });
  it('compares IP addresses against IP SANs, IPv6 in any spelling', () => {
    expect(hostNameMismatch('127.0.0.1', { subject: {} as never, subjectaltname: 'IP Address:127.0.0.1' })).toBeUndefined();
    expect(hostNameMismatch('::1', { subject: {} as never, subjectaltname: 'IP Address:0:0:0:0:0:0:0:1' })).toBeUndefined();
    expect(hostNameMismatch('127.0.0.2', { subject: {} as never, subjectaltname: 'IP Address:127.0.0.1, DNS:localhost' })).toBe('DNS:localhost, IP:127.0.0.1');
  });
});

describe('certificates made by openssl', () => {
  const workshop = new CertificateWorkshop();
  afterAll(() => workshop.remove());
  const ca = workshop.createCa('unit-ca');
  const server = workshop.createServer('unit-server', ca, { subject: '/C=IL/L=Raanana/O=Red Hat, Inc./CN=my server', altNames: ['DNS:localhost'] });
  const der = new X509Certificate(readFileSync(server.certFile)).raw;

  it('reads the subject in order', () => {
    expect(certificateSubject(der)).toEqual([
      { key: 'C', value: 'IL' },
      { key: 'L', value: 'Raanana' },
      { key: 'O', value: 'Red Hat, Inc.' },
      { key: 'CN', value: 'my server' },
    ]);
  });
  it('matches the host-subject a .vv would carry', () => {
    expect(subjectsMatch(parseHostSubject('C=IL, L=Raanana, O=Red Hat\\, Inc., CN=my server'), certificateSubject(der))).toBe(true);
    expect(subjectsMatch(parseHostSubject('C=IL, L=Raanana, O=Red Hat\\, Inc., CN=other'), certificateSubject(der))).toBe(false);
  });
});

describe('explainTlsError', () => {
  const err = (code: string, message = code): NodeJS.ErrnoException => Object.assign(new Error(message), { code });
  it('gives each failure its own message and kind tls', () => {
    const unknown = explainTlsError(err('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), 'h:1 (TLS)', 'the system CA store');
    const expired = explainTlsError(err('CERT_HAS_EXPIRED'), 'h:1 (TLS)', 'x');
    const handshake = explainTlsError(err('ERR_SSL_NO_CIPHERS_AVAILABLE'), 'h:1 (TLS)', 'x');
    expect(unknown.kind).toBe('tls');
    expect(unknown.message).toMatch(/not signed by a trusted CA \(the system CA store\)/);
    expect(expired.message).toMatch(/has expired/);
    expect(handshake.message).toMatch(/handshake with h:1 \(TLS\) failed/);
    expect(new Set([unknown.message, expired.message, handshake.message]).size).toBe(3);
  });
});
