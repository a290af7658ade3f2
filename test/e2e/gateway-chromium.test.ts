// The renderer in real headless Chromium, through `spicedesk serve`, against Xspice: the page
// shows exactly the pixels `spicedesk capture` gets from the same server (with WebGL2, which is
// SwiftShader here, and with the 2D fallback), survives a lost WebGL context, stays idle when the
// screen does, types into an xterm, moves the X pointer where it clicks, and follows the server's
// cursor shape.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drawStandardDesktop, waitForWindow } from '../peers/desktop.ts';
import { isUniform, type RgbaImage } from '../peers/image.ts';
import { explainMismatch } from '../peers/png.ts';
import { waitFor, waitUntil, watchForNothing } from '../helpers/wait.ts';
import { requireFile, requireTool } from '../peers/require-tool.ts';
import type { XspiceServer } from '../peers/xspice.ts';
import { closeAndCapture as captureAfterClosing, launchChromium, openSessionPage, pagePixels, pageProblems, pointAt, screenToPage, waitUntilSettled } from './browser-page.ts';
import { loseContext, pageState } from './page-api.ts';
import type { ServeProcess } from './serve-process.ts';
import { useGatewayPeers } from './gateway-peers.ts';

const dir = mkdtempSync(join(tmpdir(), 'spicedesk-e2e-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Closes the page and captures with the CLI; the gateway goes on serving. */
async function closeAndCapture(page: Page, xs: XspiceServer, serve: ServeProcess, name: string): Promise<RgbaImage> {
  const image = await captureAfterClosing(page, xs.port, join(dir, `${name}.png`));
  expect(serve.process.running()).toBe(true);
  return image;
}

function expectSamePixels(name: string, expected: RgbaImage, actual: RgbaImage): void {
  const problem = explainMismatch(name, expected, actual, { ignoreAlpha: true });
  expect(problem).toBeUndefined();
}

describe('the page in headless Chromium, through spicedesk serve, against Xspice', () => {
  // Each test launches its own browser (the renderers with their own arguments).
  const peers = useGatewayPeers({}, undefined, {
    prepare: async (xs) => {
      const reference = await drawStandardDesktop(xs);
      expect(isUniform(reference)).toBe(false);
    },
    chromium: false,
  });

  const renderers = [
    { name: 'WebGL2 (SwiftShader in headless Chromium, forced with #renderer=webgl)', args: [], hash: '#renderer=webgl', kind: 'webgl2' },
    { name: 'the 2D canvas, chosen by default over software WebGL', args: [], hash: '', kind: '2d' },
    { name: 'the 2D canvas fallback (--disable-webgl)', args: ['--disable-webgl'], hash: '', kind: '2d' },
    // The bridge's WebSocket on the page's thread, handing display bodies to the worker (not the default).
    { name: "the 2D canvas, the bridge on the page's thread (#bridge=page)", args: [], hash: '#bridge=page', kind: '2d' },
  ] as const;

  for (const renderer of renderers) {
    describe(renderer.name, () => {
      let browser: Browser;
      beforeAll(async () => {
        browser = await launchChromium([...renderer.args]);
      });
      afterAll(() => browser?.close());

      it('shows the same pixels as spicedesk capture, and draws nothing while the screen is still', async () => {
        const page = await openSessionPage(browser, peers.serve.url + renderer.hash);
        const settled = await waitUntilSettled(page);
        expect(settled.presenter).toBe(renderer.kind);
        expect(settled.bridgeIn).toBe(renderer.hash.includes('bridge=page') ? 'page' : 'worker');
        expect(settled.surface).toEqual({ channelId: 0, width: 1024, height: 768 });
        expect(settled.messageErrors).toBe(0);
        // No CSP violation, no failed request, no exception.
        expect(pageProblems(page)).toEqual([]);
        // An idle session schedules no animation frames.
        await watchForNothing(1000);
        expect((await pageState(page)).frames).toBe(settled.frames);
        const shown = await pagePixels(page);
        const captured = await closeAndCapture(page, peers.xs, peers.serve, `page-${renderer.kind}`);
        expectSamePixels(`gateway-${renderer.kind}${renderer.args.length ? '-nowebgl' : ''}${renderer.hash.includes('bridge') ? '-pagebridge' : ''}`, captured, shown);
      });
    });
  }

  it('recovers a lost WebGL context with the same pixels', async () => {
    const browser = await launchChromium();
    try {
      const page = await openSessionPage(browser, peers.serve.url + '#renderer=webgl');
      await waitUntilSettled(page);
      expect((await pageState(page)).presenter).toBe('webgl2');
      const before = await pagePixels(page);
      // The WebGL context lives where the presenter is (the decode worker, by default): the page's
      // hook loses it there (WEBGL_lose_context) and answers once it has been restored.
      const restored = await loseContext(page, 200);
      expect(restored).toBe(true);
      await waitUntilSettled(page);
      expectSamePixels('gateway-context-restored', before, await pagePixels(page));
      await page.close();
    } finally {
      await browser.close();
    }
  });

  it('types into an xterm, and a click moves the X pointer to that point', async () => {
    const file = join(dir, 'typed.txt');
    peers.xs.run('xterm', ['-geometry', '40x5+560+520', '-fn', 'fixed', '-T', 'spicedesk-cat', '-e', 'sh', '-c', `cat > ${file}`], { LC_ALL: 'C' });
    await waitForWindow(peers.xs, 'spicedesk-cat');
    const browser = await launchChromium();
    try {
      const page = await openSessionPage(browser, peers.serve.url);
      await page.waitForFunction(() => window.spicedeskPage?.state().mouseMode === 'client');
      // Without a window manager the keyboard follows the pointer: click into the xterm first.
      const inside = await pointAt(page, peers.xs, 700, 560);
      await page.mouse.click(inside.x, inside.y);
      await page.keyboard.type('hello');
      await page.keyboard.press('Enter');
      const typedText = (): string => (existsSync(file) ? readFileSync(file, 'utf8') : '');
      await waitUntil('the typed line in the file', () => typedText() === 'hello\n', 10_000).catch(() => undefined);
      expect(typedText()).toBe('hello\n');
      // The keys left from the page's thread on its input socket (the bridge runs in the worker):
      // the click and the 12 key messages, or all but what came before the socket opened.
      const input = (await pageState(page)).input;
      expect(input.via).toBe('socket');
      expect(input.socketSent).toBeGreaterThanOrEqual(12);
      expect((await pageState(page)).keysHeld).toBe(0);
      // A key still held when the screen loses focus is released, not left down in the guest.
      await page.keyboard.down('ShiftLeft');
      expect((await pageState(page)).keysHeld).toBe(1);
      await page.evaluate(() => (document.getElementById('screen') as HTMLCanvasElement).blur());
      expect((await pageState(page)).keysHeld).toBe(0);
      await page.keyboard.up('ShiftLeft');
      await page.mouse.click(inside.x, inside.y);
      await page.keyboard.type('x');
      await page.keyboard.press('Enter');
      // Lower case: the guest did not keep Shift pressed.
      await waitUntil('the second line in the file', () => typedText() === 'hello\nx\n', 5000).catch(() => undefined);
      expect(typedText()).toBe('hello\nx\n');

      for (const [x, y] of [
        [123, 456],
        [1000, 20],
      ]) {
        const p = await screenToPage(page, x, y);
        const before = (await pageState(page)).input.socketSent;
        await page.mouse.click(p.x, p.y);
        // The pointer's position, press and release went through the input socket too.
        expect((await pageState(page)).input.socketSent - before).toBeGreaterThanOrEqual(3);
        let location = '';
        await waitUntil(`the X pointer at ${x},${y}`, async () => (location = await peers.xs.exec('xdotool', ['getmouselocation'])).startsWith(`x:${x} y:${y} `), 5000).catch(() => undefined);
        expect(location).toMatch(new RegExp(`^x:${x} y:${y} `));
      }
      await page.close();
    } finally {
      await browser.close();
    }
  });

  it('sends every mouse button: left, middle, right, the wheel both ways, and the side buttons', async () => {
    requireTool('xev', 'x11-utils');
    const xev = peers.xs.run('stdbuf', ['-oL', 'xev', '-geometry', '300x200+600+300', '-name', 'spicedesk-xev', '-event', 'button']);
    await waitForWindow(peers.xs, 'spicedesk-xev');
    const browser = await launchChromium();
    try {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      // Keep a copy of what the page sends, to see the side buttons that Xspice drops: from the
      // page's WebSocket (#bridge=page), or from its messages to the decode worker, which then
      // runs the bridge (worker-bridge.ts), a button's MOUSE_PRESS/MOUSE_RELEASE kept as its first
      // bytes (kind, button, mask).
      await context.addInitScript(() => {
        const sent: number[][] = [];
        (window as unknown as { sentToGateway: number[][] }).sentToGateway = sent;
        const send = WebSocket.prototype.send;
        WebSocket.prototype.send = function (data) {
          if (data instanceof Uint8Array) sent.push(Array.from(data));
          return send.call(this, data);
        };
        const post = Worker.prototype.postMessage as (this: Worker, m: unknown, t?: Transferable[]) => void;
        Worker.prototype.postMessage = function (this: Worker, m: unknown, t?: Transferable[]) {
          const ui = (m as { kind?: string; message?: { kind: string; button: number; buttons: number } }).kind === 'bridge-send' ? (m as { message: { kind: string; button: number; buttons: number } }).message : null;
          if (ui?.kind === 'mouse-press' || ui?.kind === 'mouse-release') sent.push([ui.kind === 'mouse-press' ? 0x87 : 0x88, ui.button, ui.buttons]);
          return post.call(this, m, t);
        } as typeof Worker.prototype.postMessage;
      });
      const tracked = await openSessionPage(browser, peers.serve.url, 20_000, context);
      await tracked.waitForFunction(() => window.spicedeskPage?.state().mouseMode === 'client');
      const p = await pointAt(tracked, peers.xs, 700, 400);
      await tracked.mouse.click(p.x, p.y);
      await tracked.mouse.click(p.x, p.y, { button: 'middle' });
      await tracked.mouse.click(p.x, p.y, { button: 'right' });
      await tracked.mouse.wheel(0, -100);
      await tracked.mouse.wheel(0, 100);
      // Playwright has no back/forward buttons: dispatch what the browser would.
      await tracked.evaluate(([x, y]) => {
        const canvas = document.getElementById('screen') as HTMLCanvasElement;
        for (const button of [3, 4]) {
          canvas.dispatchEvent(new MouseEvent('mousedown', { button, clientX: x, clientY: y, bubbles: true }));
          window.dispatchEvent(new MouseEvent('mouseup', { button, clientX: x, clientY: y, bubbles: true }));
        }
      }, [p.x, p.y] as const);
      const presses = (): string[] => [...xev.outputTail().matchAll(/ButtonPress event[^]*?root:\((\d+),(\d+)\)[^]*?button (\d+)/g)].map((m) => `${m[1]},${m[2]} ${m[3]}`);
      const releases = (): string[] => [...xev.outputTail().matchAll(/ButtonRelease event[^]*?button (\d+)/g)].map((m) => m[1]);
      // Each release comes after its press: a loaded machine can show the fifth press before its release.
      await waitUntil('five button presses and releases in xev', () => presses().length >= 5 && releases().length >= 5, 10_000).catch(() => undefined);
      // X numbers them 1 left, 2 middle, 3 right, 4/5 wheel up/down.
      expect(presses(), xev.outputTail()).toEqual(['700,400 1', '700,400 2', '700,400 3', '700,400 4', '700,400 5']);
      expect(releases(), xev.outputTail()).toEqual(['1', '2', '3', '4', '5']);
      // spice-server hands X only left, middle, right and the wheel, but the page sends the side
      // buttons too: MOUSE_PRESS (0x87) and MOUSE_RELEASE (0x88) for SIDE (6) and EXTRA (7).
      const sent = await tracked.evaluate(() => (window as unknown as { sentToGateway: number[][] }).sentToGateway);
      const buttons = sent.filter((m) => m[0] === 0x87 || m[0] === 0x88).map((m) => `${m[0] === 0x87 ? 'press' : 'release'} ${m[1]} mask ${m[2]}`);
      expect(buttons).toEqual([
        'press 1 mask 1', 'release 1 mask 0',
        'press 2 mask 2', 'release 2 mask 0',
        'press 3 mask 4', 'release 3 mask 0',
        'press 4 mask 8', 'release 4 mask 0',
        'press 5 mask 16', 'release 5 mask 0',
        'press 6 mask 32', 'release 6 mask 0',
        'press 7 mask 64', 'release 7 mask 0',
      ]);
      await tracked.close();
    } finally {
      await browser.close();
      await xev.stop();
    }
  });

  it("changes the page's cursor when the server's cursor changes", async () => {
    const browser = await launchChromium();
    try {
      const page = await openSessionPage(browser, peers.serve.url);
      await page.waitForFunction(() => window.spicedeskPage?.state().mouseMode === 'client');
      const cursorCss = async (): Promise<string> => (await pageState(page)).cursorCss;
      const waitForCursor = async (test: (css: string) => boolean, what: string): Promise<string> => {
        let css = '';
        await waitUntil(what, async () => test((css = await cursorCss())), 5000).catch(() => undefined);
        expect(test(css), `${what}; the page's cursor is ${css.slice(0, 80)}`).toBe(true);
        return css;
      };
      // Xspice sends ARGB cursors (an Xcursor theme's), so the root window's cursor is set from one.
      requireFile('/usr/share/icons/Adwaita/cursors/left_ptr', 'adwaita-icon-theme', 'the Adwaita cursor theme');
      const setRootCursor = (name: string) => peers.xs.exec('env', ['XCURSOR_SIZE=24', 'XCURSOR_THEME=Adwaita', 'xsetroot', '-cursor_name', name]);
      const root = await screenToPage(page, 950, 700);
      await page.mouse.move(root.x, root.y);
      const shape = /^url\("data:image\/png;base64,[A-Za-z0-9+/=]+"\) (\d+) (\d+), default$/;
      await setRootCursor('left_ptr');
      // Adwaita's 24-pixel left_ptr has its hot spot at (4, 4), its xterm I-beam at (11, 12).
      const arrow = await waitForCursor((css) => shape.exec(css)?.slice(1).join(',') === '4,4', 'left_ptr with its hot spot');
      await setRootCursor('xterm');
      const beam = await waitForCursor((css) => shape.exec(css)?.slice(1).join(',') === '11,12', 'the xterm I-beam with its hot spot');
      expect(beam).not.toBe(arrow);
      await setRootCursor('left_ptr');
      await waitForCursor((css) => css === arrow, 'left_ptr again, the same image');
      // The CSS cursor is really on the canvas.
      expect(await page.evaluate(() => (document.getElementById('screen') as HTMLCanvasElement).style.cursor)).toContain('data:image/png');
      await page.close();
    } finally {
      await browser.close();
    }
  });
});

describe('the status line in Chromium', () => {
  const peers = useGatewayPeers(
    { password: 's3cret-pw' },
    // Target 0 has a wrong password in it, target 1 takes SPICE_PASSWORD, target 2 is nowhere.
    (_xs, target) => [`${target}?password=wrong`, target, 'spice://127.0.0.1:1'],
    { serveEnv: { SPICE_PASSWORD: 's3cret-pw' } },
  );

  async function statusOf(hash: string, until: (state: string) => boolean): Promise<{ state: string; text: string }> {
    const page = await peers.browser.newPage();
    try {
      await page.goto(peers.serve.url + hash);
      let shown: string | null = null;
      return await waitFor('the status line', async () => {
        const s = await pageState(page).catch(() => undefined);
        shown = await page.locator('#status').textContent();
        return s && until(s.status) ? { state: s.status, text: shown ?? '' } : undefined;
      }, 15_000, { explain: () => `it stayed at ${JSON.stringify(shown)}` });
    } finally {
      await page.close();
    }
  }

  it('says the server refused the password, and why', async () => {
    const s = await statusOf('#target=0', (state) => state === 'error');
    expect(s.text).toMatch(/^error \(auth\): .*password.*or neither to be asked for it in the page/);
  });

  it('connects with the password from SPICE_PASSWORD, and names the server', async () => {
    const s = await statusOf('#target=1', (state) => state === 'connected');
    expect(s.text).toMatch(/^connected to /);
  });

  it('says when the target is unreachable, or was not given to serve', async () => {
    expect((await statusOf('#target=2', (state) => state === 'error')).text).toMatch(/^error \(unreachable\): /);
    expect((await statusOf('#target=3', (state) => state === 'error')).text).toBe(
      'error (usage): target 3 was not given to spicedesk serve; it serves targets 0 to 2 only',
    );
  });
});
