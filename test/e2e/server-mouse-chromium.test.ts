// Server mouse mode on a real server: the page asks for it with #mouse=server (Xspice offers
// client mode too, and the page takes client mode by default) and the server switches; a click
// captures the pointer with Pointer Lock without reaching the guest, and shift+F12 gives it back.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { waitFor, watchForNothing } from '../helpers/wait.ts';
import { ChannelType } from '../../src/protocol/link/constants.ts';
import { MainMsgc, MouseMode } from '../../src/protocol/channels/main/main-messages.ts';
import { solidBackground } from '../peers/desktop.ts';
import type { RelayHooks } from '../peers/spice-relay.ts';
import type { XspiceServer } from '../peers/xspice.ts';
import { launchChromium, openSessionPage } from './browser-page.ts';
import { pageState } from './page-api.ts';
import { useGatewayPeers } from './gateway-peers.ts';

async function pointerAt(xs: XspiceServer): Promise<{ x: number; y: number }> {
  const m = /^x:(\d+) y:(\d+) /.exec(await xs.exec('xdotool', ['getmouselocation']));
  if (!m) throw new Error('xdotool getmouselocation gave nothing');
  return { x: Number(m[1]), y: Number(m[2]) };
}

async function waitForPointer(xs: XspiceServer, want: (p: { x: number; y: number }) => boolean, what: string): Promise<{ x: number; y: number }> {
  let p = await pointerAt(xs);
  return waitFor(what, async () => {
    p = await pointerAt(xs);
    return want(p) ? p : undefined;
  }, 5000, { explain: () => `the X pointer is at ${p.x},${p.y}` });
}

const locked = (page: Page): Promise<boolean> => page.evaluate(() => document.pointerLockElement !== null);

describe('server mouse mode (#mouse=server) in Chromium against Xspice', () => {
  // Each test launches a browser of its own.
  // A relay between serve and Xspice records the mouse modes the client asks for.
  const modesAskedFor: number[] = [];
  const relay: RelayHooks = {
    fromClient(channel, m) {
      if (channel.type === ChannelType.MAIN && m.type === MainMsgc.MOUSE_MODE_REQUEST) modesAskedFor.push(new DataView(m.body.buffer, m.body.byteOffset).getUint16(0, true));
      return undefined;
    },
  };
  const peers = useGatewayPeers({}, undefined, { prepare: (xs) => solidBackground(xs, '#336699'), chromium: false, relay });

  it('puts the server in server mode, captures the pointer with a click and gives it back with shift+F12', async () => {
    const browser = await launchChromium();
    try {
      const page = await openSessionPage(browser, `${peers.serve.url}#mouse=server`);
      await page.waitForFunction(() => window.spicedeskPage?.state().mouseMode === 'server', undefined, { timeout: 10_000 });
      // The server reports server mode (not only the page), and keeps it: the host asks for no
      // client mode before or after the page's request (it once did, and the mode flipped).
      await watchForNothing(1000);
      expect((await pageState(page)).mouseMode).toBe('server');
      expect(modesAskedFor).not.toContain(MouseMode.CLIENT);
      await peers.xs.exec('xdotool', ['mousemove', '400', '300']);
      await waitForPointer(peers.xs, (p) => p.x === 400 && p.y === 300, 'xdotool did not place it');

      // The first click only captures the pointer.
      await page.mouse.move(600, 400);
      await page.mouse.down();
      await page.mouse.up();
      await page.waitForFunction(() => document.pointerLockElement !== null, undefined, { timeout: 5000 });
      expect(await pointerAt(peers.xs)).toEqual({ x: 400, y: 300 });

      // Motion under the lock goes to the guest as relative motion; Xspice itself ignores relative
      // motion (checked with a session of our own: the X pointer stays), so it is not checked here.
      await page.mouse.move(660, 440, { steps: 6 });
      expect(await locked(page)).toBe(true);

      // shift+F12 gives the pointer back; motion then no longer reaches the guest.
      await page.keyboard.press('Shift+F12');
      await page.waitForFunction(() => document.pointerLockElement === null, undefined, { timeout: 5000 });
      expect(await locked(page)).toBe(false);
      // Released, the page does not take the pointer back by itself.
      await page.mouse.move(300, 200, { steps: 4 });
      await watchForNothing(300);
      expect(await locked(page)).toBe(false);
      expect(await pointerAt(peers.xs)).toEqual({ x: 400, y: 300 });
      await page.close();
    } finally {
      await browser.close();
    }
  });

  it('without #mouse=server the page takes client mode, which the server offers', async () => {
    const browser = await launchChromium();
    try {
      const page = await openSessionPage(browser, peers.serve.url);
      await page.waitForFunction(() => window.spicedeskPage?.state().mouseMode === 'client', undefined, { timeout: 10_000 });
      await page.close();
    } finally {
      await browser.close();
    }
  });
});
