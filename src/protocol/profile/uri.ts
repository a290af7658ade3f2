// spice:// URIs, read the way spice-gtk's session reads them, but with every value validated:
//   spice://[user@]host[:port][/][?|;]key=value[&|;key=value...]   keys: port, tls-port, password
//   spice+tls://[user@]host:port     every channel on TLS; port keys are refused there
//   spice+unix:///absolute/path      the rest of the URI is the socket path, as is
//   ws[s]://host[:port][/path][?query]  SPICE over WebSocket (websockify, spice-server, web consoles);
//                                    path and query go to the WebSocket server unchanged
// IPv6 literals go in brackets. Errors never quote the whole URI or any query value, because the
// URI may carry a password.
import { SpiceError } from '../wire/errors.ts';
import { readVideoCodecList } from './video-codecs.ts';
import { emptyProfile, type ConnectionProfile } from './types.ts';
import { hasControlCharacters, isDnsHostName, isIpv6Literal, parsePort } from './values.ts';

const PREFIX = 'spice URI';
const MAX_URI_LENGTH = 8192;

export const URI_PASSWORD_WARNING =
  'the password given in the URI can be seen by other users in the process list; ' +
  'prefer the SPICE_PASSWORD environment variable or a .vv file';

type Scheme = 'spice' | 'spice+tls' | 'spice+unix' | 'ws' | 'wss';

function fail(message: string): never {
  throw new SpiceError('usage', `${PREFIX}: ${message}`);
}

/** True if `text` starts with a URI scheme (`name://`), so it is not meant as a file path. */
export function looksLikeUri(text: string): boolean {
  return /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(text.trim());
}

function decode(text: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return fail(`${what} has a broken %-escape`);
  }
}

export function parseSpiceUri(uri: string): ConnectionProfile {
  const text = uri.trim();
  if (text === '') fail('is empty; expected spice://host:port');
  if (text.length > MAX_URI_LENGTH) fail(`is longer than ${MAX_URI_LENGTH} characters`);
  if (hasControlCharacters(text)) fail('contains control characters');

  const schemeMatch = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(text);
  if (!schemeMatch) fail('must start with spice://, spice+tls://, spice+unix://, ws:// or wss://');
  const schemeName = schemeMatch[1].toLowerCase();
  if (schemeName !== 'spice' && schemeName !== 'spice+tls' && schemeName !== 'spice+unix' && schemeName !== 'ws' && schemeName !== 'wss') {
    fail(`the scheme "${schemeName}://" is not supported; use spice://, spice+tls://, spice+unix://, ws:// or wss://`);
  }
  const scheme: Scheme = schemeName;
  const rest = text.slice(schemeMatch[0].length);
  const profile = emptyProfile('uri');

  if (scheme === 'spice+unix') {
    if (!rest.startsWith('/')) fail('spice+unix:// needs an absolute socket path, as in spice+unix:///run/vm.sock');
    if (rest.length === 1) fail('spice+unix:// has an empty socket path');
    profile.unixPath = rest;
    return profile;
  }
  if (scheme === 'ws' || scheme === 'wss') return parseWebSocketUri(scheme, rest, profile);

  if (rest.includes('#')) fail('contains "#"; fragments are not supported (percent-encode it as %23)');
  const authorityEnd = rest.search(/[/?;]/);
  const authority = authorityEnd < 0 ? rest : rest.slice(0, authorityEnd);
  let after = authorityEnd < 0 ? '' : rest.slice(authorityEnd);
  if (after.startsWith('/')) {
    const queryAt = after.search(/[?;]/);
    const path = queryAt < 0 ? after : after.slice(0, queryAt);
    if (path !== '/') profile.warnings.push(`${PREFIX}: the path ${quoted(path, 'after the host')} is ignored`);
    after = queryAt < 0 ? '' : after.slice(queryAt);
  }
  const query = after === '' ? '' : after.slice(1);

  const authorityPort = readAuthority(authority, profile);
  readQuery(query, scheme, profile);

  if (authorityPort !== undefined) {
    if (scheme === 'spice+tls') {
      profile.tlsPort = authorityPort;
    } else {
      if (profile.port !== undefined) fail('the port is given twice (after ":" and as port=)');
      profile.port = authorityPort;
    }
  }
  if (scheme === 'spice+tls') {
    profile.tlsOnly = true;
    if (profile.tlsPort === undefined) fail(`spice+tls://${hostForMessage(profile)} needs a port, as in spice+tls://host:5901`);
  } else if (profile.port === undefined && profile.tlsPort === undefined) {
    fail(`spice://${hostForMessage(profile)} needs a port: spice://host:5900, or ?port=N and/or ?tls-port=M`);
  }
  return profile;
}

/**
 * Quote a piece of the URI in a message only if it cannot be carrying a password: text such as
 * `host:5900&password=x` (a forgotten "?") must not be echoed.
 */
function quoted(piece: string, otherwise: string): string {
  return piece.length <= 64 && !/[=&;%@]/.test(piece) ? `"${piece}"` : otherwise;
}

function hostForMessage(profile: ConnectionProfile): string {
  const host = profile.host ?? '';
  return host.includes(':') ? `[${host}]` : host;
}

/** Fills user and host; returns the port written after the host, if any. */
function readAuthority(authority: string, profile: ConnectionProfile): number | undefined {
  let hostPort = authority;
  const at = authority.indexOf('@');
  if (at >= 0) {
    const userinfo = authority.slice(0, at);
    hostPort = authority.slice(at + 1);
    if (hostPort.includes('@')) fail('has more than one "@" before the host');
    if (userinfo.includes(':')) {
      // Not quoted: the part after ':' is a password.
      fail('a password in the user part (user:password@) is not supported; use SPICE_PASSWORD or a .vv file');
    }
    const username = decode(userinfo, 'the user name');
    if (username === '') fail('has an empty user name before "@"');
    if (hasControlCharacters(username)) fail('the user name contains control characters');
    profile.username = username;
  }

  let portText: string | undefined;
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']');
    if (close < 0) fail('has an IPv6 address without the closing "]"');
    const literal = hostPort.slice(1, close).replace(/%25/g, '%');
    if (!isIpv6Literal(literal)) fail(`${quoted(`[${hostPort.slice(1, close)}]`, 'the part in brackets')} is not an IPv6 address`);
    profile.host = literal;
    const tail = hostPort.slice(close + 1);
    if (tail.startsWith(':')) portText = tail.slice(1);
    else if (tail !== '') fail(`has ${quoted(tail, 'unexpected text')} after the IPv6 address; expected ":port"`);
  } else {
    const colon = hostPort.indexOf(':');
    const rawHost = colon < 0 ? hostPort : hostPort.slice(0, colon);
    if (colon >= 0) {
      portText = hostPort.slice(colon + 1);
      if (portText.includes(':')) fail('has more than one ":" in the host part; write IPv6 addresses in brackets, as in spice://[::1]:5900');
    }
    if (rawHost === '') fail('has no host name, as in spice://host:5900');
    const host = decode(rawHost, 'the host name');
    if (!isDnsHostName(host)) fail(`${quoted(host, 'the host')} is not a valid host name or address`);
    profile.host = host;
  }
  if (portText === undefined) return undefined;
  if (portText === '') fail('has ":" after the host but no port number');
  const port = parsePort(portText);
  if (port === undefined) fail(`the port ${quoted(portText, 'after ":"')} must be a number from 1 to 65535`);
  return port;
}

function readQuery(query: string, scheme: Scheme, profile: ConnectionProfile): void {
  // A raw '&' or ';' inside a password splits it into pieces that would look like other keys;
  // once a password is present, nothing from the query is quoted back.
  const mayHoldPassword = /(^|[;&])password=/.test(query);
  const quoteKey = (key: string): string => (mayHoldPassword ? 'a query key' : `the query key "${key}"`);
  const seen = new Set<string>();
  for (const item of query.split(/[;&]/)) {
    if (item === '') continue;
    const eq = item.indexOf('=');
    const key = eq < 0 ? item : item.slice(0, eq);
    if (eq < 0 || !/^[-A-Za-z0-9]{1,31}$/.test(key)) {
      const shown = mayHoldPassword ? '' : quoted(item, '');
      fail(shown === '' ? 'has a query part that is not key=value' : `has a query part ${shown} that is not key=value`);
    }
    if (key !== 'port' && key !== 'tls-port' && key !== 'password' && key !== 'video-codecs') {
      fail(`${quoteKey(key)} is unknown; the keys are port, tls-port, password and video-codecs`);
    }
    if (scheme === 'spice+tls' && key !== 'password' && key !== 'video-codecs') {
      fail(`spice+tls:// does not take ${key}=; write the TLS port after the host, as in spice+tls://host:5901`);
    }
    if (seen.has(key)) fail(`the query key "${key}" is given twice`);
    seen.add(key);
    const rawValue = item.slice(eq + 1);
    if (key === 'password') {
      // An empty password= is an explicit empty password.
      profile.password = decode(rawValue, 'the password');
      profile.warnings.push(`${PREFIX}: ${URI_PASSWORD_WARNING}`);
      continue;
    }
    const value = decode(rawValue, `the query key "${key}"`);
    if (key === 'video-codecs') {
      const list = readVideoCodecList(value);
      if ('problem' in list) fail(`the query key "video-codecs" ${list.problem}`);
      profile.videoCodecs = list;
      continue;
    }
    const port = parsePort(value);
    if (port === undefined) {
      fail(`the query key "${key}" must be a number from 1 to 65535${mayHoldPassword ? '' : `, got ${quoted(value, 'something else')}`}`);
    }
    if (key === 'port') profile.port = port;
    else profile.tlsPort = port;
  }
}

/** ws:// and wss://: host and port are checked; the path and query belong to the WebSocket server. */
function parseWebSocketUri(scheme: 'ws' | 'wss', rest: string, profile: ConnectionProfile): ConnectionProfile {
  if (rest.includes('#')) fail('contains "#"; fragments are not supported (percent-encode it as %23)');
  if (/\s/.test(rest)) fail(`${scheme}:// URIs must not contain spaces (percent-encode them as %20)`);
  const authorityEnd = rest.search(/[/?]/);
  const authority = authorityEnd < 0 ? rest : rest.slice(0, authorityEnd);
  let tail = authorityEnd < 0 ? '/' : rest.slice(authorityEnd);
  if (tail.startsWith('?')) tail = `/${tail}`;
  if (authority.includes('@')) fail(`${scheme}:// does not take a user part; give the password with SPICE_PASSWORD`);
  const port = readAuthority(authority, profile) ?? (scheme === 'ws' ? 80 : 443);
  profile.port = port;
  const host = hostForMessage(profile);
  profile.webSocketUrl = `${scheme}://${host}:${port}${tail}`;
  return profile;
}
