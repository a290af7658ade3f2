// Checks for the individual values of a URI or .vv file. Each returns a problem description (to be
// wrapped by the caller with where the value came from) instead of throwing, so the caller decides
// whether the value may be quoted back (it never quotes a secret).

export type Checked<T> = { ok: true; value: T } | { ok: false; problem: string };

const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
const bad = <T>(problem: string): Checked<T> => ({ ok: false, problem });

/** `text` as a TCP port: a plain decimal integer 1..65535 (leading zeros allowed, nothing else). */
export function parsePort(text: string): number | undefined {
  if (!/^[0-9]{1,10}$/.test(text)) return undefined;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : undefined;
}

/** True for an IPv6 address literal (without brackets), optionally with a `%zone` suffix. */
export function isIpv6Literal(text: string): boolean {
  const zoneAt = text.indexOf('%');
  const address = zoneAt < 0 ? text : text.slice(0, zoneAt);
  if (zoneAt >= 0 && !/^[A-Za-z0-9._~-]+$/.test(text.slice(zoneAt + 1))) return false;
  if (!/^[0-9A-Fa-f:.]+$/.test(address) || !address.includes(':')) return false;
  const halves = address.split('::');
  if (halves.length > 2) return false;
  let groups = 0;
  for (let h = 0; h < halves.length; h++) {
    if (halves[h] === '') continue;
    const parts = halves[h].split(':');
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      if (part.includes('.')) {
        // A dotted IPv4 tail is only allowed as the very last part.
        const isLastPart = h === halves.length - 1 && i === parts.length - 1;
        if (!isLastPart || !isIpv4Literal(part)) return false;
        groups += 2;
      } else {
        if (!/^[0-9A-Fa-f]{1,4}$/.test(part)) return false;
        groups += 1;
      }
    }
  }
  return halves.length === 2 ? groups <= 7 : groups === 8;
}

export function isIpv4Literal(text: string): boolean {
  const parts = text.split('.');
  return parts.length === 4 && parts.every((p) => /^[0-9]{1,3}$/.test(p) && Number(p) <= 255);
}

/**
 * A DNS name or IPv4 literal as it may appear in a URI authority (after percent-decoding). A name
 * whose last label is a number is an IPv4 address to a URL parser (WHATWG), so it must be a
 * whole dotted-quad one: `127.0i.0.1` or `300.1.1.1` is refused here rather than by the socket or
 * the WebSocket library later, with a less clear error.
 */
export function isDnsHostName(text: string): boolean {
  if (text.length === 0 || text.length > 253) return false;
  if (!/^[A-Za-z0-9_~-]+(\.[A-Za-z0-9_~-]+)*\.?$/.test(text)) return false;
  const name = text.endsWith('.') ? text.slice(0, -1) : text;
  const lastLabel = name.slice(name.lastIndexOf('.') + 1);
  return !/^([0-9]+|0[xX][0-9A-Fa-f]*)$/.test(lastLabel) || isIpv4Literal(name);
}

/**
 * A .vv `host` value. Much looser than a DNS name on purpose: Proxmox puts a ticket such as
 * `pvespiceproxy:5f1b2c3d:100:node1::0a1b...` there, which only its proxy understands. A bracketed
 * IPv6 literal is unwrapped.
 */
export function checkVvHost(text: string): Checked<string> {
  let host = text.trim();
  if (host.startsWith('[') && host.endsWith(']') && isIpv6Literal(host.slice(1, -1))) host = host.slice(1, -1);
  if (host === '') return bad('must not be empty');
  if (host.length > 1024) return bad('is longer than 1024 characters');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(host)) return bad('must be a host name, not a URL');
  if (/[\s/\\@?#[\]]/.test(host)) return bad('must be a host name or address without spaces or any of / \\ @ ? # [ ]');
  return ok(host);
}

export interface ProxyUrl {
  scheme: 'http' | 'https';
  host: string;
  port: number;
  username?: string;
  password?: string;
}

function percentDecodeLenient(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * A proxy URL as spice-gtk accepts it: `[http[s]://][user[:password]@]host[:port][/]`, http being
 * the default scheme (port 3128) and https using port 3129. The problems never quote the URL,
 * which may hold a password.
 */
export function parseProxyUrl(text: string): Checked<ProxyUrl> {
  let rest = text.trim();
  if (rest === '') return bad('must not be empty');
  let scheme: ProxyUrl['scheme'] = 'http';
  const schemeMatch = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(rest);
  if (schemeMatch) {
    const name = schemeMatch[1].toLowerCase();
    if (name !== 'http' && name !== 'https') {
      return bad(`uses the scheme "${name}", but only http:// and https:// proxies are supported`);
    }
    scheme = name;
    rest = rest.slice(schemeMatch[0].length);
  }
  rest = rest.replace(/\/+$/, '');
  let username: string | undefined;
  let password: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = userinfo.indexOf(':');
    username = percentDecodeLenient(colon < 0 ? userinfo : userinfo.slice(0, colon));
    if (colon >= 0) password = percentDecodeLenient(userinfo.slice(colon + 1));
  }
  if (/[/?#]/.test(rest)) return bad('must be http[s]://[user:password@]host[:port] with no path or query');
  let host: string;
  let portText: string | undefined;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) return bad('has an IPv6 address without the closing "]"');
    host = rest.slice(1, close);
    if (!isIpv6Literal(host)) return bad(`has "${host}" in brackets, which is not an IPv6 address`);
    const after = rest.slice(close + 1);
    if (after.startsWith(':')) portText = after.slice(1);
    else if (after !== '') return bad('has unexpected text after the IPv6 address');
  } else {
    const colon = rest.indexOf(':');
    host = colon < 0 ? rest : rest.slice(0, colon);
    if (colon >= 0) portText = rest.slice(colon + 1);
    if (host === '') return bad('has no host name');
    if (!isDnsHostName(host)) return bad(`has an invalid host name "${host}"`);
  }
  let port = scheme === 'http' ? 3128 : 3129;
  if (portText !== undefined) {
    const parsed = parsePort(portText);
    if (parsed === undefined) return bad(`has port "${portText}", which is not a number from 1 to 65535`);
    port = parsed;
  }
  const url: ProxyUrl = { scheme, host, port };
  if (username !== undefined) url.username = username;
  if (password !== undefined) url.password = password;
  return ok(url);
}

/**
 * usbredir filter rules: `class,vendor,product,version,allow` joined with `|`. Numbers are read as
 * C's strtol with base 0 does (so 0x03 is hex); -1 means "any".
 */
export function checkUsbFilter(text: string): Checked<string> {
  const rules = text.trim();
  if (rules === '') return bad('must hold at least one rule class,vendor,product,version,allow');
  const limits = [0xff, 0xffff, 0xffff, 0xffff];
  const fieldNames = ['class', 'vendor', 'product', 'version'];
  const parts = rules.split('|');
  for (let r = 0; r < parts.length; r++) {
    const fields = parts[r].split(',').map((f) => f.trim());
    const which = `rule ${r + 1} ("${parts[r]}")`;
    if (fields.length !== 5) return bad(`${which} must have 5 fields class,vendor,product,version,allow`);
    for (let f = 0; f < 4; f++) {
      const n = parseCInteger(fields[f]);
      if (n === undefined || n < -1 || n > limits[f]) {
        return bad(`${which} has ${fieldNames[f]} "${fields[f]}"; use -1 (any) or 0..${limits[f]}`);
      }
    }
    const allow = parseCInteger(fields[4]);
    if (allow !== 0 && allow !== 1) return bad(`${which} must end with allow 0 or 1`);
  }
  return ok(rules);
}

function parseCInteger(text: string): number | undefined {
  const m = /^([+-]?)(?:0[xX]([0-9A-Fa-f]+)|(0[0-7]*)|([1-9][0-9]*))$/.exec(text);
  if (!m) return undefined;
  const magnitude = m[2] !== undefined ? parseInt(m[2], 16) : m[3] !== undefined ? parseInt(m[3], 8) : parseInt(m[4], 10);
  return m[1] === '-' ? -magnitude : magnitude;
}

/**
 * A spice hotkey such as `shift+f11` or `Ctrl+Alt+Ins`: key names joined with `+`. Key names
 * are checked for shape only; the UI layer maps them to keys. Modifier-only hotkeys are allowed.
 */
export function checkHotkey(text: string): Checked<string> {
  const hotkey = text.trim();
  if (hotkey === '') return ok('');
  const keys = hotkey.split('+');
  for (const key of keys) {
    if (!/^[A-Za-z0-9_-]+$/.test(key.trim())) {
      return bad(`must be key names joined with "+" such as shift+f11 or ctrl+alt+end, got "${hotkey}"`);
    }
  }
  return ok(keys.map((k) => k.trim()).join('+'));
}

/** True if the text has characters that have no place in a one-line setting. */
export function hasControlCharacters(text: string): boolean {
  return /[\u0000-\u001f\u007f]/.test(text);
}
