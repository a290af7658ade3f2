// Whether a TARGET opens its session at once or the user is asked first. The app is the handler of
// spice://, spice+tls:// and spice+unix:// links, so any web page can hand it a server; such a
// session would get the user's keystrokes and, on focus, the local clipboard. A TARGET from a link
// (macOS open-url; on Windows and Linux a start, or a second instance's, whose command line the
// system made from the link) is therefore shown to the user, host, port and encryption, with
// Connect / Cancel and "always allow this host" (remembered in settings.json, settings-store.ts).
//
// Not asked: TARGETs typed on a command line (`spicedesk open URI`, `spicedesk FILE.vv`), File >
// Open, and .vv files opened from the file manager or Finder. A file is on the user's disk and
// opening it is the user's own act, as remote-viewer treats it (it never asks), and oVirt's and
// Proxmox's consoles hand out one-time .vv files that are opened this way; a browser opens a
// downloaded .vv by itself only when the user told it to for that type. Links ask because a page
// can follow one without the user choosing that server at all.
//
// Plain decisions only, tested without Electron; electron-main.ts shows the dialog.
import { parseSpiceUri } from '../../protocol/profile/index.ts';
import { isLinkHostKey } from '../monitors/settings-store.ts';

/** Where a TARGET came from, for the question whether to ask. */
export type TargetOrigin = 'command-line' | 'file' | 'link';

/**
 * The switch the system puts before a link's URI when it starts the app for one: in the Linux
 * desktop entry (electron-builder.yml `linux.executableArgs`) and in the Windows protocol
 * registration (electron-main.ts, with `--` after it so that a URI is never read as a switch).
 * Nobody types it; a command line without it is the user's own.
 */
export const FROM_LINK_SWITCH = '--from-link';

/**
 * Whether a command line (ours or a second instance's) was made by the system for a link. Looked
 * for anywhere, not only before `--`: Chromium may reorder a second instance's switches, a link's
 * URI can never be this word, and a command line wrongly taken for a link only asks once more.
 */
export function launchedFromLink(argv: readonly string[]): boolean {
  return argv.includes(FROM_LINK_SWITCH);
}

const SPICE_SCHEME = /^(spice|spice\+tls|spice\+unix):\/\//i;
const MAX_SHOWN_CHARS = 200;

/** Where a link's session would go, as the dialog shows it. */
export interface LinkDestination {
  /**
   * The settings.json key "always allow" remembers: the host in lower case, or `unix:` and the
   * socket path; null when it cannot be stored (a path too long for the file), and the dialog
   * then has no "always allow".
   */
  hostKey: string | null;
  /** The host as the dialog shows it (IPv6 in brackets), or the socket path. */
  shownHost: string;
  /** How the session's channels would travel, in words. */
  transport: string;
}

/**
 * The destination of a spice URI; null for anything else (a file, a file:// URI) and for a URI
 * that does not parse: that window connects nowhere and says why, so there is nothing to ask.
 */
export function linkDestination(target: string): LinkDestination | null {
  if (!SPICE_SCHEME.test(target)) return null;
  let profile;
  try {
    profile = parseSpiceUri(target);
  } catch {
    return null;
  }
  if (profile.unixPath !== undefined) {
    const key = `unix:${profile.unixPath}`;
    return { hostKey: isLinkHostKey(key) ? key : null, shownHost: shown(profile.unixPath), transport: 'through a socket on this computer' };
  }
  const host = profile.host;
  if (host === undefined) return null;
  const key = host.toLowerCase().replace(/\.$/, '');
  const shownHost = shown(key.includes(':') ? `[${key}]` : key);
  let transport: string;
  if (profile.tlsOnly || profile.port === undefined) transport = `on TLS port ${profile.tlsPort}, encrypted`;
  else if (profile.tlsPort !== undefined) transport = `on port ${profile.port}, NOT encrypted (TLS port ${profile.tlsPort} only for channels the server secures)`;
  else transport = `on port ${profile.port}, NOT encrypted`;
  return { hostKey: isLinkHostKey(key) ? key : null, shownHost, transport };
}

/** Text for the dialog: bounded, and without the characters that reorder what is shown. */
function shown(text: string): string {
  const clean = text.replace(/[\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '?');
  return clean.length > MAX_SHOWN_CHARS ? `${clean.slice(0, MAX_SHOWN_CHARS)}…` : clean;
}

export type ConsentDecision = { ask: false } | { ask: true; destination: LinkDestination };

/**
 * Whether opening `target` needs the user's yes: only a valid spice URI from a link, to a host
 * not allowed before (`allowed` reads settings.json).
 */
export function consentFor(target: string, origin: TargetOrigin, allowed: (hostKey: string) => boolean): ConsentDecision {
  if (origin !== 'link') return { ask: false };
  const destination = linkDestination(target);
  if (!destination || (destination.hostKey !== null && allowed(destination.hostKey))) return { ask: false };
  return { ask: true, destination };
}

/** The dialog (Electron's showMessageBox options, as plain data). Cancel is the default: Enter does not connect. */
export interface ConsentPrompt {
  type: 'question';
  title: string;
  message: string;
  detail: string;
  buttons: ['Connect', 'Cancel'];
  defaultId: 1;
  cancelId: 1;
  /** Absent when the host cannot be remembered. */
  checkboxLabel?: string;
  checkboxChecked: false;
  noLink: true;
}

export const CONNECT_BUTTON = 0;

export function consentPrompt(d: LinkDestination): ConsentPrompt {
  return {
    type: 'question',
    title: 'Open a SPICE link?',
    message: `A link asks to open a remote desktop session to ${d.shownHost}.`,
    detail:
      `spicedesk would connect to ${d.shownHost} ${d.transport}. ` +
      'That server gets what you type in its window and, while clipboard sharing is on, what you copy. ' +
      'Connect only if you expected this and trust the server.',
    buttons: ['Connect', 'Cancel'],
    defaultId: 1,
    cancelId: 1,
    ...(d.hostKey === null ? {} : { checkboxLabel: `Always allow links to ${d.shownHost}` }),
    checkboxChecked: false,
    noLink: true,
  };
}

/** The dialog's answer: "always allow" counts only with Connect, and for a host that can be remembered. */
export function consentAnswer(d: LinkDestination, response: number, checkboxChecked: boolean): { connect: boolean; remember: string | null } {
  const connect = response === CONNECT_BUTTON;
  return { connect, remember: connect && checkboxChecked ? d.hostKey : null };
}

/** Dialogs waiting beyond this are a page firing links, not a person: the later links are dropped. */
export const MAX_WAITING_CONSENTS = 3;

/**
 * One consent dialog at a time, in the order the links came, and at most MAX_WAITING_CONSENTS
 * waiting: a page that follows a hundred links gets a few questions and the rest logged.
 */
export class ConsentQueue {
  private tail: Promise<void> = Promise.resolve();
  private count = 0;

  /** Questions shown or waiting, the one being answered included. */
  get waiting(): number {
    return this.count;
  }

  /** Runs `ask` after the dialogs before it; false (not run) when too many wait already. */
  enqueue(ask: () => Promise<void>): boolean {
    if (this.count >= MAX_WAITING_CONSENTS) return false;
    this.count++;
    this.tail = this.tail.then(async () => {
      try {
        await ask();
      } catch {
        // The task reports its own failures (electron-main.ts logs them); the queue goes on.
      } finally {
        this.count--;
      }
    });
    return true;
  }
}
