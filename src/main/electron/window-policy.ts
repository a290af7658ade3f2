// The security policy of the Electron window as plain data and functions, so that it can be read
// and tested without Electron: the web preferences, the Content-Security-Policy of the page, which
// permissions a page may get, which URLs it may load, where it may navigate (nowhere).
import { pageContentSecurityPolicy } from '../host/page-policy.ts';
import type { WindowRules } from '../../protocol/policy/kiosk-policy.ts';
import type { ClipboardSharing } from '../../protocol/channels/main/agent/clipboard.ts';
import { APP_HOST, APP_ORIGIN, APP_SCHEME } from './ipc-channels.ts';

/**
 * The page's CSP: the gateway's policy (src/main/gateway/gateway-server.ts) without its WebSocket,
 * since the bridge comes as a port from the preload and the page connects to nothing.
 */
export const CONTENT_SECURITY_POLICY = pageContentSecurityPolicy("'none'");

/** Headers on every file the app scheme serves. */
export const RESPONSE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  // Cross-origin isolation, as the gateway's page has it: the sound's shared-memory ring needs it.
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

/**
 * The app scheme's privileges (protocol.registerSchemesAsPrivileged): standard, so that the page
 * has an origin for 'self', relative URLs and its module worker; secure, so that it is a secure
 * context; fetch and CORS, which module scripts and workers are loaded with. No service workers,
 * no CSP bypass.
 */
export const APP_SCHEME_PRIVILEGES = { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true } as const;

/** The page the window loads. */
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/** Whether `url` is one of the app's own pages or files. */
export function isAppUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  // By its parts: Node's URL gives a scheme it does not know the origin "null", Chromium (where
  // the scheme is registered as standard) gives it the origin APP_ORIGIN.
  return (
    parsed.protocol === `${APP_SCHEME}:` && parsed.hostname === APP_HOST && parsed.username === '' && parsed.password === '' && parsed.port === ''
  );
}

const CLIPBOARD_WRITE = 'clipboard-sanitized-write';

/**
 * The permissions a window's page may have: pointer lock (server mouse mode), fullscreen (the page
 * does not ask for it today, but the element fullscreen API must not fail) and keyboard lock (so
 * that Alt+Tab and the like reach the guest in fullscreen), and writing the clipboard with what
 * the guest copied. Names as Electron's session API spells them. The microphone ('media') has its
 * own rule (mediaPermissionGranted: only while the server records). Everything else (camera,
 * other media, notifications, geolocation, HID, serial, USB, opening external URLs...) is denied,
 * reading the clipboard too: main reads it, on focus and when allowed (focus-clipboard.ts).
 */
export const GRANTED_PERMISSIONS: ReadonlySet<string> = new Set([
  'pointerLock',
  'fullscreen',
  'keyboardLock',
  // What the guest copies (src/renderer/clipboard-sync.ts): only while --clipboard lets it out.
  CLIPBOARD_WRITE,
]);

const BOTH_WAYS: ClipboardSharing = { toGuest: true, fromGuest: true };

/** `clipboard`: the app's --clipboard; writing the guest's copies needs its from-guest direction. */
export function permissionGranted(permission: string, requestingUrl: string | undefined, isMainFrame: boolean, clipboard: ClipboardSharing = BOTH_WAYS): boolean {
  if (permission === CLIPBOARD_WRITE && !clipboard.fromGuest) return false;
  return GRANTED_PERMISSIONS.has(permission) && isMainFrame && requestingUrl !== undefined && isAppUrl(requestingUrl);
}

/**
 * Which windows' servers are recording now (RECORD START..STOP, told by the window's BridgeHost):
 * the microphone is allowed to a window only meanwhile, so a page cannot open it on its own.
 */
export class MicrophoneGrants {
  private readonly recording = new Set<number>();

  set(webContentsId: number, on: boolean): void {
    if (on) this.recording.add(webContentsId);
    else this.recording.delete(webContentsId);
  }

  has(webContentsId: number): boolean {
    return this.recording.has(webContentsId);
  }
}

/**
 * 'media' (getUserMedia): the microphone only (no camera, no screen), for the app's own page in its
 * main frame, and only while its server records (`recording`).
 */
export function mediaPermissionGranted(requestingUrl: string | undefined, isMainFrame: boolean, mediaTypes: readonly string[] | undefined, recording: boolean): boolean {
  const audioOnly = mediaTypes !== undefined && mediaTypes.length > 0 && mediaTypes.every((t) => t === 'audio');
  return recording && audioOnly && isMainFrame && requestingUrl !== undefined && isAppUrl(requestingUrl);
}

/** The synchronous check of 'media' (enumerating devices, permissions.query): the same rule. */
export function mediaPermissionCheck(requestingOrigin: string, mediaType: string | undefined, recording: boolean): boolean {
  return recording && mediaType === 'audio' && requestingOrigin === APP_ORIGIN;
}

/** The synchronous permission check (navigator.permissions.query and some APIs): same answer. */
export function permissionCheck(permission: string, requestingOrigin: string, clipboard: ClipboardSharing = BOTH_WAYS): boolean {
  if (permission === CLIPBOARD_WRITE && !clipboard.fromGuest) return false;
  return GRANTED_PERMISSIONS.has(permission) && requestingOrigin === APP_ORIGIN;
}

/**
 * Requests the window's session may make: the app scheme, data: and blob: URLs the page makes
 * itself, and DevTools' own in development. Anything on the network or the disk is cancelled:
 * the renderer loads no remote content, whatever a bug in it might try.
 */
export function requestAllowed(url: string, devTools: boolean): boolean {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(url)?.[1]?.toLowerCase();
  if (scheme === APP_SCHEME) return isAppUrl(url);
  if (scheme === 'data' || scheme === 'blob') return true;
  if (devTools && (scheme === 'devtools' || scheme === 'chrome-extension')) return true;
  return false;
}

/** The page never navigates: it is one document that lives as long as its window. */
export function navigationAllowed(_url: string): boolean {
  return false;
}

export interface WindowWebPreferences {
  preload: string;
  contextIsolation: true;
  sandbox: true;
  nodeIntegration: false;
  nodeIntegrationInWorker: false;
  nodeIntegrationInSubFrames: false;
  webSecurity: true;
  allowRunningInsecureContent: false;
  experimentalFeatures: false;
  webviewTag: false;
  navigateOnDragDrop: false;
  spellcheck: false;
  devTools: boolean;
  safeDialogs: true;
  /** Background windows keep drawing: the remote screen changes while they are hidden. */
  backgroundThrottling: false;
  /** The guest's sound plays at once: the window is the remote desktop, not a web page that might autoplay ads. */
  autoplayPolicy: 'no-user-gesture-required';
}

/**
 * BrowserWindow webPreferences; DevTools only in a development run (not app.isPackaged), and never
 * when the session policy says so (kiosk).
 */
export function webPreferences(preload: string, packaged: boolean, policyDevTools = true): WindowWebPreferences {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
    devTools: !packaged && policyDevTools,
    safeDialogs: true,
    backgroundThrottling: false,
    autoplayPolicy: 'no-user-gesture-required',
  };
}

export interface AppResponse {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array | null;
}

/**
 * The app scheme's answer to a request: one of the renderer's files by its exact name (no path
 * resolution, so nothing outside them), with the CSP; 404 for anything else, 405 for anything
 * but GET and HEAD.
 */
export function appResponse(
  method: string,
  url: string,
  assets: ReadonlyMap<string, { body: Uint8Array; contentType: string }>,
  indexFile: string,
): AppResponse {
  const plain = { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store' };
  if (method !== 'GET' && method !== 'HEAD') return { status: 405, headers: { ...plain, Allow: 'GET, HEAD' }, body: null };
  if (!isAppUrl(url)) return { status: 404, headers: plain, body: null };
  const path = new URL(url).pathname;
  const name = path === '/' ? indexFile : path.slice(1);
  const asset = /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) ? assets.get(name) : undefined;
  if (!asset) return { status: 404, headers: plain, body: null };
  return {
    status: 200,
    headers: { ...RESPONSE_HEADERS, 'Content-Type': asset.contentType, 'Content-Length': String(asset.body.byteLength) },
    body: method === 'HEAD' ? null : asset.body,
  };
}

/** The BrowserWindow options a session policy's window rules make (src/protocol/policy/kiosk-policy.ts). */
export interface PolicyWindowOptions {
  kiosk: boolean;
  fullscreen: boolean;
  fullscreenable: boolean;
  frame: boolean;
  closable: boolean;
  minimizable: boolean;
  maximizable: boolean;
  resizable: boolean;
  movable: boolean;
  /** No menu bar, not even one that Alt reveals. */
  autoHideMenuBar: boolean;
}

export function policyWindowOptions(rules: WindowRules): PolicyWindowOptions {
  return {
    kiosk: rules.kiosk,
    fullscreen: rules.fullscreen,
    fullscreenable: true,
    frame: rules.frame,
    closable: rules.closable,
    minimizable: rules.minimizable,
    maximizable: rules.maximizable,
    resizable: rules.resizable,
    movable: rules.movable,
    autoHideMenuBar: !rules.menu,
  };
}

/** Whether the app may quit now: always outside kiosk; in kiosk only once the policy quits (on-disconnect). */
export class QuitGate {
  private opened = false;

  constructor(private readonly kiosk: boolean) {}

  /** The session ended and the policy says quit: let the app go. */
  open(): void {
    this.opened = true;
  }

  get allowed(): boolean {
    return !this.kiosk || this.opened;
  }
}

/** What guardWindow needs of a BrowserWindow and its webContents (structural, for tests without Electron). */
export interface GuardedWindow {
  on(event: 'close', listener: (e: { preventDefault(): void }) => void): unknown;
}
export interface GuardedContents {
  on(event: 'devtools-opened', listener: () => void): unknown;
  closeDevTools(): void;
  setIgnoreMenuShortcuts(ignore: boolean): void;
}

/**
 * A kiosk window cannot be closed (its close button, Alt+F4, the window manager) unless the
 * gate is open, cannot keep developer tools open, and ignores menu accelerators.
 */
export function guardWindow(win: GuardedWindow, contents: GuardedContents, rules: WindowRules, gate: QuitGate): void {
  if (!rules.closable) {
    win.on('close', (e) => {
      if (!gate.allowed) e.preventDefault();
    });
  }
  if (!rules.devTools) contents.on('devtools-opened', () => contents.closeDevTools());
  if (!rules.menu) contents.setIgnoreMenuShortcuts(true);
}
