// One session window of the Electron app: the sandboxed page that shows the remote screen, and in
// main the BridgeHost that runs its SPICE session. The page asks for its bridge when it has loaded
// (again after a reload); main answers with one end of a fresh MessageChannelMain and keeps the
// other for the host. Hotkeys, fullscreen, zoom, screenshots and Ctrl+Alt+Del are main's.
import { join } from 'node:path';
import { app, BrowserWindow, clipboard, dialog, MessageChannelMain, nativeImage, type Input, type NativeImage } from 'electron';
import type { SessionStatus } from '../../protocol/bridge/bridge-messages.ts';
import type { Logger } from '../../protocol/logger.ts';
import { BridgeHost, type GatewayTarget } from '../host/bridge-host.ts';
import type { UsbCommandLine } from '../usb/usb-policy.ts';
import { writeSurfacePng } from '../node/png.ts';
import { HotkeyFilter, policyWindowHotkeys, type WindowAction } from './hotkeys.ts';
import { NOT_KIOSK, sessionPolicy, type KioskFlags, type SessionPolicy } from '../../protocol/policy/kiosk-policy.ts';
import { FromMain } from './ipc-channels.ts';
import type { ToMainMessage } from './ipc.ts';
import { portEndpoint } from './port-endpoint.ts';
import { screenshotFileName, ScreenshotRequests } from './screenshot.ts';
import { APP_ENTRY_URL, guardWindow, policyWindowOptions, QuitGate, webPreferences } from './window-policy.ts';
import { windowTitle, type WindowTarget } from './window-target.ts';
import { HeadWindows } from './head-windows.ts';
import { InputPorts } from './input-port.ts';
import { HeadRegistry } from '../monitors/head-group.ts';
import type { MonitorMappingSource } from '../monitors/session-mapping.ts';
import type { ClipboardSharing } from '../../protocol/channels/main/agent/clipboard.ts';
import { FocusClipboard, type LocalClipboard } from './focus-clipboard.ts';
import { chooseSharedFolder, confirmVmAction, SessionMenuState, type SessionMenuActions } from './window-session-menu.ts';
import type { PowerAction } from '../../protocol/channels/port/qmp-port.ts';
import type { WindowDevices } from './window-devices.ts';
import { homedir } from 'node:os';

export interface SessionWindowOptions {
  /** The prepared TARGET; null for a window opened without one. */
  target: WindowTarget | null;
  preload: string;
  packaged: boolean;
  /** The window's icon (a PNG path; Linux only, see electron-main.ts), or none. */
  icon?: string;
  logger: Logger;
  linkTimeoutMs: number;
  /** Said in the status line of a window without a TARGET. */
  noTargetMessage: string;
  /** --kiosk and --kiosk-quit, and the app's quit gate (src/protocol/policy/kiosk-policy.ts). */
  kiosk?: { flags: KioskFlags; gate: QuitGate; quit: () => void };
  /** --monitor-mapping and the mappings remembered per VM (src/main/monitors/session-mapping.ts). */
  monitors?: MonitorMappingSource;
  /** `--clipboard`: the directions the host lets through (focus-clipboard.ts); default both. */
  clipboard?: ClipboardSharing;
  /** --spice-share-cd and the usbredir rules (usb-args.ts), for the window's session; the .vv keys come with its target. */
  usb?: UsbCommandLine;
  /** Told when the window's server starts or stops recording: the microphone is allowed only meanwhile (window-policy.ts). */
  onRecording?: (on: boolean) => void;
  /** --print-to and --spice-shared-dir (window-devices.ts): where the printer and folder choosers start. */
  devices?: WindowDevices;
  /** The window's VM or folder state changed: its menus (window-session-menu.ts) are rebuilt. */
  onMenuChange?: () => void;
}

const AUTH_HINT = 'give the password in the spice:// URI, the .vv file or SPICE_PASSWORD; a password dialog is not implemented yet';
const ZOOM_STEP = 0.5;
const ZOOM_LIMIT = 3;

let nextBridgeId = 1;

export class SessionWindow {
  readonly win: BrowserWindow;
  private host: BridgeHost | null = null;
  private serverName: string | undefined;
  private readonly screenshots = new ScreenshotRequests();
  private readonly hotkeys: HotkeyFilter;
  private readonly log: Logger;
  private readonly policy: SessionPolicy;
  /** Windows of guest heads 2-4 (head-windows.ts), joined to this window's session. */
  private readonly headWindows: HeadWindows;
  private readonly heads = new HeadRegistry();
  /** The page's input port (input-port.ts), joined to this window's session by its token. */
  private readonly inputPorts: InputPorts;
  /** The local clipboard to the guest, read here on focus (the page has no clipboard-read). */
  private readonly focusClipboard: FocusClipboard;
  /** What the window's VM and Folder menus show, from the host's messages to the page. */
  readonly menuState = new SessionMenuState();

  constructor(private readonly o: SessionWindowOptions) {
    const t = o.target;
    this.log = o.logger.child({ window: t ? t.ok ? t.target.label : t.label : '(no target)' });
    const profile = t?.ok ? t.profile : undefined;
    this.policy = sessionPolicy({ profile, flags: o.kiosk?.flags ?? NOT_KIOSK, development: !o.packaged });
    const warn = (line: string): void => this.log.warn({ hotkey: line }, 'hotkey ignored');
    this.hotkeys = new HotkeyFilter(policyWindowHotkeys(this.policy, warn), this.policy.swallowedKeys);
    this.win = new BrowserWindow({
      width: 1024,
      height: 800,
      title: this.title(),
      backgroundColor: '#202124',
      ...(o.icon ? { icon: o.icon } : {}),
      ...policyWindowOptions(this.policy.window),
      webPreferences: webPreferences(o.preload, o.packaged, this.policy.window.devTools),
    });
    guardWindow(this.win, this.win.webContents, this.policy.window, o.kiosk?.gate ?? new QuitGate(false));
    // The page's own <title> is the same for every window; the window's names its session.
    this.win.on('page-title-updated', (e) => e.preventDefault());
    this.win.webContents.on('before-input-event', (event, input: Input) => {
      const r = this.hotkeys.take(input);
      if (r.swallow) event.preventDefault();
      if (r.action) this.run(r.action);
    });
    this.inputPorts = new InputPorts({ registry: this.heads, logger: this.log, linkTimeoutMs: o.linkTimeoutMs });
    this.win.on('closed', () => {
      this.host?.shutdown();
      this.host = null;
      this.inputPorts.shutdown();
      this.screenshots.cancelAll('the window closed');
    });
    this.focusClipboard = new FocusClipboard(o.clipboard ?? { toGuest: true, fromGuest: true }, electronClipboard(), () => this.host, (line) =>
      this.log.warn({ clipboard: line }, 'local clipboard not shared'),
    );
    this.win.on('focus', () => this.focusClipboard.focus());
    this.win.on('blur', () => this.focusClipboard.blur());
    this.headWindows = this.createHeadWindows();
    void this.win.loadURL(APP_ENTRY_URL);
  }

  private createHeadWindows(): HeadWindows {
    const o = this.o;
    const windows = new HeadWindows({
      registry: this.heads,
      preload: o.preload,
      packaged: o.packaged,
      icon: o.icon,
      logger: this.log,
      linkTimeoutMs: o.linkTimeoutMs,
      policy: this.policy,
      gate: o.kiosk?.gate ?? new QuitGate(false),
      title: () => this.title(),
      fullscreen: () => !this.win.isDestroyed() && this.win.isFullScreen(),
      sessionWindow: () => (this.win.isDestroyed() ? null : this.win),
      // A head window of this session has the focus as much as head 1's: the guest is the same.
      focusChanged: (focused) => (focused ? this.focusClipboard.focus() : this.focusClipboard.blur()),
    });
    this.win.on('enter-full-screen', () => windows.placeAll());
    this.win.on('leave-full-screen', () => windows.placeAll());
    this.win.on('closed', () => windows.closeAll());
    return windows;
  }

  get closed(): boolean {
    return this.win.isDestroyed();
  }

  /** A validated message from this window's page (see ipc.ts). */
  receive(m: ToMainMessage): void {
    switch (m.channel) {
      case 'spicedesk:open-bridge':
        this.openBridge();
        return;
      case 'spicedesk:open-input-port':
        this.inputPorts.open(this.win);
        return;
      case 'spicedesk:screenshot':
        if (!this.screenshots.answer(m.payload)) this.log.warn({ id: m.payload.id }, 'a screenshot reply nobody asked for; ignored');
        return;
    }
  }

  /** A new bridge for the page: the old one (a reload) ends with its session. */
  private openBridge(): void {
    this.host?.shutdown();
    const { port1, port2 } = new MessageChannelMain();
    const t = this.o.target;
    const targets: GatewayTarget[] = t?.ok
      ? [{ ...t.target, kiosk: this.o.kiosk?.flags, monitors: this.o.monitors, clipboard: this.o.clipboard, usb: this.o.usb, print: this.o.devices?.print, sharedDir: this.o.devices?.sharedDir }]
      : [];
    this.menuState.reset();
    this.o.onMenuChange?.();
    this.host = new BridgeHost(
      portEndpoint(port1),
      {
        targets,
        logger: this.log,
        linkTimeoutMs: this.o.linkTimeoutMs,
        helloTimeoutMs: 10_000,
        authHint: AUTH_HINT,
        noTarget: () => (t && !t.ok ? { errorKind: t.errorKind, message: t.message } : { errorKind: 'usage', message: this.o.noTargetMessage }),
        onStatus: (s) => this.onStatus(s),
        onRecording: this.o.onRecording,
        heads: this.heads,
        onHostMessage: (m) => {
          this.headWindows.observe(m);
          this.focusClipboard.observe(m);
          if (this.menuState.observe(m)) this.o.onMenuChange?.();
        },
      },
      nextBridgeId++,
    );
    this.win.webContents.postMessage(FromMain.bridgePort, null, [port2]);
  }

  private onStatus(s: SessionStatus): void {
    // --kiosk-quit on-disconnect: the session is over, and so is the app.
    if ((s.state === 'error' || s.state === 'closed') && this.policy.onSessionEnd === 'quit') this.o.kiosk?.quit();
    if (s.state !== 'connected' || this.win.isDestroyed()) return;
    this.serverName = s.serverName;
    this.win.setTitle(this.title());
  }

  private title(): string {
    const t = this.o.target;
    return windowTitle({ profileTitle: t?.ok ? t.profile.title : undefined, serverName: this.serverName, label: t ? (t.ok ? t.target.label : t.label) : undefined });
  }

  run(action: WindowAction): void {
    if (this.win.isDestroyed()) return;
    const contents = this.win.webContents;
    switch (action) {
      case 'toggle-fullscreen':
        if (this.policy.window.leaveFullscreen) this.win.setFullScreen(!this.win.isFullScreen());
        return;
      case 'secure-attention':
        this.sendCtrlAltDel();
        return;
      case 'zoom-in':
        contents.setZoomLevel(Math.min(ZOOM_LIMIT, contents.getZoomLevel() + ZOOM_STEP));
        return;
      case 'zoom-out':
        contents.setZoomLevel(Math.max(-ZOOM_LIMIT, contents.getZoomLevel() - ZOOM_STEP));
        return;
      case 'zoom-reset':
        contents.setZoomLevel(0);
        return;
    }
  }

  /** What the window's VM and Folder menu items do: the same as the page's bar, through the same host. */
  menuActions(): SessionMenuActions {
    return {
      vm: (action) => void this.vmAction(action),
      chooseFolder: (readOnly) => void this.chooseFolder(readOnly),
      stopSharing: () => this.host?.fromWindowMenu({ kind: 'stop-sharing' }),
    };
  }

  private async vmAction(action: PowerAction): Promise<void> {
    try {
      if (await confirmVmAction(dialog, this.win.isDestroyed() ? null : this.win, action)) this.host?.fromWindowMenu({ kind: 'vm-action', action });
    } catch (e) {
      this.log.warn({ err: e instanceof Error ? e.message : String(e) }, 'the VM action was not sent: its question could not be shown');
    }
  }

  private async chooseFolder(readOnly: boolean): Promise<void> {
    try {
      const dir = await chooseSharedFolder(dialog, this.win.isDestroyed() ? null : this.win, homedir(), readOnly);
      if (dir) this.host?.fromWindowMenu({ kind: 'share-folder', dir, readOnly });
    } catch (e) {
      this.log.warn({ err: e instanceof Error ? e.message : String(e) }, 'the folder dialog failed');
    }
  }

  sendCtrlAltDel(): void {
    this.host?.sendInput({ kind: 'ctrl-alt-del' });
  }

  /** Asks the page for its pixels, then where to save them. */
  async saveScreenshot(): Promise<void> {
    try {
      const surface = await this.screenshots.request((id) => this.win.webContents.send(FromMain.screenshotRequest, id));
      if (this.win.isDestroyed()) return;
      const { canceled, filePath } = await dialog.showSaveDialog(this.win, {
        title: 'Save Screenshot',
        defaultPath: join(app.getPath('pictures'), screenshotFileName(this.title(), new Date())),
        filters: [{ name: 'PNG image', extensions: ['png'] }],
      });
      if (canceled || !filePath) return;
      await writeSurfacePng(filePath, surface);
      this.log.info({ file: filePath, width: surface.width, height: surface.height }, 'screenshot saved');
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      this.log.warn({ err: message }, 'screenshot failed');
      if (!this.win.isDestroyed()) await dialog.showMessageBox(this.win, { type: 'error', message: 'The screenshot could not be saved', detail: message });
    }
  }
}

/** Electron's clipboard for focus-clipboard.ts: text, or an image as PNG compared by its pixels. */
function electronClipboard(): LocalClipboard {
  return {
    readText: () => clipboard.readText('clipboard'),
    readImage: () => {
      const image = clipboard.readImage('clipboard');
      if (image.isEmpty()) return null;
      return { png: new Uint8Array(image.toPNG()), samePixels: (png) => samePixels(image, nativeImage.createFromBuffer(Buffer.from(png))) };
    },
  };
}

/** The guest's PNG written by the page comes back re-encoded: the pixels say whether it is the same image. */
function samePixels(a: NativeImage, b: NativeImage): boolean {
  const sa = a.getSize();
  const sb = b.getSize();
  return sa.width === sb.width && sa.height === sb.height && a.toBitmap().equals(b.toBitmap());
}
