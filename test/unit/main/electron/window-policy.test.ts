// The Electron window's security policy as data: CSP (the gateway's, less its WebSocket),
// permissions, which requests and navigations are allowed, web preferences, the app scheme.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../src/protocol/logger.ts';
import { startGateway, type Gateway } from '../../../../src/main/gateway/gateway-server.ts';
import { APP_ORIGIN } from '../../../../src/main/electron/ipc-channels.ts';
import { sessionPolicy } from '../../../../src/protocol/policy/kiosk-policy.ts';
import {
  guardWindow,
  policyWindowOptions,
  QuitGate,
  APP_ENTRY_URL,
  APP_SCHEME_PRIVILEGES,
  appResponse,
  CONTENT_SECURITY_POLICY,
  isAppUrl,
  mediaPermissionCheck,
  mediaPermissionGranted,
  MicrophoneGrants,
  navigationAllowed,
  permissionCheck,
  permissionGranted,
  requestAllowed,
  webPreferences,
} from '../../../../src/main/electron/window-policy.ts';

function directives(csp: string): Map<string, string> {
  return new Map(csp.split(';').map((d) => d.trim()).filter(Boolean).map((d) => [d.split(/\s+/)[0], d.split(/\s+/).slice(1).join(' ')]));
}

describe('Content-Security-Policy', () => {
  let dir: string;
  let gateway: Gateway;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'spicedesk-csp-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html>');
    gateway = await startGateway({ host: '127.0.0.1', port: 0, assetsDir: dir, targets: [], logger: silentLogger, linkTimeoutMs: 1000 });
  });
  afterAll(async () => {
    await gateway.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is the gateway page policy, directive for directive, except that the window connects to nothing', async () => {
    const res = await fetch(gateway.url);
    const fromGateway = directives(res.headers.get('content-security-policy') ?? '');
    const fromWindow = directives(CONTENT_SECURITY_POLICY);
    expect(fromGateway.get('connect-src')).toMatch(/^'self' ws:\/\//);
    expect(fromWindow.get('connect-src')).toBe("'none'");
    fromGateway.delete('connect-src');
    fromWindow.delete('connect-src');
    expect(fromWindow).toEqual(fromGateway);
  });

  it('allows no inline or eval script and no plugin, base or form target', () => {
    const d = directives(CONTENT_SECURITY_POLICY);
    expect(d.get('script-src')).toBe("'self' 'wasm-unsafe-eval'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/'unsafe-eval'/);
    // Inline only for <style> elements (xterm.js, the serial console's terminal): no inline script, no style attribute.
    expect([...d].filter(([, v]) => v.includes("'unsafe-inline'")).map(([k]) => k)).toEqual(['style-src-elem']);
    expect(d.get('style-src')).toBe("'self'");
    expect(d.get('object-src')).toBe("'none'");
    expect(d.get('base-uri')).toBe("'none'");
    expect(d.get('form-action')).toBe("'none'");
  });
});

describe('app URLs', () => {
  it('are the app origin only', () => {
    expect(isAppUrl(APP_ENTRY_URL)).toBe(true);
    expect(isAppUrl(`${APP_ORIGIN}/decode-worker.js`)).toBe(true);
    expect(isAppUrl('spicedesk-app://other/index.html')).toBe(false);
    expect(isAppUrl(`spicedesk-app://user:pw@${APP_ORIGIN.split('//')[1]}/`)).toBe(false);
    expect(isAppUrl('https://renderer/index.html')).toBe(false);
    expect(isAppUrl('file:///index.html')).toBe(false);
    expect(isAppUrl('not a url')).toBe(false);
  });

  it('has the privileges a page with a module worker needs, and no more', () => {
    expect(APP_SCHEME_PRIVILEGES).toEqual({ standard: true, secure: true, supportFetchAPI: true, corsEnabled: true });
    expect('bypassCSP' in APP_SCHEME_PRIVILEGES).toBe(false);
    expect('allowServiceWorkers' in APP_SCHEME_PRIVILEGES).toBe(false);
  });
});

describe('permissions', () => {
  it('grants pointer lock, fullscreen and keyboard lock to the app page only', () => {
    for (const p of ['pointerLock', 'fullscreen', 'keyboardLock']) {
      expect(permissionGranted(p, APP_ENTRY_URL, true)).toBe(true);
      expect(permissionGranted(p, 'https://evil.example/', true)).toBe(false);
      expect(permissionGranted(p, APP_ENTRY_URL, false)).toBe(false);
      expect(permissionGranted(p, undefined, true)).toBe(false);
    }
  });

  it('denies everything else', () => {
    for (const p of ['media', 'notifications', 'geolocation', 'openExternal', 'display-capture', 'midiSysex', 'window-management', 'fileSystem', 'unknown', 'PointerLock', '']) {
      expect(permissionGranted(p, APP_ENTRY_URL, true), p).toBe(false);
      expect(permissionCheck(p, APP_ORIGIN), p).toBe(false);
    }
  });

  it('allows the microphone (audio only) to the app page only while its server records', () => {
    const grants = new MicrophoneGrants();
    const recording = (): boolean => grants.has(7);
    expect(mediaPermissionGranted(APP_ENTRY_URL, true, ['audio'], recording())).toBe(false);
    expect(mediaPermissionCheck(APP_ORIGIN, 'audio', recording())).toBe(false);
    grants.set(7, true);
    expect(grants.has(8)).toBe(false);
    expect(mediaPermissionGranted(APP_ENTRY_URL, true, ['audio'], recording())).toBe(true);
    expect(mediaPermissionCheck(APP_ORIGIN, 'audio', recording())).toBe(true);
    // Never the camera or the screen, another page, a subframe, or a request that names nothing.
    expect(mediaPermissionGranted(APP_ENTRY_URL, true, ['audio', 'video'], recording())).toBe(false);
    expect(mediaPermissionGranted(APP_ENTRY_URL, true, ['video'], recording())).toBe(false);
    expect(mediaPermissionGranted(APP_ENTRY_URL, true, [], recording())).toBe(false);
    expect(mediaPermissionGranted(APP_ENTRY_URL, true, undefined, recording())).toBe(false);
    expect(mediaPermissionGranted('https://evil.example/', true, ['audio'], recording())).toBe(false);
    expect(mediaPermissionGranted(APP_ENTRY_URL, false, ['audio'], recording())).toBe(false);
    expect(mediaPermissionCheck(APP_ORIGIN, 'video', recording())).toBe(false);
    expect(mediaPermissionCheck('https://evil.example', 'audio', recording())).toBe(false);
    // STOP (or the window's session ending): denied again.
    grants.set(7, false);
    expect(mediaPermissionGranted(APP_ENTRY_URL, true, ['audio'], recording())).toBe(false);
  });

  it('lets the window\'s own page write what the guest copied, only while --clipboard lets it out', () => {
    const p = 'clipboard-sanitized-write';
    expect(permissionGranted(p, APP_ENTRY_URL, true)).toBe(true);
    expect(permissionCheck(p, APP_ORIGIN)).toBe(true);
    expect(permissionGranted(p, 'https://example.com/', true)).toBe(false);
    expect(permissionGranted(p, APP_ENTRY_URL, false)).toBe(false);
    expect(permissionCheck(p, 'https://example.com')).toBe(false);
    for (const policy of [{ toGuest: true, fromGuest: false }, { toGuest: false, fromGuest: false }]) {
      expect(permissionGranted(p, APP_ENTRY_URL, true, policy)).toBe(false);
      expect(permissionCheck(p, APP_ORIGIN, policy)).toBe(false);
    }
    expect(permissionGranted(p, APP_ENTRY_URL, true, { toGuest: false, fromGuest: true })).toBe(true);
  });

  it('never lets the page read the clipboard: main reads it on focus when allowed (focus-clipboard.ts)', () => {
    expect(permissionGranted('clipboard-read', APP_ENTRY_URL, true)).toBe(false);
    expect(permissionCheck('clipboard-read', APP_ORIGIN)).toBe(false);
  });

  it('answers checks like requests, by origin', () => {
    expect(permissionCheck('pointerLock', APP_ORIGIN)).toBe(true);
    expect(permissionCheck('pointerLock', 'https://evil.example')).toBe(false);
  });
});

describe('requests and navigation', () => {
  it('lets the page load its own files, data: and blob: URLs, nothing from the network or the disk', () => {
    expect(requestAllowed(`${APP_ORIGIN}/main.js`, false)).toBe(true);
    expect(requestAllowed('data:,', false)).toBe(true);
    expect(requestAllowed(`blob:${APP_ORIGIN}/1234`, false)).toBe(true);
    for (const url of ['https://example.com/', 'http://127.0.0.1:8080/', 'ws://127.0.0.1/ws', 'wss://x/', 'file:///etc/passwd', 'ftp://x/', 'spicedesk-app://other/x', 'chrome://gpu']) {
      expect(requestAllowed(url, false), url).toBe(false);
    }
  });

  it('lets DevTools load its own pages in development only', () => {
    expect(requestAllowed('devtools://devtools/bundled/devtools_app.html', true)).toBe(true);
    expect(requestAllowed('devtools://devtools/bundled/devtools_app.html', false)).toBe(false);
  });

  it('allows no navigation, not even to the app itself', () => {
    expect(navigationAllowed('https://example.com/')).toBe(false);
    expect(navigationAllowed(APP_ENTRY_URL)).toBe(false);
  });
});

describe('webPreferences', () => {
  it('is isolated, sandboxed, without Node, with web security on', () => {
    const p = webPreferences('/app/dist/preload.cjs', true);
    expect(p).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, nodeIntegrationInWorker: false, webSecurity: true, webviewTag: false, allowRunningInsecureContent: false });
    expect(p.preload).toBe('/app/dist/preload.cjs');
  });

  it('has DevTools only in a development run', () => {
    expect(webPreferences('p', true).devTools).toBe(false);
    expect(webPreferences('p', false).devTools).toBe(true);
  });
});

describe('appResponse', () => {
  const assets = new Map([
    ['index.html', { body: new TextEncoder().encode('<!doctype html>'), contentType: 'text/html; charset=utf-8' }],
    ['main.js', { body: new TextEncoder().encode('x'), contentType: 'text/javascript; charset=utf-8' }],
  ]);

  it('serves a file by its exact name with the CSP', () => {
    const r = appResponse('GET', `${APP_ORIGIN}/main.js`, assets, 'index.html');
    expect(r.status).toBe(200);
    expect(r.headers['Content-Security-Policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(r.headers['Content-Type']).toBe('text/javascript; charset=utf-8');
    expect(r.headers['X-Content-Type-Options']).toBe('nosniff');
    expect(new TextDecoder().decode(r.body ?? new Uint8Array())).toBe('x');
  });

  it('serves the page at the root, and no body for HEAD', () => {
    expect(appResponse('GET', `${APP_ORIGIN}/`, assets, 'index.html').headers['Content-Type']).toBe('text/html; charset=utf-8');
    const head = appResponse('HEAD', APP_ENTRY_URL, assets, 'index.html');
    expect(head.status).toBe(200);
    expect(head.body).toBeNull();
    expect(head.headers['Content-Length']).toBe('15');
  });

  it('has nothing outside its files, whatever the path', () => {
    for (const path of ['/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/sub/main.js', '/.hidden', '/main.js/', '/nope.js', '/%00']) {
      expect(appResponse('GET', `${APP_ORIGIN}${path}`, assets, 'index.html').status, path).toBe(404);
    }
    expect(appResponse('GET', 'spicedesk-app://other/main.js', assets, 'index.html').status).toBe(404);
  });

  it('takes only GET and HEAD', () => {
    const r = appResponse('POST', APP_ENTRY_URL, assets, 'index.html');
    expect(r.status).toBe(405);
    expect(r.headers.Allow).toBe('GET, HEAD');
  });
});

describe('kiosk windows', () => {
  const kiosk = sessionPolicy({ flags: { kiosk: true, kioskQuit: 'never' }, development: true }).window;
  const plain = sessionPolicy({ flags: { kiosk: false, kioskQuit: 'never' }, development: true }).window;

  it('are kiosk, fullscreen, frameless and fixed; ordinary windows are not', () => {
    expect(policyWindowOptions(kiosk)).toEqual({
      kiosk: true,
      fullscreen: true,
      fullscreenable: true,
      frame: false,
      closable: false,
      minimizable: false,
      maximizable: false,
      resizable: false,
      movable: false,
      autoHideMenuBar: true,
    });
    expect(policyWindowOptions(plain)).toMatchObject({ kiosk: false, fullscreen: false, frame: true, closable: true, autoHideMenuBar: false });
  });

  it('have no developer tools even in a development run', () => {
    expect(webPreferences('/p.cjs', false, kiosk.devTools).devTools).toBe(false);
    expect(webPreferences('/p.cjs', false, plain.devTools).devTools).toBe(true);
  });

  it('cannot be closed until the quit gate opens, close developer tools and ignore menu shortcuts', () => {
    type Listener = (e: { preventDefault(): void }) => void;
    const listeners = new Map<string, Listener>();
    const on = (event: string, l: Listener): void => void listeners.set(event, l);
    const contents = { on, closeDevTools: () => closedDevTools++, setIgnoreMenuShortcuts: (i: boolean) => (ignoring = i) };
    let closedDevTools = 0;
    let ignoring = false;
    const gate = new QuitGate(true);
    guardWindow({ on }, contents, kiosk, gate);
    let prevented = 0;
    listeners.get('close')!({ preventDefault: () => prevented++ });
    expect(prevented).toBe(1);
    listeners.get('devtools-opened')!({ preventDefault: () => {} });
    expect(closedDevTools).toBe(1);
    expect(ignoring).toBe(true);
    expect(gate.allowed).toBe(false);
    gate.open();
    listeners.get('close')!({ preventDefault: () => prevented++ });
    expect(prevented).toBe(1);
    expect(new QuitGate(false).allowed).toBe(true);
  });

  it('outside kiosk, guard nothing', () => {
    const events: string[] = [];
    guardWindow({ on: (e: string) => events.push(e) }, { on: (e: string) => events.push(e), closeDevTools: () => {}, setIgnoreMenuShortcuts: () => events.push('ignore') }, plain, new QuitGate(false));
    expect(events).toEqual([]);
  });
});
