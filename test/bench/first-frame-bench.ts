// Where spicedesk's time to the first frame goes (issue #16): `spicedesk open` on the interactive
// bench's desktop and Xvfb, as that bench starts it, with every step on one clock, in ms since the
// client was spawned: the gateway's own log (--debug: Node's start, listening, each request, the
// WebSocket, the page's HELLO, each channel linked, the first display message sent), the browser
// script's start, the page's and the decode worker's marks and resource timings (start-marks.ts,
// the worker's forwarded to the page; read over the DevTools protocol once the frame is on the screen), and x-probe's first poll that
// finds the desktop on the Xvfb. `BENCH_SPICEDESK_VARIANT` (page # options) and
// `BENCH_FIRST_FRAME_VARIANT_ENV` (NAME=VALUE words for the variant's gateway) and
// `BENCH_FIRST_FRAME_BASELINE` (another built checkout, whose `spicedesk open` the variant runs)
// make a second client, alternated with the first, for a before/after in the same run.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { waitFor, waitUntil } from '../helpers/wait.ts';
import { tcpConnectionsOn } from '../peers/tcp-connections.ts';
import { FIRST_FRAME_TIMEOUT_MS, LAYOUT, startBenchDesktop, warmCodeCaches, type BenchEnv } from './interactive-bench.ts';
import { startSpicedesk, VARIANT_OPTIONS } from './interactive/clients.ts';
import { monotonicUs } from './interactive/probe.ts';
import { formatTable, median } from './measure.ts';
import { parseGatewaySteps, parsePageSteps, type PageTimeline, type Steps } from './first-frame-steps.ts';

const MAX_RUNS = 10;
const VARIANT_ENV = Object.fromEntries(
  (process.env.BENCH_FIRST_FRAME_VARIANT_ENV ?? '')
    .split(/\s+/)
    .filter((w) => w !== '')
    .map((w) => {
      const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(w);
      if (!m) throw new Error(`BENCH_FIRST_FRAME_VARIANT_ENV: ${JSON.stringify(w)} is not NAME=VALUE`);
      return [m[1]!, m[2]!];
    }),
);
/** Another checkout (its bin/spicedesk.cjs and dist/, built), run as the variant: a before/after of a build. */
const BASELINE = process.env.BENCH_FIRST_FRAME_BASELINE ? resolve(process.env.BENCH_FIRST_FRAME_BASELINE) : undefined;
const HAS_VARIANT = Boolean(VARIANT_OPTIONS) || Object.keys(VARIANT_ENV).length > 0 || BASELINE !== undefined;
/**
 * BENCH_FIRST_FRAME_NO_DEBUG=1: `spicedesk open` without --debug, as a user runs it (--debug loads
 * pino, about 30 ms, which `open` then pays before or after it starts the browser): the gateway's
 * steps are missing, the browser's, the page's and the first pixels are not.
 */
const NO_DEBUG = process.env.BENCH_FIRST_FRAME_NO_DEBUG === '1';

export interface FirstFrameSample {
  client: 'spicedesk' | 'spicedesk-variant';
  run: number;
  /** Each step's ms since the client was spawned. */
  steps: Steps;
}

export interface FirstFrameBenchResult {
  bench: 'first-frame';
  method: string;
  samples: FirstFrameSample[];
  failure?: string;
  table: string;
}

/** The page's and its decode worker's timelines, over the DevTools protocol. */
async function readPageTimeline(profileDir: string): Promise<PageTimeline> {
  const portFile = join(profileDir, 'DevToolsActivePort');
  const port = await waitFor('Chromium to write DevToolsActivePort', () => (existsSync(portFile) ? readFileSync(portFile, 'utf8').split('\n')[0] : undefined), 10_000);
  const browser = await chromium.connectOverCDP(`http://127.0.0.1:${port}`);
  try {
    const page = await waitFor('the spicedesk page over DevTools', () => browser.contexts().flatMap((c) => c.pages())[0], 10_000);
    const read = (): { timeOrigin: number; entries: { name: string; entryType: string; startTime: number; responseEnd?: number; requestStart?: number; responseStart?: number }[] } => ({
      timeOrigin: performance.timeOrigin,
      entries: performance.getEntries().map((e) => {
        const r = e as PerformanceResourceTiming;
        return { name: e.name, entryType: e.entryType, startTime: e.startTime, responseEnd: r.responseEnd, requestStart: r.requestStart, responseStart: r.responseStart };
      }),
    });
    // The decode worker's marks are on the page's timeline (start-marks.ts forwards them).
    return { page: await page.evaluate(read) };
  } finally {
    // Only the DevTools connection: the browser is the client's, stopped with it.
    await browser.close().catch(() => undefined);
  }
}

async function measureOnce(env: BenchEnv, client: FirstFrameSample['client'], run: number): Promise<FirstFrameSample> {
  const stray = await env.probe.find(LAYOUT.glyph.bg, 6);
  if (stray.count > 0) throw new Error(`the desktop's colours are on the screen before ${client} started (a client left over?)`);
  const log: string[] = [];
  const t0Mono = monotonicUs();
  const t0Epoch = performance.timeOrigin + performance.now();
  const browserStarted = join(env.setup.workDir, `${client}-${run}-browser-started`);
  let partial = '';
  const stderr = (chunk: Buffer): void => {
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    log.push(...lines);
  };
  const running = await startSpicedesk(env.setup, client, client === 'spicedesk-variant' && VARIANT_OPTIONS ? `#${VARIANT_OPTIONS}` : '', ['--remote-debugging-port=0'], {
    ...(client === 'spicedesk-variant' && BASELINE ? { cli: join(BASELINE, 'bin', 'spicedesk.cjs') } : {}),
    cliArgs: NO_DEBUG ? [] : ['--debug'],
    stderr,
    env: { BENCH_BROWSER_STARTED: browserStarted, ...(client === 'spicedesk-variant' ? VARIANT_ENV : {}) },
  });
  try {
    const first = await env.probe.waitFind(LAYOUT.glyph.bg, 6, 400, FIRST_FRAME_TIMEOUT_MS);
    if ('timedOutUs' in first) throw new Error(`${client} showed no desktop in ${FIRST_FRAME_TIMEOUT_MS} ms: ${running.problem() ?? 'still running'}`);
    const timeline = await readPageTimeline(running.profileDir);
    const since = (epochMs: number): number => epochMs - t0Epoch;
    const steps: Steps = {
      ...parseGatewaySteps(log, since),
      ...(existsSync(browserStarted) ? { 'browser script started': since(Number(readFileSync(browserStarted, 'utf8').trim()) / 1e6) } : {}),
      ...parsePageSteps(timeline, since),
      'first pixels on the screen': (first.atUs - t0Mono) / 1000,
    };
    return { client, run, steps };
  } finally {
    await running.stop();
    // A killed Chromium's window can outlive the gateway's SPICE connection by a moment under load:
    // the next start would find the desktop on the screen already.
    await waitUntil("the client's window to leave the screen", async () => (await env.probe.find(LAYOUT.glyph.bg, 6)).count === 0, 10_000).catch(() => undefined);
  }
}

export async function runFirstFrameBench(options: { runs: number; root: string }): Promise<FirstFrameBenchResult> {
  const runs = Math.min(options.runs, MAX_RUNS);
  const clients: FirstFrameSample['client'][] = HAS_VARIANT ? ['spicedesk', 'spicedesk-variant'] : ['spicedesk'];
  const samples: FirstFrameSample[] = [];
  let failure: string | undefined;
  const desktop = await startBenchDesktop(options.root);
  try {
    failure = await warmCodeCaches(desktop.env);
    outer: for (let run = 0; !failure && run < runs; run++) {
      for (const client of run % 2 === 0 ? clients : [...clients].reverse()) {
        try {
          const sample = await measureOnce(desktop.env, client, run);
          samples.push(sample);
          console.log(`  run ${run + 1} ${client}: first pixels ${sample.steps['first pixels on the screen']!.toFixed(0)} ms`);
          // Xspice takes one client at a time.
          await waitUntil('the client to let go of Xspice', () => tcpConnectionsOn(desktop.env.xspice.port) === 0, 15_000).catch(() => undefined);
        } catch (e) {
          failure = `${client}, run ${run + 1}: ${(e as Error).message}`;
          break outer;
        }
      }
    }
  } finally {
    await desktop.stop();
  }
  const names = [...new Set(samples.flatMap((s) => Object.keys(s.steps)))];
  const medianOf = (client: string, step: string): string => {
    const values = samples.filter((s) => s.client === client && s.steps[step] !== undefined).map((s) => s.steps[step]!);
    return values.length ? median(values).toFixed(0) : '-';
  };
  const rows = names
    .map((step) => ({ step, at: Number(medianOf('spicedesk', step)) }))
    .sort((a, b) => a.at - b.at)
    .map(({ step }) => [step, ...clients.map((c) => medianOf(c, step)), ...clients.map((c) => samples.filter((s) => s.client === c).map((s) => s.steps[step]?.toFixed(0) ?? '-').join(' '))]);
  const table = formatTable(['step (ms since the client was spawned, median)', ...clients, ...clients.map((c) => `${c} per run`)], rows);
  const variant = HAS_VARIANT ? `; spicedesk-variant: ${[VARIANT_OPTIONS ? `#${VARIANT_OPTIONS}` : '', ...Object.entries(VARIANT_ENV).map(([k, v]) => `${k}=${v}`), BASELINE ? `the build in ${BASELINE}` : ''].filter((w) => w !== '').join(' ')}` : '';
  return {
    bench: 'first-frame',
    method: `spicedesk open on the interactive bench's desktop, ${runs} runs, Chromium with --remote-debugging-port=0, the gateway ${NO_DEBUG ? 'without' : 'with'} --debug${variant}`,
    samples,
    failure,
    table,
  };
}
