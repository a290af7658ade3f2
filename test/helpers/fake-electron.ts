// A fake `electron` module for running the built app (dist/electron-main.cjs) in Node, since no
// Electron binary runs on these machines: a fresh one per load, recording what the app asked of
// it (windows, dialogs, clipboard reads) and letting a test play the user (focus, answers to
// dialogs) and the page (a bridge request from the window's main frame).
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { FromMain, ToMain } from '../../src/main/electron/ipc-channels.ts';

type Handler = (...args: unknown[]) => unknown;

export interface MessageBoxCall {
  options: Record<string, unknown>;
  answer(response: number, checkboxChecked: boolean): void;
}

let nextContentsId = 1000;

export class FakeElectron {
  readonly windows: FakeWindow[] = [];
  readonly posted: { channel: string; ports: MessagePort[] }[] = [];
  readonly fatal: string[] = [];
  readonly messageBoxes: MessageBoxCall[] = [];
  readonly protocolClients: { scheme: string; path?: string; args?: string[] }[] = [];
  readonly ipc = new Map<string, Handler>();
  /** protocol.registerSchemesAsPrivileged's schemes, and whether they came before whenReady. */
  readonly schemes: unknown[] = [];
  schemesBeforeReady = false;
  /** app.commandLine's switches as the app left them (name to value, '' for none), and whether they were set before whenReady. */
  readonly switches = new Map<string, string>();
  switchesBeforeReady = false;
  /** requestSingleInstanceLock's additionalData. */
  lockData: unknown = undefined;
  protocolHandler: ((r: { method: string; url: string }) => Response) | null = null;
  beforeRequest: Handler | null = null;
  permissionRequest: Handler | null = null;
  permissionCheck: Handler | null = null;
  quits = 0;
  ready = false;
  /** Makes dialog.showMessageBox fail, as it can without a display; failedMessageBoxes counts the failures. */
  messageBoxFails = false;
  failedMessageBoxes = 0;
  /** The application menu's template, as last set (null: no menu, as in kiosk mode). */
  menu: unknown[] | null = null;
  /** dialog.showOpenDialog's calls, each answered by the test (the chosen paths, or cancel). */
  readonly openDialogs: { options: Record<string, unknown>; answer(paths: string[] | null): void }[] = [];
  /** The local clipboard, and how often the app read it. */
  readonly clipboard = { text: '', reads: 0 };
  readonly module: Record<string, unknown> = electronModule(this);

  get app(): EventEmitter {
    return this.module.app as EventEmitter;
  }

  /** The page of `w` asks for its bridge, as the preload does; its port, once main answered. */
  openBridge(w: FakeWindow): MessagePort {
    const before = this.posted.length;
    const contents = w.webContents;
    this.ipc.get(ToMain.openBridge)!({ sender: contents, senderFrame: contents.mainFrame });
    const answer = this.posted.slice(before).find((p) => p.channel === FromMain.bridgePort);
    if (!answer?.ports[0]) throw new Error('main did not answer the bridge request with a port');
    return answer.ports[0];
  }

  /** Closes every window (their sessions end) and every bridge port. */
  closeAll(): void {
    for (const w of this.windows) w.close();
    for (const p of this.posted.flatMap((x) => x.ports)) p.close();
  }
}

export class FakeContents extends EventEmitter {
  readonly id = nextContentsId++;
  readonly mainFrame = { url: '' };
  openHandler: Handler | null = null;
  zoom = 0;
  constructor(private readonly fake: FakeElectron) {
    super();
  }
  setWindowOpenHandler(h: Handler): void {
    this.openHandler = h;
  }
  postMessage(channel: string, _message: unknown, ports: MessagePort[]): void {
    this.fake.posted.push({ channel, ports });
  }
  send(): void {}
  getZoomLevel(): number {
    return this.zoom;
  }
  setZoomLevel(z: number): void {
    this.zoom = z;
  }
  setIgnoreMenuShortcuts(): void {}
  closeDevTools(): void {}
}

export class FakeWindow extends EventEmitter {
  readonly webContents: FakeContents;
  title: string;
  focused = false;
  fullScreen = false;
  destroyed = false;
  constructor(
    fake: FakeElectron,
    readonly options: { title: string; webPreferences: Record<string, unknown> },
  ) {
    super();
    if (!fake.ready) throw new Error('a window before ready');
    this.webContents = new FakeContents(fake);
    this.title = options.title;
    (fake.module.app as EventEmitter).emit('web-contents-created', {}, this.webContents);
    fake.windows.push(this);
  }
  /** The URL the window loaded. */
  get url(): string {
    return this.webContents.mainFrame.url;
  }
  loadURL(url: string): Promise<void> {
    this.webContents.mainFrame.url = url;
    return Promise.resolve();
  }
  setTitle(t: string): void {
    this.title = t;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  isFullScreen(): boolean {
    return this.fullScreen;
  }
  setFullScreen(f: boolean): void {
    this.fullScreen = f;
  }
  isMinimized(): boolean {
    return false;
  }
  restore(): void {}
  /** The user brings the window to the front. */
  focus(): void {
    this.focused = true;
    this.emit('focus');
  }
  /** The user goes to another window. */
  blur(): void {
    this.focused = false;
    this.emit('blur');
  }
  close(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.emit('closed');
  }
  destroy(): void {
    this.close();
  }
}

/** The module's members, recording into `fake`. */
function electronModule(fake: FakeElectron): Record<string, unknown> {
  const app = Object.assign(new EventEmitter(), {
    isPackaged: false,
    // Chromium's CommandLine: a switch given again replaces its value.
    commandLine: {
      appendSwitch: (name: string, value?: string) => void fake.switches.set(name, value ?? ''),
      hasSwitch: (name: string) => fake.switches.has(name),
      getSwitchValue: (name: string) => fake.switches.get(name) ?? '',
    },
    requestSingleInstanceLock(data: unknown): boolean {
      fake.lockData = data;
      return true;
    },
    whenReady(): Promise<void> {
      fake.schemesBeforeReady = fake.schemes.length > 0;
      fake.switchesBeforeReady = fake.switches.size > 0;
      fake.ready = true;
      return Promise.resolve();
    },
    quit: () => void fake.quits++,
    exit: () => {},
    getPath: () => '/tmp',
    setAsDefaultProtocolClient: (scheme: string, path?: string, args?: string[]) => fake.protocolClients.push({ scheme, path, args }),
  });
  class Window extends FakeWindow {
    constructor(options: { title: string; webPreferences: Record<string, unknown> }) {
      super(fake, options);
    }
    static getAllWindows(): FakeWindow[] {
      return fake.windows.filter((w) => !w.destroyed);
    }
    static getFocusedWindow(): FakeWindow | null {
      return fake.windows.find((w) => w.focused && !w.destroyed) ?? null;
    }
  }
  const emptyImage = { isEmpty: () => true, toPNG: () => Buffer.alloc(0), getSize: () => ({ width: 0, height: 0 }), toBitmap: () => Buffer.alloc(0) };
  return {
    app,
    BrowserWindow: Window,
    protocol: { registerSchemesAsPrivileged: (s: unknown[]) => fake.schemes.push(...s) },
    session: {
      defaultSession: {
        protocol: { handle: (_scheme: string, h: (r: { method: string; url: string }) => Response) => (fake.protocolHandler = h) },
        setPermissionRequestHandler: (h: Handler) => (fake.permissionRequest = h),
        setPermissionCheckHandler: (h: Handler) => (fake.permissionCheck = h),
        setDevicePermissionHandler: () => {},
        webRequest: { onBeforeRequest: (h: Handler) => (fake.beforeRequest = h) },
        on: () => {},
      },
    },
    ipcMain: { on: (channel: string, h: Handler) => fake.ipc.set(channel, h) },
    Menu: { setApplicationMenu: (m: unknown[] | null) => (fake.menu = m), buildFromTemplate: (t: unknown) => t },
    dialog: {
      showOpenDialog: (...args: unknown[]) =>
        new Promise((resolve) =>
          fake.openDialogs.push({
            options: args.at(-1) as Record<string, unknown>,
            answer: (paths) => resolve(paths ? { canceled: false, filePaths: paths } : { canceled: true, filePaths: [] }),
          }),
        ),
      showErrorBox: (title: string, m: string) => fake.fatal.push(`${title}: ${m}`),
      showMessageBox: (options: Record<string, unknown>) =>
        fake.messageBoxFails
          ? Promise.reject(new Error('no display')).finally(() => fake.failedMessageBoxes++)
          : new Promise((resolve) => fake.messageBoxes.push({ options, answer: (response, checkboxChecked) => resolve({ response, checkboxChecked }) })),
    },
    clipboard: {
      readText: () => {
        fake.clipboard.reads++;
        return fake.clipboard.text;
      },
      readImage: () => {
        fake.clipboard.reads++;
        return emptyImage;
      },
    },
    nativeImage: { createFromBuffer: () => emptyImage },
    screen: { getAllDisplays: () => [], getDisplayMatching: () => ({ bounds: { x: 0, y: 0, width: 1920, height: 1080 } }) },
    MessageChannelMain: class {
      readonly port1: unknown;
      readonly port2: MessagePort;
      constructor() {
        const c = new MessageChannel();
        this.port1 = mainPort(c.port1);
        this.port2 = c.port2;
      }
    },
  };
}

/** Electron's MessagePortMain over a worker_threads port. */
function mainPort(port: MessagePort): unknown {
  return {
    postMessage: (m: unknown) => port.postMessage(m),
    on(event: string, listener: Handler) {
      if (event === 'message') port.on('message', (data: unknown) => listener({ data, ports: [] }));
      else port.on(event, listener);
      return this;
    },
    start: () => port.start(),
    close: () => port.close(),
  };
}

/**
 * Runs dist/electron-main.cjs (built by scripts/build.mjs) with `argv` against `fake`. Each call
 * evaluates the bundle again, so that every load is a fresh app.
 */
export function loadElectronMain(fake: FakeElectron, argv: string[]): void {
  const require = createRequire(import.meta.url);
  const entry = join(__dirname, '../../dist/electron-main.cjs');
  require.cache[require.resolve('electron')] = { exports: fake.module } as unknown as NodeJS.Module;
  delete require.cache[require.resolve(entry)];
  const saved = process.argv;
  process.argv = argv;
  try {
    require(entry);
  } finally {
    process.argv = saved;
  }
}
