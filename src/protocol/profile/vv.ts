// remote-viewer connection files (.vv): GKeyFile syntax, a mandatory [virt-viewer] group with
// type=spice, the keys virt-viewer's file reader knows, an optional [ovirt] group, and `x-`
// extension keys. Every known key is validated; unknown keys only warn, like remote-viewer, which
// ignores them.
import { SpiceError } from '../wire/errors.ts';
import { readVideoCodecList } from './video-codecs.ts';
import { readKeyFile, unescapeValue, VV_PREFIX, type KeyFileEntry, type KeyFileGroup } from './keyfile.ts';
import {
  emptyProfile,
  GUEST_EFFECTS,
  HOTKEY_ACTIONS,
  SPICE_CHANNEL_NAMES,
  type ConnectionProfile,
  type GuestEffect,
  type HotkeyAction,
} from './types.ts';
import { holdsPemCertificate } from './pem.ts';
import { checkHotkey, checkUsbFilter, checkVvHost, parseProxyUrl } from './values.ts';

export const MAX_VV_BYTES = 1024 * 1024;
const MAIN_GROUP = 'virt-viewer';
const OVIRT_GROUP = 'ovirt';

/** Keys whose values must never be quoted back. */
const SECRET_KEYS = new Set(['password', 'proxy', 'jsessionid', 'sso-token']);

/** Keys people put in .vv files that belong elsewhere, with where they do belong. */
// Maps, not objects: a key named __proto__, constructor or toString must find nothing.
const MISPLACED_KEY_HINTS = new Map<string, string>([
  ['kiosk', 'kiosk mode is a command-line option, not a .vv key'],
  ['kiosk-quit', 'kiosk-quit is a command-line option, not a .vv key'],
  ['hotkeys', 'a .vv file has one key per action (toggle-fullscreen=..., release-cursor=...)'],
  ['monitor-mapping', 'monitor-mapping belongs in the per-user settings file, not in a .vv file'],
  ['share-clipboard', 'share-clipboard belongs in the per-user settings file, not in a .vv file'],
  ['address', 'the key for the server is "host"'],
]);

function fail(message: string): never {
  throw new SpiceError('usage', `${VV_PREFIX}: ${message}`);
}

/** Decode and check raw file bytes (size, UTF-16, NUL bytes, UTF-8), then parse. */
export function parseVvBytes(bytes: Uint8Array): ConnectionProfile {
  if (bytes.byteLength > MAX_VV_BYTES) {
    fail(`is ${bytes.byteLength} bytes; a connection file is at most ${MAX_VV_BYTES} bytes (1 MiB)`);
  }
  if (bytes.byteLength >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) {
    fail('is UTF-16 text; save it as UTF-8');
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) fail(`contains binary data (a NUL byte at offset ${nul}); is this really a .vv file?`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return fail('is not valid UTF-8 text');
  }
  return parseVvFile(text);
}

export function parseVvFile(text: string): ConnectionProfile {
  // UTF-16 code units; a file this long in characters is at least this long in bytes.
  if (text.length > MAX_VV_BYTES) fail(`is bigger than 1 MiB; a connection file is a few kilobytes`);
  const control = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]|\r(?!\n)/.exec(text);
  if (control) {
    const line = text.slice(0, control.index).split('\n').length;
    const code = control[0].charCodeAt(0).toString(16).padStart(2, '0');
    if (control[0] === '\r') fail(`line ${line} ends with a bare carriage return; use LF or CRLF line endings`);
    fail(`contains binary data (control character 0x${code} on line ${line}); is this really a .vv file?`);
  }

  const file = readKeyFile(text);
  const main = file.groups.get(MAIN_GROUP);
  if (!main) fail('has no [virt-viewer] group; this is not a remote-viewer connection file');
  checkType(main);

  const profile = emptyProfile('vv');
  const reader = new GroupReader(main, profile);
  const unknownKeys = new CappedWarnings(profile.warnings, (more) => `${VV_PREFIX}: ${more} more unknown keys in [virt-viewer] ignored`);
  const repeatedKeys = new CappedWarnings(profile.warnings, (more) => `${VV_PREFIX}: ${more} more keys appear more than once; the last of each is used`);
  const unknownGroups = new CappedWarnings(profile.warnings, (more) => `${VV_PREFIX}: ${more} more unknown groups ignored`);
  for (const entry of main.entries.values()) {
    if (entry.key === 'type') continue;
    const handler = MAIN_KEY_HANDLERS.get(entry.key);
    if (handler) {
      handler(reader, entry);
    } else if (entry.key.startsWith('x-')) {
      const value = reader.lenientString(entry);
      if (value !== undefined) profile.extras[entry.key] = value;
    } else {
      const hint = MISPLACED_KEY_HINTS.get(entry.key);
      unknownKeys.add(`${VV_PREFIX}: unknown key "${entry.key}" in [virt-viewer] ignored (line ${entry.line})${hint ? `; ${hint}` : ''}`);
    }
  }
  for (const r of file.repeated) {
    if (r.group !== MAIN_GROUP && r.group !== OVIRT_GROUP) continue;
    repeatedKeys.add(`${VV_PREFIX}: key "${r.key}" appears more than once in [${r.group}]; the last one (line ${r.line}) is used`);
  }

  for (const group of file.groups.values()) {
    if (group.name === MAIN_GROUP || group.name.startsWith('x-')) continue;
    if (group.name === OVIRT_GROUP) {
      const ovirtReader = new GroupReader(group, profile);
      for (const entry of group.entries.values()) {
        const value = ovirtReader.lenientString(entry);
        if (value !== undefined) profile.ovirt[entry.key] = value;
      }
    } else {
      unknownGroups.add(`${VV_PREFIX}: unknown group [${group.name}] ignored (line ${group.line})`);
    }
  }
  for (const capped of [unknownKeys, repeatedKeys, unknownGroups]) capped.finish();

  checkEndpoint(profile);
  return profile;
}

/** How many warnings of one kind are listed one by one; the rest are counted in one line. */
export const WARNINGS_LISTED = 10;

/** Warnings of one kind: the first WARNINGS_LISTED as they are, then one line that counts the rest. */
class CappedWarnings {
  private listed = 0;
  private more = 0;
  constructor(
    private readonly warnings: string[],
    private readonly summary: (more: string) => string,
  ) {}

  add(line: string): void {
    if (this.listed < WARNINGS_LISTED) {
      this.warnings.push(line);
      this.listed++;
    } else {
      this.more++;
    }
  }

  finish(): void {
    if (this.more > 0) this.warnings.push(this.summary(this.more.toLocaleString('en-US')));
  }
}

function checkType(main: KeyFileGroup): void {
  const entry = main.entries.get('type');
  if (!entry) fail('[virt-viewer] has no "type" key; a SPICE connection file needs type=spice');
  const type = entry.raw.trim().toLowerCase();
  if (type === 'spice') return;
  if (type === 'vnc') fail('type "vnc" is not supported; spicedesk connects to SPICE servers only (type=spice)');
  if (type === 'ovirt') {
    fail('type "ovirt" (log in to an oVirt engine) is not supported; download a console.vv with type=spice from the oVirt portal instead');
  }
  fail(`key "type" in [virt-viewer] must be "spice", got ${quote(entry.raw)} (line ${entry.line})`);
}

function checkEndpoint(profile: ConnectionProfile): void {
  if (profile.unixPath !== undefined) {
    if (profile.host !== undefined || profile.port !== undefined || profile.tlsPort !== undefined) {
      fail('unix-path cannot be combined with host, port or tls-port; keep one way to reach the server');
    }
    if (profile.secureChannels.length > 0) fail('secure-channels cannot be used with unix-path: there is no TLS on Unix sockets');
    return;
  }
  if (profile.host === undefined) fail('[virt-viewer] needs a host (or a unix-path)');
  if (profile.port === undefined && profile.tlsPort === undefined) {
    fail('[virt-viewer] needs a port or a tls-port (from 1 to 65535) next to the host');
  }
}

function quote(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
}

/** Reads the values of one group, with errors that name the key, the group and the line. */
class GroupReader {
  constructor(
    readonly group: KeyFileGroup,
    readonly profile: ConnectionProfile,
  ) {}

  fail(entry: KeyFileEntry, problem: string): never {
    return fail(`key "${entry.key}" in [${this.group.name}] ${problem} (line ${entry.line})`);
  }

  /** `got "..."`, unless the key holds a secret. */
  got(entry: KeyFileEntry, value: string): string {
    return SECRET_KEYS.has(entry.key) ? '' : `, got ${quote(value)}`;
  }

  string(entry: KeyFileEntry): string {
    const result = unescapeValue(entry.raw);
    if (!result.ok) this.fail(entry, this.escapeProblem(entry, result.problem, result.sequence));
    return result.text;
  }

  /** For values kept as-is: a bad escape only warns, and the raw text is kept. */
  lenientString(entry: KeyFileEntry): string | undefined {
    const result = unescapeValue(entry.raw);
    if (result.ok) return result.text;
    this.profile.warnings.push(
      `${VV_PREFIX}: key "${entry.key}" in [${this.group.name}] ${this.escapeProblem(entry, result.problem, result.sequence)}; the text is kept as written (line ${entry.line})`,
    );
    return entry.raw;
  }

  private escapeProblem(entry: KeyFileEntry, problem: 'trailing-backslash' | 'bad-escape', sequence: string): string {
    if (problem === 'trailing-backslash') return 'ends with a backslash (there is no line continuation in .vv files)';
    const shown = SECRET_KEYS.has(entry.key) ? 'an invalid escape sequence' : `the invalid escape sequence "${sequence}"`;
    return `has ${shown}; the escapes are \\s \\t \\n \\r \\\\ (write \\\\ for a backslash)`;
  }

  /** A string setting; an empty one is treated as absent, with a warning. */
  optional(entry: KeyFileEntry): string | undefined {
    const value = this.string(entry);
    if (value.trim() !== '') return value;
    this.profile.warnings.push(`${VV_PREFIX}: key "${entry.key}" in [${this.group.name}] is empty and was ignored (line ${entry.line})`);
    return undefined;
  }

  /** A one-line string: no control characters after unescaping. */
  line(entry: KeyFileEntry): string | undefined {
    const value = this.optional(entry);
    if (value !== undefined && /[\u0000-\u001f\u007f]/.test(value)) this.fail(entry, 'must be a single line without control characters');
    return value?.trim();
  }

  integer(entry: KeyFileEntry): number | undefined {
    const value = this.optional(entry);
    if (value === undefined) return undefined;
    if (!/^[+-]?[0-9]{1,10}$/.test(value.trim())) this.fail(entry, `must be a whole number${this.got(entry, value)}`);
    return Number(value.trim());
  }

  /** A port; -1 and 0 mean "none" (oVirt writes port=-1 when only TLS is open). */
  port(entry: KeyFileEntry): number | undefined {
    const value = this.optional(entry);
    if (value === undefined) return undefined;
    const text = value.trim();
    if (text === '-1' || text === '0') return undefined;
    const n = /^\+?[0-9]{1,10}$/.test(text) ? Number(text) : NaN;
    if (!(n >= 1 && n <= 65535)) this.fail(entry, `must be a number from 1 to 65535${this.got(entry, value)}`);
    return n;
  }

  flag(entry: KeyFileEntry): boolean | undefined {
    const value = this.optional(entry);
    if (value === undefined) return undefined;
    const text = value.trim();
    if (text !== '0' && text !== '1') this.fail(entry, `must be 0 or 1${this.got(entry, value)}`);
    return text === '1';
  }

  /** A `;`-separated list (`,` tolerated); blank items dropped. */
  list(entry: KeyFileEntry): string[] | undefined {
    const result = unescapeValue(entry.raw, ';,');
    if (!result.ok) this.fail(entry, this.escapeProblem(entry, result.problem, result.sequence));
    const items = result.items.map((s) => s.trim()).filter((s) => s !== '');
    if (items.length > 0) return items;
    this.profile.warnings.push(`${VV_PREFIX}: key "${entry.key}" in [${this.group.name}] is empty and was ignored (line ${entry.line})`);
    return undefined;
  }

  channels(entry: KeyFileEntry, allowAll: boolean): string[] | undefined {
    const names = this.list(entry);
    if (!names) return undefined;
    const known: readonly string[] = SPICE_CHANNEL_NAMES;
    for (const name of names) {
      if (allowAll && name === 'all') return ['all'];
      if (!known.includes(name)) {
        this.fail(entry, `has unknown channel "${name}"; channel names are ${allowAll ? 'all, ' : ''}${SPICE_CHANNEL_NAMES.join(', ')}`);
      }
    }
    return [...new Set(names)];
  }
}

type KeyHandler = (r: GroupReader, entry: KeyFileEntry) => void;

const hotkeyHandler =
  (action: HotkeyAction): KeyHandler =>
  (r, entry) => {
    const value = r.string(entry);
    if (/[\u0000-\u001f\u007f]/.test(value)) r.fail(entry, 'must be a single line without control characters');
    const checked = checkHotkey(value);
    if (!checked.ok) return r.fail(entry, checked.problem);
    r.profile.hotkeys[action] = checked.value;
  };

/** One handler per [virt-viewer] key virt-viewer's file reader knows (except `type`). */
const MAIN_KEY_HANDLER_LIST: Record<string, KeyHandler> = {
  host: (r, e) => {
    const value = r.line(e);
    if (value === undefined) return;
    const checked = checkVvHost(value);
    if (!checked.ok) return r.fail(e, `${checked.problem}${r.got(e, value)}`);
    r.profile.host = checked.value;
  },
  port: (r, e) => {
    r.profile.port = r.port(e);
  },
  'tls-port': (r, e) => {
    r.profile.tlsPort = r.port(e);
  },
  'unix-path': (r, e) => {
    r.profile.unixPath = r.line(e);
  },
  username: (r, e) => {
    r.profile.username = r.line(e);
  },
  password: (r, e) => {
    // Kept exactly, blanks included: a password may legitimately end in a space.
    r.profile.password = r.string(e);
  },
  proxy: (r, e) => {
    const value = r.line(e);
    if (value === undefined) return;
    const checked = parseProxyUrl(value);
    if (!checked.ok) return r.fail(e, checked.problem);
    r.profile.proxy = value;
  },
  ca: (r, e) => {
    const value = r.optional(e);
    if (value === undefined) return;
    if (!holdsPemCertificate(value)) {
      r.fail(e, 'must hold PEM certificates (-----BEGIN CERTIFICATE----- ... with \\n between the lines)');
    }
    r.profile.ca = value;
  },
  'host-subject': (r, e) => {
    r.profile.hostSubject = r.line(e);
  },
  'tls-ciphers': (r, e) => {
    r.profile.tlsCiphers = r.line(e);
  },
  'secure-channels': (r, e) => {
    r.profile.secureChannels = r.channels(e, true) ?? [];
  },
  'disable-channels': (r, e) => {
    const channels = r.channels(e, false) ?? [];
    if (channels.includes('main')) r.fail(e, 'cannot disable the main channel; nothing works without it');
    r.profile.disableChannels = channels;
  },
  title: (r, e) => {
    r.profile.title = r.optional(e);
  },
  fullscreen: (r, e) => {
    r.profile.fullscreen = r.flag(e);
  },
  'delete-this-file': (r, e) => {
    r.profile.deleteThisFile = r.flag(e);
  },
  'enable-usbredir': (r, e) => {
    r.profile.enableUsbredir = r.flag(e);
  },
  'enable-usb-autoshare': (r, e) => {
    r.profile.enableUsbAutoshare = r.flag(e);
  },
  'enable-smartcard': (r, e) => {
    r.profile.enableSmartcard = r.flag(e);
  },
  'usb-filter': (r, e) => {
    r.profile.usbFilter = usbRules(r, e);
  },
  'usb-redirect-on-connect': (r, e) => {
    r.profile.usbRedirectOnConnect = usbRules(r, e);
  },
  'color-depth': (r, e) => {
    const depth = r.integer(e);
    if (depth === undefined) return;
    if (depth !== 16 && depth !== 32) return r.fail(e, `must be 16 or 32, got ${depth}`);
    r.profile.colorDepth = depth;
  },
  'disable-effects': (r, e) => {
    const names = r.list(e);
    if (!names) return;
    const effects = new Set<GuestEffect>();
    for (const name of names) {
      if (name === 'all') GUEST_EFFECTS.forEach((x) => effects.add(x));
      else if ((GUEST_EFFECTS as readonly string[]).includes(name)) effects.add(name as GuestEffect);
      else r.fail(e, `has unknown effect "${name}"; effects are ${GUEST_EFFECTS.join(', ')}, all`);
    }
    r.profile.disableEffects = GUEST_EFFECTS.filter((x) => effects.has(x));
  },
  'video-codecs': (r, e) => {
    const value = r.line(e);
    if (value === undefined) return;
    const list = readVideoCodecList(value);
    if ('problem' in list) return r.fail(e, list.problem);
    r.profile.videoCodecs = list;
  },
  version: (r, e) => {
    const value = r.line(e);
    if (value === undefined) return;
    if (!/^[0-9][0-9A-Za-z.+~_-]*$/.test(value)) r.fail(e, `must be a version such as 7.0 or 2.0-160${r.got(e, value)}`);
    r.profile.version = value;
  },
  versions: (r, e) => {
    const items = r.list(e);
    if (!items) return;
    const versions: Record<string, string> = Object.create(null);
    for (const item of items) {
      const colon = item.indexOf(':');
      if (colon <= 0 || colon === item.length - 1) r.fail(e, `must be os-id:version pairs separated by ";", got ${quote(item)}`);
      versions[item.slice(0, colon)] = item.slice(colon + 1);
    }
    r.profile.versions = versions;
  },
  'newer-version-url': (r, e) => {
    r.profile.newerVersionUrl = r.line(e);
  },
  ...Object.fromEntries(HOTKEY_ACTIONS.map((action) => [action, hotkeyHandler(action)])),
};
const MAIN_KEY_HANDLERS = new Map<string, KeyHandler>(Object.entries(MAIN_KEY_HANDLER_LIST));

function usbRules(r: GroupReader, e: KeyFileEntry): string | undefined {
  const value = r.line(e);
  if (value === undefined) return undefined;
  const checked = checkUsbFilter(value);
  if (!checked.ok) return r.fail(e, checked.problem);
  return checked.value;
}

/**
 * Whether a .vv file that failed validation still asks to be deleted (delete-this-file=1 in
 * [virt-viewer]). Read line by line without the parser, so that a file refused for any other
 * reason is removed anyway: it may hold a one-time password that must not stay on disk.
 */
export function asksToBeDeleted(text: string): boolean {
  let group = '';
  let asked = false;
  for (const rawLine of text.split('\n')) {
    const line = rawLine.replace(/^\ufeff/, '').trim();
    if (line.startsWith('[')) {
      const close = line.indexOf(']');
      group = close > 0 ? line.slice(1, close) : '';
    } else if (group === MAIN_GROUP) {
      const eq = line.indexOf('=');
      // The last one counts, as in the parser.
      if (eq > 0 && line.slice(0, eq).trim() === 'delete-this-file') asked = line.slice(eq + 1).trim() === '1';
    }
  }
  return asked;
}
