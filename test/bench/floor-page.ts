// The floor pages of the video and audio benches (test/bench/floor/), each opened in a headless
// Chromium of its own as the browser clients are, served over HTTP (from a file: page an
// AudioWorklet's module, a blob, does not load). What they cost is Chromium's own share of showing
// a video or playing sound, with no server and no decoding (bench/README.md, "Chromium's floor").
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../e2e/browser-page.ts';
import { chromiumPid } from '../helpers/proc-tree.ts';
import { serveStaticFolder } from './bench-peers.ts';

export interface FloorPage {
  tab: Page;
  /** The Chromium whose process tree is the client. */
  browserPid: number;
  /** Throws, naming the page, once it has thrown. */
  check(): void;
  close(): Promise<void>;
}

/** Opens test/bench/floor/`file` (autoplay allowed; `unmuted`: its sound reaches the sound server). */
export async function openFloorPage(root: string, file: string, o: { unmuted?: boolean } = {}): Promise<FloorPage> {
  const folder = resolve(root, 'test/bench/floor');
  if (!existsSync(resolve(folder, file))) throw new Error(`${folder}/${file} is missing; run the bench from the checkout`);
  let served: { origin: string; server: Server } | undefined;
  let browser: Browser | undefined;
  const close = async (): Promise<void> => {
    await browser?.close();
    served?.server.close();
  };
  try {
    served = await serveStaticFolder(folder);
    browser = await launchChromium(['--autoplay-policy=no-user-gesture-required'], { unmuted: o.unmuted === true });
    const tab = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    tab.on('pageerror', (e) => errors.push(e.message));
    await tab.goto(`${served.origin}/${file}`);
    return {
      tab,
      browserPid: chromiumPid(),
      check: () => {
        if (errors.length) throw new Error(`the floor page ${file} threw: ${errors.join('; ')}`);
      },
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}
