// `npm run soak`: a long session through the gateway in headless Chromium against Xspice with the
// guest agent, to show that memory stays flat while a user works. Not part of `npm test` (it runs
// for half an hour by default). What it does, for the whole run:
//   - an xterm on the guest scrolls without pause (the display never rests);
//   - every few seconds text is copied in the guest (xclip) and must reach the page's clipboard,
//     then pasted in the page and must reach the guest's clipboard;
//   - every minute the browser viewport changes size, and the guest's mode must follow it.
// Every sample it reads the gateway's resident memory (the `spicedesk serve` process tree), the
// page's JavaScript heap after a garbage collection (DevTools protocol), and the resident memory
// of Chromium's renderer process (the page and its decode worker). At the end it compares the
// first minutes after warm-up with the last minutes; memory that keeps growing fails the run.
//   npm run soak -- [--minutes 30] [--sample-seconds 15] [--json FILE]
// The script bundles this file with esbuild to dist/soak/run.js, two folders below the checkout like
// this file, so that test/helpers/cli.ts finds bin/spicedesk.cjs from the bundle too.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { launchChromium, openSessionPage } from '../e2e/browser-page.ts';
import { pageState } from '../e2e/page-api.ts';
import { startServe } from '../e2e/serve-process.ts';
import { allProcesses, chromiumPid, processTree } from '../helpers/proc-tree.ts';
import { sleep, waitFor } from '../helpers/wait.ts';
import { solidBackground, waitForWindow } from '../peers/desktop.ts';
import { runToCompletion } from '../peers/processes.ts';
import { requireTool } from '../peers/require-tool.ts';
import { startXspice, type XspiceServer } from '../peers/xspice.ts';

const MIB = 1024 * 1024;
const CLIPBOARD_EVERY_MS = 5_000;
const RESIZE_EVERY_MS = 60_000;
/** Viewports the run alternates between (widths the QXL driver takes as they are). */
const VIEWPORTS = [
  { width: 1024, height: 768 },
  { width: 1280, height: 800 },
] as const;
/** Growth from the warm-up window to the end that still counts as flat: the larger of these. */
const FLAT_SLACK_BYTES = 16 * MIB;
const FLAT_SLACK_FRACTION = 0.1;

interface Sample {
  seconds: number;
  gatewayRss: number;
  pageHeap: number;
  rendererRss: number;
  frames: number;
  clipboardRoundTrips: number;
  clipboardFailures: number;
  resizes: number;
  resizeFailures: number;
}

interface Verdict {
  what: string;
  warm: number;
  end: number;
  growth: number;
  flat: boolean;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const mib = (bytes: number): string => (bytes / MIB).toFixed(1);

async function guestClipboard(xs: XspiceServer): Promise<string | undefined> {
  const r = await runToCompletion('xclip', ['-selection', 'clipboard', '-t', 'UTF8_STRING', '-o'], { env: xs.env, timeoutMs: 3000 });
  return r.code === 0 ? r.stdout.toString('utf8') : undefined;
}

async function guestMode(xs: XspiceServer): Promise<string> {
  const first = (await xs.exec('xrandr', [])).split('\n')[0] ?? '';
  const m = /current (\d+) x (\d+)/.exec(first);
  return m ? `${m[1]}x${m[2]}` : first;
}

/** Text both ways through the agent; false (with the reason on stderr) when a direction failed. */
async function clipboardRoundTrip(xs: XspiceServer, page: Page, n: number): Promise<boolean> {
  const fromGuest = `soak ${n} copied in the guest ✓`;
  const copier = xs.run('sh', ['-c', `printf '%s' "$TEXT" | xclip -selection clipboard -i`], { TEXT: fromGuest });
  try {
    await waitFor('the guest text on the page clipboard', async () => ((await page.evaluate(() => navigator.clipboard.readText().catch(() => ''))) === fromGuest ? true : undefined), 10_000, { pollMs: 200 });
  } catch (e) {
    process.stderr.write(`clipboard ${n}, guest to page: ${(e as Error).message}\n`);
    return false;
  } finally {
    await copier.stop(200);
  }
  const fromPage = `soak ${n} pasted in the page ✓`;
  await page.evaluate((text) => {
    const data = new DataTransfer();
    data.setData('text/plain', text);
    document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data }));
  }, fromPage);
  try {
    await waitFor('the pasted text in the guest', async () => ((await guestClipboard(xs)) === fromPage ? true : undefined), 10_000, { pollMs: 200 });
    return true;
  } catch (e) {
    process.stderr.write(`clipboard ${n}, page to guest: ${(e as Error).message}\n`);
    return false;
  }
}

async function resize(xs: XspiceServer, page: Page, n: number): Promise<boolean> {
  const viewport = VIEWPORTS[n % VIEWPORTS.length]!;
  await page.setViewportSize(viewport);
  try {
    await waitFor(
      `the guest mode to follow a ${viewport.width}x${viewport.height} viewport`,
      async () => {
        const area = (await pageState(page)).displayArea;
        return area && area.width === viewport.width && (await guestMode(xs)) === `${area.width}x${area.height}` ? true : undefined;
      },
      20_000,
      { pollMs: 300 },
    );
    return true;
  } catch (e) {
    process.stderr.write(`resize ${n}: ${(e as Error).message}\n`);
    return false;
  }
}

function judge(what: string, samples: readonly Sample[], pick: (s: Sample) => number, warmUntil: number, endFrom: number): Verdict {
  const warm = median(samples.filter((s) => s.seconds >= warmUntil - 180 && s.seconds <= warmUntil).map(pick));
  const end = median(samples.filter((s) => s.seconds >= endFrom).map(pick));
  const growth = end - warm;
  return { what, warm, end, growth, flat: growth <= Math.max(FLAT_SLACK_BYTES, warm * FLAT_SLACK_FRACTION) };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '30' },
      'sample-seconds': { type: 'string', default: '15' },
      json: { type: 'string' },
    },
  });
  const minutes = Number(values.minutes);
  const sampleSeconds = Number(values['sample-seconds']);
  if (!(minutes >= 3 && minutes <= 24 * 60)) throw new Error(`--minutes must be from 3 to 1440, got "${values.minutes}"`);
  if (!(sampleSeconds >= 1 && sampleSeconds <= 600)) throw new Error(`--sample-seconds must be from 1 to 600, got "${values['sample-seconds']}"`);
  for (const [tool, pkg] of [['xterm', 'xterm'], ['xclip', 'xclip'], ['xrandr', 'x11-xserver-utils']] as const) requireTool(tool, pkg);

  const xs = await startXspice({ vdagent: true });
  const serve = await startServe([`spice://127.0.0.1:${xs.port}`]);
  const browser = await launchChromium();
  try {
    await solidBackground(xs, '#336699');
    xs.run('xterm', ['-geometry', '100x40+10+10', '-fn', 'fixed', '+sb', '-T', 'soak-scroll', '-e', 'sh', '-c', 'while :; do seq 1 1000000; done'], { LC_ALL: 'C' });
    await waitForWindow(xs, 'soak-scroll');
    const context = await browser.newContext({ viewport: VIEWPORTS[0], permissions: ['clipboard-read', 'clipboard-write'] });
    const page = await openSessionPage(browser, serve.url, 30_000, context);
    await waitFor('the guest agent', async () => ((await pageState(page)).agent.clipboard ? true : undefined), 20_000);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    const browserPid = chromiumPid();

    const samples: Sample[] = [];
    const started = Date.now();
    const endAt = started + minutes * 60_000;
    let nextSample = started;
    let nextClipboard = started + CLIPBOARD_EVERY_MS;
    let nextResize = started + RESIZE_EVERY_MS;
    let clipboardRoundTrips = 0;
    let clipboardFailures = 0;
    let resizes = 0;
    let resizeFailures = 0;
    process.stdout.write(`soak: ${minutes} min, a sample every ${sampleSeconds} s\n`);
    process.stdout.write('  s  gateway MiB  page heap MiB  renderer MiB  frames  clipboard ok/failed  resizes ok/failed\n');
    while (Date.now() < endAt) {
      const now = Date.now();
      if (now >= nextSample) {
        nextSample += sampleSeconds * 1000;
        await cdp.send('HeapProfiler.collectGarbage');
        const metrics = (await cdp.send('Performance.getMetrics')).metrics;
        const processes = allProcesses();
        const renderers = processTree(processes, browserPid).filter((p) => p.type === 'renderer');
        const sample: Sample = {
          seconds: Math.round((now - started) / 1000),
          gatewayRss: processTree(processes, serve.process.pid).reduce((sum, p) => sum + p.rssBytes, 0),
          pageHeap: metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? NaN,
          rendererRss: renderers.reduce((sum, p) => sum + p.rssBytes, 0),
          frames: (await pageState(page)).frames,
          clipboardRoundTrips,
          clipboardFailures,
          resizes,
          resizeFailures,
        };
        samples.push(sample);
        process.stdout.write(
          `${String(sample.seconds).padStart(5)}  ${mib(sample.gatewayRss).padStart(11)}  ${mib(sample.pageHeap).padStart(13)}  ${mib(sample.rendererRss).padStart(12)}  ${String(sample.frames).padStart(6)}  ${`${clipboardRoundTrips}/${clipboardFailures}`.padStart(19)}  ${`${resizes}/${resizeFailures}`.padStart(17)}\n`,
        );
      } else if (now >= nextResize) {
        nextResize += RESIZE_EVERY_MS;
        if (await resize(xs, page, resizes + resizeFailures + 1)) resizes++;
        else resizeFailures++;
      } else if (now >= nextClipboard) {
        nextClipboard = Date.now() + CLIPBOARD_EVERY_MS;
        if (await clipboardRoundTrip(xs, page, clipboardRoundTrips + clipboardFailures + 1)) clipboardRoundTrips++;
        else clipboardFailures++;
      } else {
        await sleep(Math.max(1, Math.min(nextSample, nextResize, nextClipboard) - now));
      }
    }
    const state = await pageState(page);
    const seconds = (Date.now() - started) / 1000;
    // Warm-up: the first fifth of the run, at least 3 minutes (caches and JIT fill up); the end:
    // the last fifth.
    const warmUntil = Math.max(180, seconds / 5);
    const endFrom = seconds - Math.max(60, seconds / 5);
    const verdicts = [
      judge('gateway resident memory', samples, (s) => s.gatewayRss, warmUntil, endFrom),
      judge('page JavaScript heap', samples, (s) => s.pageHeap, warmUntil, endFrom),
      judge('renderer resident memory', samples, (s) => s.rendererRss, warmUntil, endFrom),
    ];
    process.stdout.write(`\nafter ${(seconds / 60).toFixed(1)} min: ${state.frames} frames drawn, ${clipboardRoundTrips} clipboard round trips (${clipboardFailures} failed), ${resizes} resizes (${resizeFailures} failed), page errors ${state.messageErrors}\n`);
    for (const v of verdicts) {
      process.stdout.write(`${v.what}: ${mib(v.warm)} MiB at ${(warmUntil / 60).toFixed(0)} min, ${mib(v.end)} MiB at the end (${v.growth >= 0 ? '+' : ''}${mib(v.growth)} MiB): ${v.flat ? 'flat' : 'GROWING'}\n`);
    }
    if (values.json) {
      const file = resolve(values.json);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, JSON.stringify({ minutes, samples, verdicts }, null, 2));
    }
    const problems: string[] = [];
    for (const v of verdicts) if (!v.flat) problems.push(`${v.what} grew by ${mib(v.growth)} MiB`);
    if (clipboardFailures > 0) problems.push(`${clipboardFailures} clipboard round trips failed`);
    if (resizeFailures > 0) problems.push(`${resizeFailures} resizes failed`);
    if (state.messageErrors > 0) problems.push(`the page reported ${state.messageErrors} message errors: ${state.lastError}`);
    if (problems.length) process.stderr.write(`soak failed: ${problems.join('; ')}\n`);
    return problems.length ? 1 : 0;
  } finally {
    await browser.close();
    await serve.stop();
    await xs.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`soak: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
