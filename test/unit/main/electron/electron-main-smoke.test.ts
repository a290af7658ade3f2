// The Electron glue (dist/electron-main.cjs, as built) run in Node against a fake `electron`
// module, since no Electron binary runs here: it registers the scheme and the single-instance
// lock before 'ready', serves the renderer with the CSP, applies the permission and request
// policy, hardens every web contents, opens a window per TARGET, answers a page's bridge request
// (from its own main frame only) with a port that carries a working bridge, and takes F11.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostMessage } from '../../../../src/protocol/bridge/bridge-messages.ts';
import { BRIDGE_VERSION } from '../../../../src/protocol/bridge/kinds.ts';
import { decodeHostPacket } from '../../../../src/protocol/bridge/host-codec.ts';
import { encodeUiMessage } from '../../../../src/protocol/bridge/ui-codec.ts';
import { FromMain, ToMain } from '../../../../src/main/electron/ipc-channels.ts';
import { APP_ENTRY_URL, CONTENT_SECURITY_POLICY } from '../../../../src/main/electron/window-policy.ts';
import { FakeElectron, loadElectronMain, type FakeWindow } from '../../../helpers/fake-electron.ts';
import { waitUntil } from '../../../helpers/wait.ts';

const UNREACHABLE = 'spice://127.0.0.1:9';
const fake = new FakeElectron();
const fakeApp = fake.app;

beforeAll(async () => {
  loadElectronMain(fake, ['/opt/spicedesk/spicedesk', UNREACHABLE, '--enable-logging']);
  await waitUntil('the first window', () => fake.windows.length > 0, 5000).catch(() => undefined);
});
afterAll(() => fake.closeAll());

const win = (): FakeWindow => fake.windows[0];

describe('electron-main against a fake electron', () => {
  it('registers the privileged scheme and the single-instance lock (with its targets) before ready', () => {
    expect(fake.schemesBeforeReady).toBe(true);
    expect(fake.schemes).toEqual([{ scheme: 'spicedesk-app', privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true } }]);
    expect(fake.lockData).toEqual({ targets: [UNREACHABLE] });
  });

  it("sets the windows' Chromium switches before ready (chromium-switches.ts)", () => {
    expect(fake.switchesBeforeReady).toBe(true);
    expect(fake.switches.get('enable-features')?.split(',')).toContain('NetworkServiceInProcess2');
  });

  it('opens a sandboxed window for the TARGET on the app page', () => {
    expect(fake.fatal).toEqual([]);
    expect(fake.windows).toHaveLength(1);
    expect(win().url).toBe(APP_ENTRY_URL);
    expect(win().title).toBe(`${UNREACHABLE} – spicedesk`);
    expect(win().options.webPreferences).toMatchObject({ sandbox: true, contextIsolation: true, nodeIntegration: false, webSecurity: true });
    expect(String(win().options.webPreferences.preload)).toMatch(/dist\/preload\.cjs$/);
  });

  it('gives the window spicedesk’s icon on Linux: the 256 px PNG electron-builder.yml packs beside dist/', () => {
    const icon = String((win().options as { icon?: unknown }).icon);
    expect(icon).toMatch(/\/resources\/icons\/256x256\.png$/);
    expect(existsSync(icon)).toBe(true);
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
    // The microphone too, while the server has not asked for it (RECORD START; window-policy.test.ts has the rule).
    fake.permissionRequest!(win().webContents, 'media', (g: boolean) => answers.push(g), { requestingUrl: APP_ENTRY_URL, isMainFrame: true, mediaTypes: ['audio'] });
    expect(answers).toEqual([true, false, false]);
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

  it("answers an input port request only from the window page; the port takes INPUT_JOIN with a live session's token only", async () => {
    const contents = win().webContents;
    const openInputPort = fake.ipc.get(ToMain.openInputPort)!;
    const before = fake.posted.length;
    openInputPort({ sender: contents, senderFrame: { url: 'https://evil.example/' } });
    openInputPort({ sender: contents, senderFrame: contents.mainFrame }, 'extra');
    expect(fake.posted).toHaveLength(before);
    openInputPort({ sender: contents, senderFrame: contents.mainFrame });
    expect(fake.posted.slice(before).map((p) => p.channel)).toEqual([FromMain.inputPort]);
    const port = fake.posted[before].ports[0];
    const got: HostMessage[] = [];
    port.on('message', (data: Uint8Array) => got.push(...decodeHostPacket(data)));
    port.postMessage(encodeUiMessage({ kind: 'input-join', version: BRIDGE_VERSION, target: 0, token: new Uint8Array(32) }));
    await waitUntil('an error status', () => got.some((m) => m.kind === 'status' && m.status.state === 'error'), 5000).catch(() => undefined);
    expect(got[0]).toEqual({ kind: 'hello', version: BRIDGE_VERSION });
    expect(got.find((m) => m.kind === 'status')).toMatchObject({ kind: 'status', status: { state: 'error', message: expect.stringMatching(/names a session that is over/) } });
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
