// How spicedesk decides that a TLS peer is the server the profile names, as spice-gtk and
// spice-common (ssl_verify.c) do it: by the .vv host-subject when one is given (the whole subject,
// entry by entry, in order), otherwise by the host name against the certificate's subject
// alternative names (the CN only when there is no DNS name among them). Every failure is a 'tls'
// error that says what was expected and what the server presented.
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import type { PeerCertificate } from 'node:tls';
import { SpiceError } from '../../protocol/wire/errors.ts';

export type SubjectEntry = { key: string; value: string };

// OpenSSL accepts long and short attribute names in a subject string; the certificate side
// (X509Certificate.subject) prints the short ones.
const SHORT_NAMES: Record<string, string> = {
  commonname: 'CN',
  countryname: 'C',
  localityname: 'L',
  stateorprovincename: 'ST',
  organizationname: 'O',
  organizationalunitname: 'OU',
  emailaddress: 'emailAddress',
  serialnumber: 'serialNumber',
  domaincomponent: 'DC',
  userid: 'UID',
  streetaddress: 'street',
  givenname: 'GN',
  surname: 'SN',
  title: 'title',
};
for (const short of Object.values(SHORT_NAMES)) SHORT_NAMES[short.toLowerCase()] = short;

function canonicalKey(key: string): string {
  return SHORT_NAMES[key.toLowerCase()] ?? key;
}

/** X509_NAME_cmp compares canonical forms: ASCII case folded, outer spaces dropped, inner runs of spaces as one. */
function canonicalValue(value: string): string {
  return value.trim().replace(/\s+/g, ' ').replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/**
 * Parses a host-subject string the way spice-common does: comma-separated key=value pairs, "\,"
 * and "\\" as escapes (no other escape), spaces before a key ignored, no empty key or value.
 */
export function parseHostSubject(subject: string): SubjectEntry[] {
  const bad = (why: string): never => {
    throw new SpiceError('tls', `the host-subject "${subject}" cannot be read: ${why}; write it as "C=IL, O=Red Hat, CN=my server" (escape , and \\ with a backslash)`);
  };
  const entries: SubjectEntry[] = [];
  let key = '';
  let value = '';
  let inValue = false;
  for (let i = 0; i <= subject.length; i++) {
    let ch: string | undefined = subject[i];
    let escaped = false;
    if (ch === '\\') {
      i++;
      ch = subject[i];
      if (ch !== '\\' && ch !== ',') bad(`a backslash must be followed by , or \\ (at character ${i})`);
      escaped = true;
    }
    const atEnd = ch === undefined;
    if (!inValue) {
      if (ch === ' ' && key === '' && !escaped) continue;
      if (atEnd) {
        if (key === '' && entries.length > 0) break;
        bad(key === '' ? 'it is empty' : `"${key}" has no "=value"`);
      }
      if (ch === ',' && !escaped) bad(`"${key}" has no "=value"`);
      if (ch === '=' && !escaped) inValue = true;
      else key += ch;
    } else if (atEnd || (ch === ',' && !escaped)) {
      if (value === '') bad(`${key}= has an empty value`);
      entries.push({ key: canonicalKey(key), value });
      if (atEnd) break;
      key = '';
      value = '';
      inValue = false;
    } else {
      value += ch;
    }
  }
  return entries;
}

/** The subject of a DER certificate as ordered entries, e.g. [{C, IL}, {O, Red Hat}, {CN, my server}]. */
export function certificateSubject(der: Uint8Array): SubjectEntry[] {
  const printed = new X509Certificate(der).subject;
  return printed
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const eq = line.indexOf('=');
      return { key: canonicalKey(line.slice(0, eq)), value: unescapeRfc2253(line.slice(eq + 1)) };
    });
}

/** Node prints subject values with RFC 2253 escapes: "\," for a comma, "\XX" for a byte. */
function unescapeRfc2253(printed: string): string {
  const bytes: number[] = [];
  const encoder = new TextEncoder();
  for (let i = 0; i < printed.length; i++) {
    const ch = printed[i] as string;
    if (ch === '\\' && i + 1 < printed.length) {
      const hex = printed.slice(i + 1, i + 3);
      if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
        bytes.push(parseInt(hex, 16));
        i += 2;
      } else {
        bytes.push(...encoder.encode(printed[i + 1]));
        i += 1;
      }
    } else {
      bytes.push(...encoder.encode(ch));
    }
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

export function formatSubject(entries: readonly SubjectEntry[]): string {
  return entries.map((e) => `${e.key}=${e.value.replace(/[\\,]/g, (c) => `\\${c}`)}`).join(', ');
}

/** Same entries, same order, values equal in their canonical forms. */
export function subjectsMatch(expected: readonly SubjectEntry[], actual: readonly SubjectEntry[]): boolean {
  if (expected.length !== actual.length) return false;
  return expected.every((e, i) => {
    const a = actual[i];
    return a !== undefined && e.key === a.key && canonicalValue(e.value) === canonicalValue(a.value);
  });
}

/** Wildcards as gnutls allows them: a '*' only in the leftmost label, never matching a dot. */
export function dnsNameMatches(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase().replace(/\.$/, '');
  const h = host.toLowerCase().replace(/\.$/, '');
  if (!p.includes('*')) return p === h;
  const pLabels = p.split('.');
  const hLabels = h.split('.');
  const first = pLabels[0] ?? '';
  // "*.com" would cover a whole top-level domain; a wildcard needs two fixed labels after it.
  if (pLabels.length !== hLabels.length || pLabels.length < 3 || pLabels.slice(1).some((l) => l.includes('*'))) return false;
  if (pLabels.slice(1).join('.') !== hLabels.slice(1).join('.')) return false;
  const star = first.indexOf('*');
  if (first.indexOf('*', star + 1) !== -1) return false;
  const label = hLabels[0] ?? '';
  const prefix = first.slice(0, star);
  const suffix = first.slice(star + 1);
  return label.length >= prefix.length + suffix.length && label.startsWith(prefix) && label.endsWith(suffix);
}

function normalizeIp(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  // Expand so that "::1" and "0:0:0:0:0:0:0:1" compare equal.
  const [head = '', tail = ''] = ip.toLowerCase().split('::');
  const h = head ? head.split(':') : [];
  const t = ip.includes('::') && tail ? tail.split(':') : [];
  const fill = ip.includes('::') ? new Array<string>(8 - h.length - t.length).fill('0') : [];
  return [...h, ...fill, ...t].map((g) => g.replace(/^0+(?=.)/, '')).join(':');
}

export interface AltNames {
  dns: string[];
  ip: string[];
}

/** Node prints subjectAltName as "DNS:a.example, IP Address:10.0.0.1, ..."; quoted entries carry commas. */
export function parseAltNames(printed: string | undefined): AltNames {
  const names: AltNames = { dns: [], ip: [] };
  if (!printed) return names;
  const entries = printed.match(/(?:[^,"]|"(?:[^"\\]|\\.)*")+/g) ?? [];
  for (const raw of entries) {
    const entry = raw.trim();
    const colon = entry.indexOf(':');
    const kind = entry.slice(0, colon);
    let value = entry.slice(colon + 1);
    if (value.startsWith('"')) value = JSON.parse(value) as string;
    if (kind === 'DNS') names.dns.push(value);
    else if (kind === 'IP Address') names.ip.push(value);
  }
  return names;
}

/** Whether a certificate names this host; undefined when it does, else the names it does carry. */
export function hostNameMismatch(host: string, cert: Pick<PeerCertificate, 'subjectaltname' | 'subject'>): string | undefined {
  const alt = parseAltNames(cert.subjectaltname);
  const bare = host.replace(/^\[|\]$/g, '');
  if (isIP(bare)) {
    const want = normalizeIp(bare);
    if (alt.ip.some((ip) => normalizeIp(ip) === want)) return undefined;
    // spice-common also accepts an IP written as a DNS name or CN; keep that for old certificates.
    if (alt.dns.length === 0 && firstCn(cert) === bare) return undefined;
  } else {
    if (alt.dns.some((name) => dnsNameMatches(name, bare))) return undefined;
    const cn = firstCn(cert);
    if (alt.dns.length === 0 && cn !== undefined && dnsNameMatches(cn, bare)) return undefined;
  }
  const carried = [...alt.dns.map((d) => `DNS:${d}`), ...alt.ip.map((i) => `IP:${i}`)];
  if (alt.dns.length === 0) {
    const cn = firstCn(cert);
    if (cn !== undefined) carried.push(`CN=${cn}`);
  }
  return carried.length > 0 ? carried.join(', ') : 'no names at all';
}

function firstCn(cert: Pick<PeerCertificate, 'subject'>): string | undefined {
  const cn: unknown = (cert.subject as unknown as Record<string, unknown> | undefined)?.CN;
  if (Array.isArray(cn)) return typeof cn[0] === 'string' ? cn[0] : undefined;
  return typeof cn === 'string' ? cn : undefined;
}

/** The identity check for one connection: host-subject when given, else the host name. */
export function verifyServerIdentity(
  host: string,
  cert: PeerCertificate,
  options: { hostSubject?: string; where: string },
): SpiceError | undefined {
  if (options.hostSubject !== undefined) {
    const expected = parseHostSubject(options.hostSubject);
    const actual = certificateSubject(cert.raw);
    if (subjectsMatch(expected, actual)) return undefined;
    return new SpiceError(
      'tls',
      `the certificate of ${options.where} has the wrong subject: expected host-subject "${formatSubject(expected)}", the server presented "${formatSubject(actual)}"`,
    );
  }
  const mismatch = hostNameMismatch(host, cert);
  if (mismatch === undefined) return undefined;
  return new SpiceError(
    'tls',
    `the certificate of ${options.where} is not for the host name "${host}": it names ${mismatch}; connect by one of those names or set host-subject`,
  );
}

const UNKNOWN_CA_CODES = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
]);

/** A person-readable 'tls' error for what node:tls reports during the handshake. */
export function explainTlsError(err: NodeJS.ErrnoException, where: string, trust: string): SpiceError {
  const code = err.code ?? '';
  if (UNKNOWN_CA_CODES.has(code)) {
    return new SpiceError('tls', `the certificate of ${where} is not signed by a trusted CA (${trust}): ${err.message}; check the .vv "ca" or --spice-ca-file`, { cause: err });
  }
  if (code === 'CERT_HAS_EXPIRED') {
    return new SpiceError('tls', `the certificate of ${where} has expired; the server needs a new certificate (or check this machine's clock)`, { cause: err });
  }
  if (code === 'CERT_NOT_YET_VALID') {
    return new SpiceError('tls', `the certificate of ${where} is not valid yet; check this machine's clock`, { cause: err });
  }
  if (code === 'CERT_REVOKED') return new SpiceError('tls', `the certificate of ${where} has been revoked`, { cause: err });
  if (code === 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION' || code === 'ERR_SSL_UNSUPPORTED_PROTOCOL' || code === 'ERR_SSL_NO_PROTOCOLS_AVAILABLE') {
    return new SpiceError('tls', `${where} speaks only a TLS version older than 1.2, which spicedesk refuses (TLS 1.2 is the minimum); the server's TLS settings need updating`, { cause: err });
  }
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER') {
    return new SpiceError('tls', `${where} did not answer with TLS; is this the server's TLS port and not its plain one?`, { cause: err });
  }
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || /SSL|TLS|handshake/i.test(err.message)) {
    return new SpiceError('tls', `the TLS handshake with ${where} failed: ${err.message}; is this the server's TLS port, and do tls-ciphers allow a common cipher?`, { cause: err });
  }
  return new SpiceError('tls', `TLS connection to ${where} failed: ${err.message}`, { cause: err });
}
