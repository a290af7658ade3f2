// Per-VM settings kept between runs, as virt-viewer keeps `monitor-mapping` per VM UUID in
// ~/.config/virt-viewer/settings (with a `fallback` group for VMs it has no entry for). Ours is
// one JSON file, settings.json, in the platform's per-user config folder. The Electron app keeps
// the hosts a spice:// link may open without asking there too (electron/link-consent.ts), so that
// one file, with one set of rules for a damaged copy, holds what spicedesk remembers.
//
// The file is the user's: it may have been edited by hand, truncated by a crash or replaced by
// anything. What is read is validated strictly; a file that does not pass is reported in one
// line and set aside as settings.json.corrupt-<time> before a new one is written, never silently
// overwritten. Writes go to a temporary file in the same folder that is then renamed over the
// old one, so a reader sees the old file or the new one, never half of one.
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { formatMonitorMapping, parseMonitorMapping, type MonitorMapping } from '../../protocol/monitors/monitor-mapping.ts';

export const SETTINGS_FILE_NAME = 'settings.json';
const SETTINGS_VERSION = 1;
/** A settings file this large was not written by spicedesk. */
const MAX_SETTINGS_BYTES = 1024 * 1024;
/** Entries beyond this are not a desk's worth of VMs; the file is refused rather than trusted. */
const MAX_VMS = 10_000;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MAX_NAME_CHARS = 256;
/** More allowed link hosts than this are not a person's choices, one dialog at a time. */
export const MAX_ALLOWED_LINK_HOSTS = 1000;
/** A DNS name is at most 253 characters; a unix socket path a little more (see link-consent.ts). */
const MAX_LINK_HOST_CHARS = 300;

/** What is remembered for one VM. */
export interface VmSettings {
  /** virt-viewer's `1:2;2:1`, validated on reading. */
  monitorMapping?: MonitorMapping;
  /** The VM's name when it was stored: for a person reading the file (virt-viewer adds it as a comment). */
  name?: string;
}

export interface SettingsData {
  vms: Map<string, VmSettings>;
  /** Used for a VM without an entry of its own, as virt-viewer's `[fallback]` group. */
  fallback?: VmSettings;
  /**
   * Hosts a spice:// link may open a session to without asking ("always allow this host" in the
   * Electron app's dialog), as link-consent.ts names them: lower-case host names and addresses,
   * `unix:` and a socket path for spice+unix.
   */
  allowedLinkHosts: string[];
}

/**
 * The folder spicedesk keeps its settings in: $XDG_CONFIG_HOME/spicedesk or ~/.config/spicedesk
 * on Linux and other Unixes, %APPDATA%\spicedesk on Windows, ~/Library/Application Support/spicedesk
 * on macOS. SPICEDESK_CONFIG_DIR, when set, is used as it is (tests, portable installs).
 */
export function settingsDir(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  const own = env.SPICEDESK_CONFIG_DIR;
  if (own && own.trim() !== '') return own;
  if (platform === 'win32') {
    const appData = env.APPDATA && env.APPDATA.trim() !== '' ? env.APPDATA : join(home, 'AppData', 'Roaming');
    return join(appData, 'spicedesk');
  }
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'spicedesk');
  // XDG says a relative XDG_CONFIG_HOME is invalid and must be ignored.
  const xdg = env.XDG_CONFIG_HOME;
  const base = xdg && xdg.startsWith('/') ? xdg : join(home, '.config');
  return join(base, 'spicedesk');
}

/** A UUID as the main channel reports it, lower case; null when it is not one. */
export function normalizeUuid(uuid: string): string | null {
  const lower = uuid.trim().toLowerCase();
  return UUID_PATTERN.test(lower) ? lower : null;
}

/**
 * The settings file's contents, validated: throws an Error whose message says what is wrong
 * (for the one-line report); unknown keys are refused too, since they mean another program or
 * a typo wrote the file.
 */
export function parseSettings(text: string): SettingsData {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`it is not JSON (${(e as Error).message})`);
  }
  const top = plainObject(raw, 'the file');
  onlyKeys(top, ['version', 'vms', 'fallback', 'allowedLinkHosts'], 'the file');
  if (top.version !== SETTINGS_VERSION) throw new Error(`"version" is ${JSON.stringify(top.version)}, this spicedesk reads version ${SETTINGS_VERSION}`);
  const vms = new Map<string, VmSettings>();
  if (top.vms !== undefined) {
    const entries = Object.entries(plainObject(top.vms, '"vms"'));
    if (entries.length > MAX_VMS) throw new Error(`"vms" has ${entries.length} entries, more than ${MAX_VMS}`);
    for (const [key, value] of entries) {
      const uuid = normalizeUuid(key);
      if (!uuid || uuid !== key) throw new Error(`"vms" key ${JSON.stringify(key.slice(0, 60))} is not a lower-case VM UUID`);
      vms.set(uuid, vmSettings(value, `VM ${uuid}`));
    }
  }
  const data: SettingsData = { vms, allowedLinkHosts: top.allowedLinkHosts === undefined ? [] : linkHosts(top.allowedLinkHosts) };
  if (top.fallback !== undefined) data.fallback = vmSettings(top.fallback, '"fallback"');
  return data;
}

function linkHosts(value: unknown): string[] {
  if (!Array.isArray(value)) throw new Error('"allowedLinkHosts" must be a JSON array of host names');
  if (value.length > MAX_ALLOWED_LINK_HOSTS) throw new Error(`"allowedLinkHosts" has ${value.length} entries, more than ${MAX_ALLOWED_LINK_HOSTS}`);
  const out: string[] = [];
  for (const [i, host] of value.entries()) {
    if (!isLinkHostKey(host)) throw new Error(`"allowedLinkHosts" entry ${i + 1} is not a lower-case host name or address, or unix:/PATH`);
    if (!out.includes(host)) out.push(host);
  }
  return out;
}

/**
 * A key as link-consent.ts makes them, bounded: a host in lower case without spaces, or `unix:`
 * and an absolute socket path (kept as it is: paths are case-sensitive); no control characters.
 */
export function isLinkHostKey(value: unknown): value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_LINK_HOST_CHARS || /[\u0000-\u001f\u007f]/.test(value)) return false;
  if (value.startsWith('unix:/')) return true;
  return value === value.toLowerCase() && !/\s/.test(value);
}

function vmSettings(value: unknown, where: string): VmSettings {
  const o = plainObject(value, where);
  onlyKeys(o, ['monitorMapping', 'name'], where);
  const out: VmSettings = {};
  if (o.monitorMapping !== undefined) {
    if (typeof o.monitorMapping !== 'string') throw new Error(`${where}: "monitorMapping" must be a string such as "1:2;2:1"`);
    try {
      out.monitorMapping = parseMonitorMapping(o.monitorMapping);
    } catch (e) {
      throw new Error(`${where}: ${(e as Error).message}`);
    }
  }
  if (o.name !== undefined) {
    if (typeof o.name !== 'string' || o.name.length > MAX_NAME_CHARS) throw new Error(`${where}: "name" must be a string of at most ${MAX_NAME_CHARS} characters`);
    out.name = o.name;
  }
  return out;
}

function plainObject(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${where} must be a JSON object`);
  return value as Record<string, unknown>;
}

function onlyKeys(o: Record<string, unknown>, allowed: string[], where: string): void {
  for (const key of Object.keys(o)) {
    if (!allowed.includes(key)) throw new Error(`${where} has an unknown key ${JSON.stringify(key.slice(0, 60))}`);
  }
}

/** The file's text for `data`: stable key order, so that a person can diff two versions. */
export function formatSettings(data: SettingsData): string {
  const vms: Record<string, unknown> = {};
  for (const uuid of [...data.vms.keys()].sort()) vms[uuid] = vmJson(data.vms.get(uuid) ?? {});
  const top: Record<string, unknown> = { version: SETTINGS_VERSION, vms };
  if (data.fallback) top.fallback = vmJson(data.fallback);
  if (data.allowedLinkHosts.length > 0) top.allowedLinkHosts = [...data.allowedLinkHosts].sort();
  return JSON.stringify(top, null, 2) + '\n';
}

function vmJson(s: VmSettings): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (s.name !== undefined) out.name = s.name;
  if (s.monitorMapping !== undefined) out.monitorMapping = formatMonitorMapping(s.monitorMapping);
  return out;
}

export interface SettingsStoreOptions {
  /** Where problems with the file go, one line each (the CLI's warning line, the app's log). */
  warn: (line: string) => void;
  /** The time in the name a corrupt file is kept under; injected for tests. */
  now?: () => Date;
}

/**
 * The settings file of one folder. Read once, lazily; every change is written at once. A file
 * that could not be read is never written over: the store works from empty settings and, on the
 * first write, renames the bad file aside (or, when it cannot even be renamed, writes nothing).
 */
export class SettingsStore {
  private data: SettingsData | null = null;
  /** Set while the file on disk is one we refused: it is renamed aside before the next write. */
  private badFile = false;
  /** Set when the bad file could not be set aside: writing would lose it, so nothing is written. */
  private readOnly = false;

  constructor(
    readonly dir: string,
    private readonly o: SettingsStoreOptions,
  ) {}

  get file(): string {
    return join(this.dir, SETTINGS_FILE_NAME);
  }

  /** The mapping remembered for this VM, else the fallback one, else null. */
  monitorMapping(uuid: string): MonitorMapping | null {
    const data = this.load();
    const key = normalizeUuid(uuid);
    const own = key ? data.vms.get(key)?.monitorMapping : undefined;
    return own ?? data.fallback?.monitorMapping ?? null;
  }

  /**
   * Remembers `mapping` for this VM (and its name, for whoever reads the file). Returns false,
   * having said why through `warn`, when it could not be stored; nothing is written when the
   * stored mapping is already this one.
   */
  rememberMonitorMapping(uuid: string, mapping: MonitorMapping, name?: string): boolean {
    const key = normalizeUuid(uuid);
    if (!key) {
      this.o.warn(`not remembering the monitor mapping: "${uuid.slice(0, 60)}" is not a VM UUID`);
      return false;
    }
    const data = this.load();
    const before = data.vms.get(key) ?? {};
    const same = before.monitorMapping !== undefined && formatMonitorMapping(before.monitorMapping) === formatMonitorMapping(mapping);
    if (same && (name === undefined || before.name === name)) return true;
    data.vms.set(key, { ...before, monitorMapping: [...mapping], ...(name !== undefined ? { name: name.slice(0, MAX_NAME_CHARS) } : {}) });
    return this.save(data);
  }

  /** Whether "always allow this host" was chosen for `key` (a link-consent.ts host key). */
  linkHostAllowed(key: string): boolean {
    return this.load().allowedLinkHosts.includes(key);
  }

  /** Remembers that links may open sessions to `key` without asking; false (said through `warn`) when it could not be stored. */
  allowLinkHost(key: string): boolean {
    const given: string = key;
    if (!isLinkHostKey(key)) {
      this.o.warn(`not remembering the link host "${given.slice(0, 60)}": not a host key`);
      return false;
    }
    const data = this.load();
    if (data.allowedLinkHosts.includes(key)) return true;
    if (data.allowedLinkHosts.length >= MAX_ALLOWED_LINK_HOSTS) {
      this.o.warn(`not remembering the link host ${key}: ${MAX_ALLOWED_LINK_HOSTS} hosts are allowed already`);
      return false;
    }
    data.allowedLinkHosts.push(key);
    return this.save(data);
  }

  private load(): SettingsData {
    if (this.data) return this.data;
    this.data = { vms: new Map(), allowedLinkHosts: [] };
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(this.file);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code !== 'ENOENT') this.refuseFile(`it cannot be read: ${err.message}`, false);
      return this.data;
    }
    if (bytes.byteLength > MAX_SETTINGS_BYTES) {
      this.refuseFile(`it is ${bytes.byteLength} bytes, more than spicedesk ever writes (${MAX_SETTINGS_BYTES})`, true);
      return this.data;
    }
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      this.refuseFile('it is not UTF-8 text', true);
      return this.data;
    }
    try {
      this.data = parseSettings(text);
    } catch (e) {
      this.refuseFile((e as Error).message, true);
    }
    return this.data;
  }

  /** `setAside`: the file is there but unusable (kept as .corrupt-<time> on the next write); otherwise it cannot even be read, and is left alone. */
  private refuseFile(why: string, setAside: boolean): void {
    if (setAside) {
      this.badFile = true;
      this.o.warn(`the settings file ${this.file} is not usable (${why}); ignoring it, and keeping it as ${SETTINGS_FILE_NAME}.corrupt-<time> when settings are next saved`);
    } else {
      this.readOnly = true;
      this.o.warn(`the settings file ${this.file} is not usable (${why}); ignoring it, and not saving settings this time`);
    }
  }

  private save(data: SettingsData): boolean {
    if (this.readOnly) return false;
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      if (this.badFile) {
        const stamp = (this.o.now?.() ?? new Date()).toISOString().replace(/[:.]/g, '-');
        const aside = `${this.file}.corrupt-${stamp}`;
        try {
          renameSync(this.file, aside);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
            this.readOnly = true;
            this.o.warn(`could not keep the unusable settings file as ${aside} (${(e as Error).message}); not saving settings, so that it is not lost`);
            return false;
          }
        }
        this.badFile = false;
        this.o.warn(`kept the unusable settings file as ${aside}`);
      }
      writeAtomically(this.file, formatSettings(data));
      return true;
    } catch (e) {
      this.o.warn(`could not save settings to ${this.file} (${(e as Error).message})`);
      return false;
    }
  }
}

/** Writes a temporary file beside `file`, flushes it, then renames it over `file`. */
function writeAtomically(file: string, text: string): void {
  const temp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  let fd: number | null = null;
  try {
    fd = openSync(temp, 'wx', 0o600);
    writeSync(fd, text);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(temp, file);
  } catch (e) {
    if (fd !== null) closeSync(fd);
    rmSync(temp, { force: true });
    throw e;
  }
}
