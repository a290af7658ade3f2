// The Electron app's main process (bundled to dist/electron-main.cjs, package.json "main"). Thin
// glue: what can be decided without Electron is in the modules beside it (launch-args, ipc,
// window-policy, hotkeys, screenshot, window-target, port-endpoint) and tested there.
//
// Each TARGET (command line, a second instance's, macOS open-file/open-url, File > Open) opens a
// session window; one that came from a link asks the user first (link-consent.ts). The renderer
// is served from memory through a privileged custom scheme with the gateway's CSP; windows are
// sandboxed and context-isolated, navigate nowhere, open nothing, and get no permission but
// pointer lock, fullscreen, keyboard lock and writing the clipboard (main reads it:
// focus-clipboard.ts).
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { app, BrowserWindow, dialog, ipcMain, Menu, protocol, session, type IpcMainEvent, type MenuItemConstructorOptions } from 'electron';
import type { Logger } from '../../protocol/logger.ts';
import { isSpiceError } from '../../protocol/wire/errors.ts';
import { INDEX_FILE, loadAssets, type Asset } from '../host/static-assets.ts';
import { createLogger } from '../node/logging.ts';
import { APP_SCHEME, ToMain } from './ipc-channels.ts';
import { validateToMain, type ToMainChannel } from './ipc.ts';
import { commandLineOf, instanceData, kioskFlagsFromArgv, secondInstanceTargets, targetOfOpenFile, targetOfOpenUrl, targetsFromArgv } from './launch-args.ts';
import { NOT_KIOSK } from '../../protocol/policy/kiosk-policy.ts';
import { SessionWindow } from './session-window.ts';
import { clipboardPolicyFromArgv } from './focus-clipboard.ts';
import { usbCommandLineFromArgv } from './usb-args.ts';
import type { UsbCommandLine } from '../usb/usb-policy.ts';
import type { ClipboardSharing } from '../../protocol/channels/main/agent/clipboard.ts';
import {
  APP_SCHEME_PRIVILEGES,
  appResponse,
  isAppUrl,
  navigationAllowed,
  mediaPermissionCheck,
  mediaPermissionGranted,
  MicrophoneGrants,
  permissionCheck,
  permissionGranted,
  QuitGate,
  requestAllowed,
} from './window-policy.ts';
import { prepareWindowTarget } from './window-target.ts';
import { applyWindowSwitches } from './chromium-switches.ts';
import { sessionMenus } from './window-session-menu.ts';
import { windowDevicesFromArgv } from './window-devices.ts';
import { headWindowOf } from './head-windows.ts';
import { appSettingsStore, monitorMappingsOf } from '../monitors/app-mappings.ts';
import type { SettingsStore } from '../monitors/settings-store.ts';
import { consentAnswer, consentFor, consentPrompt, ConsentQueue, FROM_LINK_SWITCH, launchedFromLink, type TargetOrigin } from './link-consent.ts';
import type { MonitorMappingSource } from '../monitors/session-mapping.ts';

const LINK_TIMEOUT_MS = 10_000;
/**
 * The windows' icon on Linux, where a window has none of its own (X11 and some Wayland docks show
 * it; the installed desktop entry's Icon=spicedesk names the same picture in the icon theme).
 * electron-builder.yml packs this PNG into app.asar, beside dist/; Windows and macOS take the
 * executable's icon.
 */
const WINDOW_ICON = process.platform === 'linux' ? join(__dirname, '..', 'resources', 'icons', '256x256.png') : undefined;
const NO_TARGET_MESSAGE =
  'no connection given: open a .vv file or a spice:// URI with File > Open, or start spicedesk with one (spicedesk FILE.vv, spicedesk spice://HOST:PORT)';

const defaultApp = Boolean(process.defaultApp);
const launch = targetsFromArgv(process.argv, { defaultApp, cwd: process.cwd() });
/** A start the system made for a link (FROM_LINK_SWITCH) asks before its spice URIs connect. */
const launchOrigin: TargetOrigin = launchedFromLink(process.argv) ? 'link' : 'command-line';
// --kiosk and --kiosk-quit (src/protocol/policy/kiosk-policy.ts): no menu, no quit, every window kiosk.
const kioskArgs = kioskFlagsFromArgv(process.argv);
const kioskFlags = 'flags' in kioskArgs ? kioskArgs.flags : NOT_KIOSK;
// --clipboard both|to-guest|from-guest|none: enforced by each window's host and by main's own reading (focus-clipboard.ts).
const clipboardArgs = clipboardPolicyFromArgv(process.argv);
const clipboardPolicy: ClipboardSharing = 'policy' in clipboardArgs ? clipboardArgs.policy : { toGuest: false, fromGuest: false };
// --spice-share-cd and the usbredir rules from `spicedesk open` (usb-args.ts), for every window's session.
const usbArgs = usbCommandLineFromArgv(process.argv, process.cwd());
const usbCommandLine: UsbCommandLine = 'usb' in usbArgs ? usbArgs.usb : {};
// --print-to, --print-max-mb, --spice-shared-dir(-ro), as `spicedesk open` hands them over (window-devices.ts).
const deviceArgs = windowDevicesFromArgv(process.argv);
const quitGate = new QuitGate(kioskFlags.kiosk);
const windows = new Map<number, SessionWindow>();
/** Targets that arrived before 'ready' (macOS open-file/open-url at launch). */
const early: { target: string; origin: TargetOrigin }[] = [];
const consents = new ConsentQueue();
let ready = false;
let log: Logger;
let stopDemo: (() => void) | undefined;

const commandLine = commandLineOf(process.argv, { defaultApp });
if (commandLine) runCommandLine(commandLine);
else startApp();

/**
 * `spicedesk capture|info|do|serve|... ARGS` from the installed app: the command line runs here, in
 * the main process (Node, without a window, the single-instance lock or the app's scheme), from the
 * same dist/cli.cjs that bin/spicedesk.cjs runs in a checkout; its exit is the app's. The packaged
 * binary's RunAsNode fuse is off, so this is the installed app's only way to the command line.
 */
function runCommandLine(args: string[]): void {
  app.dock?.hide();
  const cli = join(__dirname, 'cli.cjs');
  // cli.cjs reads its arguments from process.argv[2...], as under Node.
  process.argv = [process.argv[0], cli, ...args];
  createRequire(__filename)(cli);
}

function startApp(): void {
  // Before 'ready': Chromium reads its switches as it starts (chromium-switches.ts).
  applyWindowSwitches(app.commandLine);
  // Before 'ready', and once: the scheme's privileges are fixed at start-up.
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { ...APP_SCHEME_PRIVILEGES } }]);
  if (!app.requestSingleInstanceLock(instanceData(launch.targets))) {
    // The first instance opens our targets ('second-instance'); this one has nothing to do.
    app.quit();
  } else {
    app.on('second-instance', (_event, argv, workingDirectory, additionalData) => {
      const t = secondInstanceTargets(argv, workingDirectory, additionalData, defaultApp);
      for (const why of t.ignored) log?.warn({ why }, 'argument of a second instance ignored');
      if (t.targets.length === 0 && ready) focusSomeWindow();
      // Windows and Linux: a link clicked while the app runs starts a second instance with the switch.
      const origin: TargetOrigin = launchedFromLink(argv) ? 'link' : 'command-line';
      for (const target of t.targets) queueOrOpen(target, origin);
    });
    app.on('open-file', (event, path) => {
      event.preventDefault();
      const target = targetOfOpenFile(path);
      if (target) queueOrOpen(target, 'file');
    });
    app.on('open-url', (event, url) => {
      event.preventDefault();
      const target = targetOfOpenUrl(url);
      if (target) queueOrOpen(target, 'link');
    });
    app.on('web-contents-created', (_event, contents) => {
      contents.on('will-navigate', (e, url) => {
        if (!navigationAllowed(url)) e.preventDefault();
      });
      contents.on('will-frame-navigate', (e) => {
        if (!navigationAllowed(e.url)) e.preventDefault();
      });
      contents.on('will-redirect', (e) => e.preventDefault());
      contents.on('will-attach-webview', (e) => e.preventDefault());
      contents.setWindowOpenHandler(() => ({ action: 'deny' }));
    });
    app.on('window-all-closed', () => {
      if (process.platform !== 'darwin') app.quit();
    });
    app.on('activate', () => {
      if (ready && BrowserWindow.getAllWindows().length === 0) void openTarget(null);
    });
    app.on('will-quit', () => stopDemo?.());
    app.on('before-quit', (e) => {
      if (!quitGate.allowed) e.preventDefault();
    });
    app
      .whenReady()
      .then(start)
      .catch((e: unknown) => fatal(e));
  }
}

async function start(): Promise<void> {
  log = await createLogger(process.argv.includes('--debug') ? 'debug' : process.argv.includes('--verbose') ? 'info' : 'silent');
  if ('error' in kioskArgs) throw new Error(kioskArgs.error);
  if ('error' in clipboardArgs) throw new Error(clipboardArgs.error);
  if ('error' in usbArgs) throw new Error(usbArgs.error);
  if ('error' in deviceArgs) throw new Error(deviceArgs.error);
  for (const why of launch.ignored) log.warn({ why }, 'argument ignored');
  hardenSession();
  registerIpc();
  refreshMenu();
  if (process.platform === 'win32' && app.isPackaged) {
    // electron-builder registers the schemes on macOS and Linux; Windows learns them here, with
    // the switch that makes a link's session ask first, and `--` so that a URI is never a switch.
    for (const scheme of ['spice', 'spice+tls', 'spice+unix']) app.setAsDefaultProtocolClient(scheme, process.execPath, [FROM_LINK_SWITCH, '--']);
  }
  ready = true;
  const targets = [...launch.targets.map((target) => ({ target, origin: launchOrigin })), ...early.splice(0)];
  if (targets.length > 0) {
    for (const t of targets) openOrAsk(t.target, t.origin);
    return;
  }
  await openDemoOrEmpty();
}

/** No TARGET: the local demo Xspice when it is installed (as `spicedesk open`), else a window saying how to give one. */
async function openDemoOrEmpty(): Promise<void> {
  try {
    const { startDemoServer } = await import('../demo/demo-server.ts');
    const demo = await startDemoServer();
    stopDemo = () => demo.stop();
    await openTarget(`spice://127.0.0.1:${demo.port}`);
  } catch (e) {
    log.info({ why: isSpiceError(e) ? e.message : String(e) }, 'no demo server');
    await openTarget(null);
  }
}

function queueOrOpen(target: string, origin: TargetOrigin): void {
  if (ready) openOrAsk(target, origin);
  else early.push({ target, origin });
}

/** Opens `target`'s window, once the user said yes when it came from a link to a host not allowed before. */
function openOrAsk(target: string, origin: TargetOrigin): void {
  const decision = consentFor(target, origin, (key) => settings().linkHostAllowed(key));
  if (!decision.ask) return void openTarget(target);
  const d = decision.destination;
  const queued = consents.enqueue(async () => {
    let answer: ReturnType<typeof consentAnswer>;
    try {
      const r = await dialog.showMessageBox(consentPrompt(d));
      answer = consentAnswer(d, r.response, r.checkboxChecked);
    } catch (e) {
      // No question, no session.
      log.warn({ host: d.shownHost, err: e instanceof Error ? e.message : String(e) }, 'link not opened: the question could not be shown');
      answer = { connect: false, remember: null };
    }
    log.info({ host: d.shownHost, connect: answer.connect, remember: answer.remember !== null }, 'link consent');
    if (answer.remember !== null) settings().allowLinkHost(answer.remember);
    if (answer.connect) await openTarget(target);
    // Started for a link and told no: nothing is left to show (macOS apps stay without windows).
    else if (BrowserWindow.getAllWindows().length === 0 && consents.waiting <= 1 && process.platform !== 'darwin') app.quit();
  });
  if (!queued) log.warn({ host: d.shownHost }, 'link ignored: too many links are waiting for an answer');
}

/** settings.json, one store for the whole app (monitor mappings and allowed link hosts). */
let settingsStore: SettingsStore | undefined;
function settings(): SettingsStore {
  settingsStore ??= appSettingsStore((line) => log.warn({ settings: line }, 'settings'));
  return settingsStore;
}

async function openTarget(target: string | null): Promise<void> {
  const prepared = target === null ? null : await prepareWindowTarget(target, { timeoutMs: LINK_TIMEOUT_MS });
  const w = new SessionWindow({
    target: prepared,
    preload: join(__dirname, 'preload.cjs'),
    packaged: app.isPackaged,
    icon: WINDOW_ICON,
    logger: log,
    linkTimeoutMs: LINK_TIMEOUT_MS,
    noTargetMessage: NO_TARGET_MESSAGE,
    kiosk: { flags: kioskFlags, gate: quitGate, quit: quitByPolicy },
    monitors: monitorMappings(),
    clipboard: clipboardPolicy,
    usb: usbCommandLine,
    // The window's id is known once it exists; recording starts long after.
    onRecording: (on) => microphoneGrants.set(w.win.webContents.id, on),
    devices: 'devices' in deviceArgs ? deviceArgs.devices : {},
    onMenuChange: () => refreshMenu(),
  });
  // The VM and Folder menus are the focused window's.
  w.win.on('focus', () => refreshMenu());
  const id = w.win.webContents.id;
  windows.set(id, w);
  w.win.on('closed', () => {
    windows.delete(id);
    microphoneGrants.set(id, false);
  });
}

/** --monitor-mapping (handed over by `spicedesk open`) and the per-VM settings, made once. */
let mappings: MonitorMappingSource | undefined;
function monitorMappings(): MonitorMappingSource {
  mappings ??= monitorMappingsOf(process.argv, (line) => log.warn({ settings: line }, 'settings'), settings());
  return mappings;
}

/** --kiosk-quit on-disconnect: the one way a kiosk app ends. */
function quitByPolicy(): void {
  quitGate.open();
  app.quit();
}

function focusSomeWindow(): void {
  const w = BrowserWindow.getAllWindows()[0];
  if (!w) return void openTarget(null);
  if (w.isMinimized()) w.restore();
  w.focus();
}

/** The windows whose server records now: only they may open the microphone. */
const microphoneGrants = new MicrophoneGrants();

/** The default session, where every window lives: app scheme, permissions, no network. */
function hardenSession(): void {
  const assets: Map<string, Asset> = loadAssets(join(__dirname, 'renderer'));
  const ses = session.defaultSession;
  ses.protocol.handle(APP_SCHEME, (request) => {
    const r = appResponse(request.method, request.url, assets, INDEX_FILE);
    return new Response(r.body === null ? null : Buffer.from(r.body), { status: r.status, headers: r.headers });
  });
  ses.setPermissionRequestHandler((contents, permission, callback, details) => {
    const granted =
      permission === 'media'
        ? mediaPermissionGranted(details.requestingUrl, details.isMainFrame, (details as { mediaTypes?: string[] }).mediaTypes, microphoneGrants.has(contents.id))
        : permissionGranted(permission, details.requestingUrl, details.isMainFrame, clipboardPolicy);
    if (!granted) log.info({ permission, url: details.requestingUrl }, 'permission denied');
    callback(granted);
  });
  ses.setPermissionCheckHandler((contents, permission, requestingOrigin, details) =>
    permission === 'media'
      ? contents !== null && mediaPermissionCheck(requestingOrigin, (details as { mediaType?: string }).mediaType, microphoneGrants.has(contents.id))
      : permissionCheck(permission, requestingOrigin, clipboardPolicy),
  );
  ses.setDevicePermissionHandler(() => false);
  const devTools = !app.isPackaged;
  ses.webRequest.onBeforeRequest((details, callback) => {
    const allowed = requestAllowed(details.url, devTools);
    if (!allowed) log.warn({ url: details.url.slice(0, 200) }, 'request blocked: the window loads nothing from the network or the disk');
    callback({ cancel: !allowed });
  });
  ses.on('will-download', (event) => event.preventDefault());
}

/** Every message from a page: from one of our windows' main frame on the app's origin, then validated. */
function registerIpc(): void {
  const route = (channel: ToMainChannel) => (event: IpcMainEvent, ...args: unknown[]) => {
    const w = windows.get(event.sender.id) ?? headWindowOf(event.sender.id);
    const frame = event.senderFrame;
    if (!w || !frame || frame !== event.sender.mainFrame || !isAppUrl(frame.url)) {
      log.warn({ channel, url: frame?.url.slice(0, 200) }, 'IPC from a frame that is not a session window page; rejected');
      return;
    }
    const v = validateToMain(channel, args);
    if (!v.ok) {
      log.warn({ why: v.why }, 'malformed IPC message rejected');
      return;
    }
    w.receive(v.message);
  };
  ipcMain.on(ToMain.openBridge, route(ToMain.openBridge));
  ipcMain.on(ToMain.openInputPort, route(ToMain.openInputPort));
  ipcMain.on(ToMain.screenshot, route(ToMain.screenshot));
}

function focused(): SessionWindow | undefined {
  const w = BrowserWindow.getFocusedWindow();
  return w ? windows.get(w.webContents.id) : undefined;
}

/**
 * The menu. No item registers a keyboard accelerator (Ctrl+W, Ctrl+R, Ctrl+Plus... belong to the
 * guest); F11 is shown but taken by the window's hotkey filter, like the .vv hotkeys.
 */
function refreshMenu(): void {
  Menu.setApplicationMenu(kioskFlags.kiosk ? null : buildMenu());
}

function buildMenu(): Menu {
  const mac = process.platform === 'darwin';
  const template: MenuItemConstructorOptions[] = [
    ...(mac ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        { label: 'Open Connection File…', click: () => void openFromDialog() },
        { label: 'Save Screenshot…', click: () => void focused()?.saveScreenshot() },
        { type: 'separator' },
        { label: 'Close Window', click: () => BrowserWindow.getFocusedWindow()?.close() },
        ...(mac ? [] : [{ label: 'Quit', click: () => app.quit() }]),
      ],
    },
    {
      label: 'View',
      submenu: [
        { label: 'Toggle Fullscreen', accelerator: 'F11', registerAccelerator: false, click: () => focused()?.run('toggle-fullscreen') },
        { type: 'separator' },
        { label: 'Zoom In', click: () => focused()?.run('zoom-in') },
        { label: 'Zoom Out', click: () => focused()?.run('zoom-out') },
        { label: 'Actual Size', click: () => focused()?.run('zoom-reset') },
        ...(app.isPackaged
          ? []
          : [{ type: 'separator' as const }, { label: 'Developer Tools', click: () => BrowserWindow.getFocusedWindow()?.webContents.toggleDevTools() }]),
      ],
    },
    {
      label: 'Send Key',
      submenu: [{ label: 'Ctrl+Alt+Del', click: () => focused()?.sendCtrlAltDel() }],
    },
    // The focused window's VM menu (pause, resume, reset, power down, force off, each enabled when
    // QEMU's state allows it) and its shared folder (the system's folder dialog).
    ...sessionMenus(focused()?.menuState ?? null, focused()?.menuActions() ?? null),
  ];
  return Menu.buildFromTemplate(template);
}

async function openFromDialog(): Promise<void> {
  const parent = BrowserWindow.getFocusedWindow();
  const options = { title: 'Open Connection File', properties: ['openFile' as const], filters: [{ name: 'SPICE connection file', extensions: ['vv'] }] };
  const r = parent ? await dialog.showOpenDialog(parent, options) : await dialog.showOpenDialog(options);
  if (!r.canceled && r.filePaths[0]) await openTarget(r.filePaths[0]);
}

function fatal(e: unknown): void {
  const message = e instanceof Error ? e.message : String(e);
  dialog.showErrorBox('spicedesk could not start', message);
  app.exit(1);
}
