// The Electron glue (dist/electron-main.cjs, as built) run in Node against a fake `electron`
// module, since no Electron binary runs here: it registers the scheme and the single-instance
// lock before 'ready', serves the renderer with the CSP, applies the permission and request
// policy, hardens every web contents, opens a window per TARGET, answers a page's bridge request
// (from its own main frame only) with a port that carries a working bridge, and takes F11.
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostMessage } from '../../../../src/protocol/bridge/bridge-messages.ts';
import { BRIDGE_VERSION } from '../../../../src/protocol/bridge/kinds.ts';
import { decodeHostPacket } from '../../../../src/protocol/bridge/host-codec.ts';
import { encodeUiMessage } from '../../../../src/protocol/bridge/ui-codec.ts';
import { FromMain, ToMain } from '../../../../src/main/electron/ipc-channels.ts';
import { APP_ENTRY_URL, CONTENT_SECURITY_POLICY } from '../../../../src/main/electron/window-policy.ts';
import { waitUntil } from '../../../helpers/wait.ts';

type Handler = (...args: unknown[]) => unknown;

const fake = {
  schemes: [] as unknown[],
  schemesBeforeReady: false,
  lockData: undefined as unknown,
  ready: false,
  protocolHandler: null as null | ((r: { method: string; url: string }) => Response),
  permissionRequest: null as null | Handler,
  permissionCheck: null as null | Handler,
  beforeRequest: null as null | Handler,
  ipc: new Map<string, Handler>(),
  windows: [] as FakeWindow[],
  posted: [] as { channel: string; ports: MessagePort[] }[],
  fatal: [] as string[],
};

let nextContentsId = 1;
class FakeContents extends EventEmitter {
  readonly id = nextContentsId++;
  readonly mainFrame = { url: '' };
  openHandler: Handler | null = null;
  zoom = 0;
  setWindowOpenHandler(h: Handler): void {
    this.openHandler = h;
  }
  postMessage(channel: string, _message: unknown, ports: MessagePort[]): void {
    fake.posted.push({ channel, ports });
  }
  send(): void {}
  getZoomLevel(): number {
    return this.zoom;
  }
  setZoomLevel(z: number): void {
    this.zoom = z;
  }
}

class FakeWindow extends EventEmitter {
  readonly webContents = new FakeContents();
  url = '';
  title: string;
  fullScreen = false;
  constructor(readonly options: { title: string; webPreferences: Record<string, unknown> }) {
    super();
    this.title = options.title;
    if (!fake.ready) throw new Error('a window before ready');
    fakeApp.emit('web-contents-created', {}, this.webContents);
    fake.windows.push(this);
  }
  loadURL(url: string): Promise<void> {
    this.url = url;
    this.webContents.mainFrame.url = url;
    return Promise.resolve();
  }
  setTitle(t: string): void {
    this.title = t;
  }
  isDestroyed(): boolean {
    return false;
  }
  isFullScreen(): boolean {
    return this.fullScreen;
  }
  setFullScreen(f: boolean): void {
    this.fullScreen = f;
  }
  static getAllWindows(): FakeWindow[] {
    return fake.windows;
  }
  static getFocusedWindow(): FakeWindow | null {
    return null;
  }
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

const fakeApp = Object.assign(new EventEmitter(), {
  isPackaged: false,
  requestSingleInstanceLock(data: unknown): boolean {
    fake.lockData = data;
    return true;
  },
  whenReady(): Promise<void> {
    fake.schemesBeforeReady = fake.schemes.length > 0;
    fake.ready = true;
    return Promise.resolve();
  },
  quit(): void {},
  exit(): void {},
  getPath: () => '/tmp',
  setAsDefaultProtocolClient: () => true,
});

const electronFake = {
  app: fakeApp,
  BrowserWindow: FakeWindow,
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
  Menu: { setApplicationMenu: () => {}, buildFromTemplate: (t: unknown) => t },
  dialog: { showErrorBox: (title: string, m: string) => fake.fatal.push(`${title}: ${m}`) },
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

const UNREACHABLE = 'spice://127.0.0.1:9';

beforeAll(async () => {
  const require = createRequire(import.meta.url);
  const entry = join(__dirname, '../../../../dist/electron-main.cjs');
  require.cache[require.resolve('electron')] = { exports: electronFake } as unknown as NodeJS.Module;
  const argv = process.argv;
  process.argv = ['/opt/spicedesk/spicedesk', UNREACHABLE, '--enable-logging'];
  try {
    require(entry);
  } finally {
    process.argv = argv;
  }
  await waitUntil('the first window', () => fake.windows.length > 0, 5000).catch(() => undefined);
});
afterAll(() => {
  for (const p of fake.posted.flatMap((x) => x.ports)) p.close();
});

const win = (): FakeWindow => fake.windows[0];

describe('electron-main against a fake electron', () => {
  it('registers the privileged scheme and the single-instance lock (with its targets) before ready', () => {
    expect(fake.schemesBeforeReady).toBe(true);
    expect(fake.schemes).toEqual([{ scheme: 'spicedesk-app', privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true } }]);
    expect(fake.lockData).toEqual({ targets: [UNREACHABLE] });
  });

  it('opens a sandboxed window for the TARGET on the app page', () => {
    expect(fake.fatal).toEqual([]);
    expect(fake.windows).toHaveLength(1);
    expect(win().url).toBe(APP_ENTRY_URL);
    expect(win().title).toBe(`${UNREACHABLE} – spicedesk`);
    expect(win().options.webPreferences).toMatchObject({ sandbox: true, contextIsolation: true, nodeIntegration: false, webSecurity: true });
    expect(String(win().options.webPreferences.preload)).toMatch(/dist\/preload\.cjs$/);
  });

  it('serves the renderer from memory with the CSP', async () => {
    const r = fake.protocolHandler!({ method: 'GET', url: APP_ENTRY_URL });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(await r.text()).toMatch(/<script type="module" src="main.js">/);
    expect(fake.protocolHandler!({ method: 'GET', url: 'spicedesk-app://renderer/../package.json' }).status).toBe(404);
  });

  it('grants pointer lock, denies the camera, and blocks network requests', () => {
    const answers: boolean[] = [];
    fake.permissionRequest!(win().webContents, 'pointerLock', (g: boolean) => answers.push(g), { requestingUrl: APP_ENTRY_URL, isMainFrame: true });
    fake.permissionRequest!(win().webContents, 'media', (g: boolean) => answers.push(g), { requestingUrl: APP_ENTRY_URL, isMainFrame: true });
    expect(answers).toEqual([true, false]);
    const cancels: unknown[] = [];
    fake.beforeRequest!({ url: 'https://example.com/x.js' }, (r: unknown) => cancels.push(r));
    fake.beforeRequest!({ url: `${APP_ENTRY_URL}` }, (r: unknown) => cancels.push(r));
    expect(cancels).toEqual([{ cancel: true }, { cancel: false }]);
  });

  it('blocks navigation and window.open in every web contents', () => {
    let prevented = 0;
    win().webContents.emit('will-navigate', { preventDefault: () => prevented++ }, 'https://example.com/');
    win().webContents.emit('will-redirect', { preventDefault: () => prevented++ });
    expect(prevented).toBe(2);
    expect(win().webContents.openHandler!({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
  });

  it('answers a bridge request only from the window page, and the port carries a bridge to the session', async () => {
    const contents = win().webContents;
    const openBridge = fake.ipc.get(ToMain.openBridge)!;
    openBridge({ sender: contents, senderFrame: { url: 'https://evil.example/' } });
    openBridge({ sender: contents, senderFrame: contents.mainFrame }, 'extra');
    expect(fake.posted).toHaveLength(0);
    openBridge({ sender: contents, senderFrame: contents.mainFrame });
    expect(fake.posted.map((p) => p.channel)).toEqual([FromMain.bridgePort]);
    const page = fake.posted[0].ports[0];
    const got: HostMessage[] = [];
    page.on('message', (data: Uint8Array) => got.push(...decodeHostPacket(data)));
    page.postMessage(encodeUiMessage({ kind: 'hello', version: BRIDGE_VERSION, target: 0 }));
    await waitUntil('an error status', () => got.some((m) => m.kind === 'status' && m.status.state === 'error'), 5000).catch(() => undefined);
    expect(got[0]).toEqual({ kind: 'hello', version: BRIDGE_VERSION });
    // The page's policy (not kiosk: this run has no --kiosk) comes before the session's first status.
    expect(got[1]).toMatchObject({ kind: 'page-policy', kiosk: false, onSessionEnd: 'status' });
    const statuses = got.filter((m) => m.kind === 'status');
    expect(statuses[0]).toEqual({ kind: 'status', status: { state: 'connecting', where: '127.0.0.1:9' } });
    expect(statuses[1]).toMatchObject({ kind: 'status', status: { state: 'error', errorKind: 'unreachable' } });
  });

  it('takes F11 for fullscreen before the page sees it', () => {
    let prevented = 0;
    const input = { type: 'keyDown', code: 'F11', control: false, shift: false, alt: false, meta: false };
    win().webContents.emit('before-input-event', { preventDefault: () => prevented++ }, input);
    expect(win().fullScreen).toBe(true);
    expect(prevented).toBe(1);
    win().webContents.emit('before-input-event', { preventDefault: () => prevented++ }, { ...input, code: 'KeyA' });
    expect(prevented).toBe(1);
  });

  it("opens a second instance's targets in new windows", async () => {
    fakeApp.emit('second-instance', {}, ['/x/spicedesk', 'ignored.vv'], '/home/bob', { targets: ['spice://127.0.0.1:10'] });
    await waitUntil('the second window', () => fake.windows.length >= 2, 5000).catch(() => undefined);
    expect(fake.windows).toHaveLength(2);
    expect(fake.windows[1].title).toBe('spice://127.0.0.1:10 – spicedesk');
  });
});
