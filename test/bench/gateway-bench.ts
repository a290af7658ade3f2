// Interactive clients in the browser: spicedesk (its renderer, through `spicedesk serve`) against
// spice-html5 (Debian's package, through websockify), one after the other in the same headless
// Chromium, on the same Xspice whose xterm scrolls without pause. For each: frames drawn per second
// and client CPU seconds per second of session.
//
// Frames drawn: Chromium's own count of frames its display compositor drew and put on the (headless)
// screen, the trace event Display::FrameDisplayed of the category
// disabled-by-default-display.framedisplayed, recorded for the measurement window through the
// browser's DevTools protocol. The compositor draws a frame only when the page changed, and at most
// once per vsync (60 Hz), whether the page drew into a WebGL canvas once per animation frame
// (spicedesk) or into a 2D canvas on every message (spice-html5); so it counts the same thing for
// both: updates of the screen a person would see.
//
// CPU: utime + stime from /proc/PID/stat of every process of the client, before and after the
// window: every Chromium process (browser, renderer, GPU, utility: spicedesk's WebGL is drawn by
// SwiftShader in the GPU process, so counting only the renderer would flatter it), plus what
// carries the session outside the browser, the gateway (spicedesk serve, where the session and
// the parsing of display messages run) or websockify (which only relays bytes). The bytes the page
// received over its WebSockets give the relay's CPU per MiB, which compares across rounds and runs
// where the CPU alone does not: the xterm's output rate swings with the machine's load. (Not
// /proc/PID/io: its rchar counts read(2), which Node uses on sockets, not recv(2), which Python's
// websockify uses.)
//
// Xspice takes one client at a time, so the clients take turns, round after round, each in a fresh
// Chromium; the table shows the medians over the rounds.
import type { Server } from 'node:http';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, openSessionPage, pageProblems } from '../e2e/browser-page.ts';
import { pageState } from '../e2e/page-api.ts';
import { solidBackground, waitForWindow } from '../peers/desktop.ts';
import type { GroupProcess } from '../peers/processes.ts';
import { sleep } from '../helpers/wait.ts';
import { requireFile, requireTool } from '../peers/require-tool.ts';
import { startXspice } from '../peers/xspice.ts';
import { serveStaticFolder, socketCloses, socketMessages, startGateway, startWebsockify, trackSockets } from './bench-peers.ts';
import { formatTable, median } from './measure.ts';
import { allProcesses, chromiumPid, CLOCK_TICKS_PER_SECOND, processTree } from '../helpers/proc-tree.ts';

const WINDOW_MS = 10_000;
const WARM_UP_MS = 3_000;
/** Each round costs about 15 s per client; `--runs` above this is capped. */
export const MAX_ROUNDS = 5;
const CONNECT_TIMEOUT_MS = 20_000;
const XTERM_TITLE = 'spicedesk-scroll';
/** 100x40 cells of the 6x13 `fixed` font: a 600x520 pixel region that scrolls. */
const XTERM_GEOMETRY = '100x40+10+10';
const SPICE_HTML5_DIR = process.env.SPICE_HTML5_DIR ?? '/usr/share/spice-html5';
const FRAME_EVENT = 'Display::FrameDisplayed';
const FRAME_CATEGORY = 'disabled-by-default-display.framedisplayed';
const MIB = 1024 * 1024;

export interface GatewayBenchOptions {
  runs: number;
  /** The checkout, for bin/spicedesk.cjs. */
  root: string;
}

type ClientName = 'spicedesk-webgl2' | 'spicedesk-2d' | 'spicedesk-2d-page' | 'spice-html5';

interface Sample {
  client: ClientName;
  round: number;
  seconds: number;
  frames: number;
  /** CPU seconds in the window, by part. */
  rendererCpu: number;
  gpuCpu: number;
  /** The browser process and the utility processes (network service, storage). */
  otherChromiumCpu: number;
  /** spicedesk serve or websockify. */
  relayCpu: number;
  /** spicedesk only: presentations by the page (its own frame counter, one per animation frame with damage). */
  pagePresents?: number;
  /** spicedesk only: damage messages from the decode worker to the page in the window. */
  pageDamageMessages?: number;
  /** WebSocket messages the page received in the window, and their bytes. */
  socketMessages: number;
  socketBytes: number;
}

export interface ClientSummary {
  client: ClientName;
  label: string;
  rounds: number;
  framesPerSecond: number;
  /** CPU seconds per second of session, medians of each part and of the total. */
  rendererCpu: number;
  gpuCpu: number;
  otherChromiumCpu: number;
  relayCpu: number;
  /** MiB/s the page received over its WebSockets, and the relay's CPU milliseconds per MiB of it (medians of the rounds). */
  socketMiBPerSecond: number;
  relayCpuMsPerMiB: number;
  totalCpu: number;
  /** CPU milliseconds per frame drawn (median of the rounds). */
  cpuMsPerFrame: number;
  /** WebSocket messages the page received per second. */
  socketMessagesPerSecond: number;
}

export interface GatewayBenchResult {
  bench: 'gateway';
  screen: string;
  windowSeconds: number;
  samples: Sample[];
  clients: ClientSummary[];
  /** spicedesk with WebGL2 forced / spice-html5. */
  framesRatio: number;
  cpuRatio: number;
  /** spicedesk with its 2D canvas presenter (the default without a GPU, as here) / spice-html5. */
  framesRatio2d: number;
  cpuRatio2d: number;
  /** spicedesk with its 2D canvas drawn on the page's thread (#present=page, the old path) / spice-html5. */
  framesRatio2dPage: number;
  cpuRatio2dPage: number;
  /** More frames for less CPU than spice-html5, with the page as it is by default (the 2D canvas here). */
  targetMet: boolean;
  failure?: string;
  table: string;
}

const LABELS: Record<ClientName, string> = {
  'spicedesk-webgl2': 'spicedesk (gateway, WebGL2 forced)',
  'spicedesk-2d': 'spicedesk (gateway, 2D canvas: the default without a GPU)',
  'spicedesk-2d-page': 'spicedesk (gateway, 2D canvas drawn by the page, #present=page)',
  'spice-html5': 'spice-html5 (websockify)',
};

// ---- CPU time of process trees, from /proc ----

interface CpuSnapshot {
  /** Ticks per pid, for each part. */
  renderer: Map<number, number>;
  gpu: Map<number, number>;
  otherChromium: Map<number, number>;
  relay: Map<number, number>;
}

function snapshot(browserPid: number, relayPid: number): CpuSnapshot {
  const processes = allProcesses();
  const s: CpuSnapshot = { renderer: new Map(), gpu: new Map(), otherChromium: new Map(), relay: new Map() };
  for (const p of processTree(processes, browserPid)) {
    const part = p.type === 'renderer' ? s.renderer : p.type === 'gpu-process' ? s.gpu : s.otherChromium;
    part.set(p.pid, p.ticks);
  }
  for (const p of processTree(processes, relayPid)) s.relay.set(p.pid, p.ticks);
  return s;
}

/** CPU seconds between two snapshots; a process born in between counts from zero. */
function cpuBetween(before: Map<number, number>, after: Map<number, number>): number {
  let ticks = 0;
  for (const [pid, t] of after) ticks += t - (before.get(pid) ?? 0);
  return ticks / CLOCK_TICKS_PER_SECOND;
}

// ---- frames drawn, from Chromium's trace ----

interface FrameTrace {
  /** Stops the trace and counts the frames displayed while it ran. */
  stop(): Promise<number>;
}

async function startFrameTrace(browser: Browser): Promise<FrameTrace> {
  const cdp = await browser.newBrowserCDPSession();
  let frames = 0;
  cdp.on('Tracing.dataCollected', (e: { value: Array<{ name?: string }> }) => {
    for (const event of e.value) if (event.name === FRAME_EVENT) frames++;
  });
  await cdp.send('Tracing.start', {
    transferMode: 'ReportEvents',
    traceConfig: { recordMode: 'recordContinuously', includedCategories: [FRAME_CATEGORY], excludedCategories: ['*'] },
  });
  return {
    async stop() {
      const complete = new Promise<void>((done) => cdp.once('Tracing.tracingComplete', () => done()));
      await cdp.send('Tracing.end');
      await complete;
      await cdp.detach();
      return frames;
    },
  };
}

// ---- the clients in the page ----

/** A digest of spice-html5's primary surface, to see that it changes between two moments. */
const html5SurfaceDigest = (page: Page): Promise<string> =>
  page.evaluate(() => {
    const canvas = document.getElementById('spice_surface_0') as HTMLCanvasElement | null;
    if (!canvas) return 'no canvas';
    const data = (canvas.getContext('2d') as CanvasRenderingContext2D).getImageData(0, 0, canvas.width, canvas.height).data;
    let h = 2166136261;
    for (let i = 0; i < data.length; i += 4) h = Math.imul(h ^ (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16)), 16777619);
    return `${canvas.width}x${canvas.height} ${(h >>> 0).toString(16)}`;
  });

interface OpenedClient {
  page: Page;
  /**
   * Marks the start of the window; the function it returns marks the end, throws if the client
   * lost its session or did not draw in between, and gives the page's own counters (spicedesk's
   * presentations and damage messages) when it keeps them.
   */
  checkpoint(): Promise<() => Promise<{ presents: number; damageMessages: number } | undefined>>;
}

async function openSpicedesk(browser: Browser, url: string): Promise<OpenedClient> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.addInitScript(trackSockets);
  const page = await openSessionPage(browser, url, CONNECT_TIMEOUT_MS, context);
  return {
    page,
    async checkpoint() {
      const before = await pageState(page);
      return async () => {
        const after = await pageState(page);
        const closes = await socketCloses(page);
        if (after.status !== 'connected' || closes > 0) throw new Error(`spicedesk lost its session: ${after.status} ${after.statusText}`);
        if (after.frames <= before.frames) throw new Error(`spicedesk drew no frame in ${WINDOW_MS} ms of scrolling`);
        if (after.messageErrors > before.messageErrors) throw new Error(`spicedesk could not draw a display message: ${after.lastError}`);
        const problems = pageProblems(page);
        if (problems.length) throw new Error(`spicedesk's page reported errors: ${problems.join('; ')}`);
        return { presents: after.frames - before.frames, damageMessages: after.damageMessages - before.damageMessages };
      };
    },
  };
}

async function openSpiceHtml5(browser: Browser, origin: string, wsPort: number, relay: GroupProcess): Promise<OpenedClient> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.addInitScript(trackSockets);
  const page = await context.newPage();
  const errors: string[] = [];
  const consoleTail: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    consoleTail.push(`${m.type()}: ${m.text().slice(0, 300)}`);
    if (consoleTail.length > 12) consoleTail.shift();
  });
  await page.goto(`${origin}/spice_auto.html?host=127.0.0.1&port=${wsPort}`);
  try {
    await page.waitForFunction(
      () => {
        const canvas = document.getElementById('spice_surface_0') as HTMLCanvasElement | null;
        return canvas !== null && canvas.width > 0 && (window as unknown as { benchSocketCloses: number }).benchSocketCloses === 0;
      },
      undefined,
      { timeout: CONNECT_TIMEOUT_MS, polling: 100 },
    );
  } catch (e) {
    const closes = await socketCloses(page).catch(() => NaN);
    throw new Error(
      `spice-html5 did not show the screen within ${CONNECT_TIMEOUT_MS} ms (${errors.join('; ') || 'no page error'}; ${closes} WebSocket(s) closed)\n` +
        `its console:\n  ${consoleTail.join('\n  ')}\nwebsockify:\n${relay.outputTail().slice(-1500)}`,
      { cause: e },
    );
  }
  return {
    page,
    async checkpoint() {
      const before = await html5SurfaceDigest(page);
      return async () => {
        const after = await html5SurfaceDigest(page);
        if ((await socketCloses(page)) > 0) throw new Error('spice-html5 lost its session (a WebSocket closed)');
        if (after === before) throw new Error(`spice-html5's screen did not change in ${WINDOW_MS} ms of scrolling (${after})`);
        if (errors.length) throw new Error(`spice-html5's page threw: ${errors.join('; ')}`);
        return undefined;
      };
    },
  };
}

// ---- the bench ----

/** The page's options for each spicedesk client: the default page draws with 2D here (no GPU), in its worker. */
const SPICEDESK_HASH: Record<Exclude<ClientName, 'spice-html5'>, string> = {
  'spicedesk-webgl2': '#renderer=webgl',
  'spicedesk-2d': '',
  'spicedesk-2d-page': '#renderer=2d&present=page',
};

interface Peers {
  gatewayUrl: string;
  gatewayPid: number;
  html5Origin: string;
  websockifyPort: number;
  websockify: GroupProcess;
}

async function measureClient(client: ClientName, round: number, peers: Peers): Promise<Sample> {
  const browser = await launchChromium();
  try {
    const browserPid = chromiumPid();
    const relayPid = client === 'spice-html5' ? peers.websockify.pid : peers.gatewayPid;
    const opened =
      client === 'spice-html5'
        ? await openSpiceHtml5(browser, peers.html5Origin, peers.websockifyPort, peers.websockify)
        : await openSpicedesk(browser, `${peers.gatewayUrl}${SPICEDESK_HASH[client]}`);
    if (client !== 'spice-html5') {
      const presenter = (await pageState(opened.page)).presenter;
      const wanted = client === 'spicedesk-webgl2' ? 'webgl2' : '2d';
      if (presenter !== wanted) throw new Error(`spicedesk presents with ${presenter}, not ${wanted}`);
    }
    await sleep(WARM_UP_MS);
    const check = await opened.checkpoint();
    const messagesBefore = await socketMessages(opened.page);
    const trace = await startFrameTrace(browser);
    const before = snapshot(browserPid, relayPid);
    const started = performance.now();
    await sleep(WINDOW_MS);
    const after = snapshot(browserPid, relayPid);
    const seconds = (performance.now() - started) / 1000;
    const frames = await trace.stop();
    const messagesAfter = await socketMessages(opened.page);
    const counters = await check();
    return {
      client,
      round,
      seconds,
      frames,
      rendererCpu: cpuBetween(before.renderer, after.renderer),
      gpuCpu: cpuBetween(before.gpu, after.gpu),
      otherChromiumCpu: cpuBetween(before.otherChromium, after.otherChromium),
      relayCpu: cpuBetween(before.relay, after.relay),
      pagePresents: counters?.presents,
      pageDamageMessages: counters?.damageMessages,
      socketMessages: messagesAfter.messages - messagesBefore.messages,
      socketBytes: messagesAfter.bytes - messagesBefore.bytes,
    };
  } finally {
    await browser.close();
    // Xspice takes one client at a time: let the relay drop this session before the next links.
    await sleep(500);
  }
}

function summarise(client: ClientName, samples: readonly Sample[]): ClientSummary {
  const mine = samples.filter((s) => s.client === client);
  const per = (f: (s: Sample) => number): number => median(mine.map((s) => f(s) / s.seconds));
  return {
    client,
    label: LABELS[client],
    rounds: mine.length,
    framesPerSecond: per((s) => s.frames),
    rendererCpu: per((s) => s.rendererCpu),
    gpuCpu: per((s) => s.gpuCpu),
    otherChromiumCpu: per((s) => s.otherChromiumCpu),
    relayCpu: per((s) => s.relayCpu),
    socketMiBPerSecond: per((s) => s.socketBytes / MIB),
    // The xterm's output rate swings with the machine's load, and the relay's CPU with it.
    relayCpuMsPerMiB: median(mine.map((s) => (s.socketBytes > 0 ? (s.relayCpu * 1000) / (s.socketBytes / MIB) : NaN))),
    totalCpu: per((s) => s.rendererCpu + s.gpuCpu + s.otherChromiumCpu + s.relayCpu),
    socketMessagesPerSecond: per((s) => s.socketMessages),
    cpuMsPerFrame: median(mine.map((s) => (s.frames > 0 ? ((s.rendererCpu + s.gpuCpu + s.otherChromiumCpu + s.relayCpu) * 1000) / s.frames : NaN))),
  };
}

const fixed = (n: number, digits: number): string => (Number.isFinite(n) ? n.toFixed(digits) : '-');

export async function runGatewayBench(options: GatewayBenchOptions): Promise<GatewayBenchResult> {
  requireTool('xterm', 'xterm');
  requireFile(join(SPICE_HTML5_DIR, 'spice_auto.html'), 'spice-html5', "spice-html5's page");
  const rounds = Math.min(options.runs, MAX_ROUNDS);
  // spice-html5 has no GLZ decoder: the server is told to use LZ (QUIC for photos) instead of its
  // default GLZ, for both clients alike. JPEG only on WAN, which loopback is not.
  const xspice = await startXspice({ imageCompression: 'auto_lz', jpegWan: 'never' });
  let html5Server: Server | undefined;
  let gateway: GroupProcess | undefined;
  let websockify: GroupProcess | undefined;
  try {
    await solidBackground(xspice, '#336699');
    // Without pause: the shell prints numbers as fast as xterm takes them (xterm scrolls in jumps).
    xspice.run(
      'xterm',
      ['-geometry', XTERM_GEOMETRY, '-fn', 'fixed', '-fg', 'black', '-bg', 'white', '+sb', '-T', XTERM_TITLE, '-e', 'sh', '-c', 'while :; do seq 1 1000000; done'],
      { LC_ALL: 'C' },
    );
    await waitForWindow(xspice, XTERM_TITLE);
    const target = `spice://127.0.0.1:${xspice.port}`;
    const started = await startGateway(options.root, target);
    gateway = started.process;
    const relay = await startWebsockify(xspice.port);
    websockify = relay.process;
    const html5 = await serveStaticFolder(SPICE_HTML5_DIR);
    html5Server = html5.server;
    const peers: Peers = {
      gatewayUrl: started.url,
      gatewayPid: gateway.pid,
      html5Origin: html5.origin,
      websockifyPort: relay.port,
      websockify,
    };

    const order: ClientName[] = ['spicedesk-webgl2', 'spice-html5', 'spicedesk-2d', 'spicedesk-2d-page'];
    const samples: Sample[] = [];
    let failure: string | undefined;
    outer: for (let round = 0; round < rounds; round++) {
      // Alternate who goes first, so that a drift in machine load does not favour one client.
      const turn = round % 2 === 0 ? order : [...order].reverse();
      for (const client of turn) {
        try {
          samples.push(await measureClient(client, round, peers));
        } catch (e) {
          failure = `${LABELS[client]}, round ${round + 1}: ${(e as Error).message}`;
          break outer;
        }
      }
    }

    const clients = order.map((c) => summarise(c, samples));
    const [webgl2, html5Summary, twoD, twoDPage] = clients;
    const framesRatio = webgl2.framesPerSecond / html5Summary.framesPerSecond;
    const cpuRatio = webgl2.totalCpu / html5Summary.totalCpu;
    const framesRatio2d = twoD.framesPerSecond / html5Summary.framesPerSecond;
    const cpuRatio2d = twoD.totalCpu / html5Summary.totalCpu;
    const framesRatio2dPage = twoDPage.framesPerSecond / html5Summary.framesPerSecond;
    const cpuRatio2dPage = twoDPage.totalCpu / html5Summary.totalCpu;
    // spice-html5 draws at the compositor's 60 Hz: "more frames" is at least as many, within one frame a second.
    const targetMet = twoD.framesPerSecond >= html5Summary.framesPerSecond - 1 && cpuRatio2d < 1;
    const table =
      formatTable(
        ['client', 'rounds', 'frames/s', 'CPU s/s total', 'renderer', 'GPU process', 'other Chromium', 'relay', 'WS MiB/s', 'relay ms/MiB', 'CPU ms/frame', 'WS msg/s'],
        clients.map((c) => [
          c.label,
          String(c.rounds),
          fixed(c.framesPerSecond, 1),
          fixed(c.totalCpu, 3),
          fixed(c.rendererCpu, 3),
          fixed(c.gpuCpu, 3),
          fixed(c.otherChromiumCpu, 3),
          fixed(c.relayCpu, 3),
          fixed(c.socketMiBPerSecond, 2),
          fixed(c.relayCpuMsPerMiB, 1),
          fixed(c.cpuMsPerFrame, 1),
          fixed(c.socketMessagesPerSecond, 0),
        ]),
      ) +
      `\n(relay: spicedesk serve for spicedesk, websockify for spice-html5; medians of ${WINDOW_MS / 1000} s windows after ${WARM_UP_MS / 1000} s of warm-up)` +
      `\nratio spicedesk (WebGL2 forced)/spice-html5: frames ${fixed(framesRatio, 2)}, CPU ${fixed(cpuRatio, 2)}` +
      `\nratio spicedesk (2D canvas, the default here)/spice-html5: frames ${fixed(framesRatio2d, 2)}, CPU ${fixed(cpuRatio2d, 2)}` +
      `\nratio spicedesk (2D canvas drawn by the page)/spice-html5: frames ${fixed(framesRatio2dPage, 2)}, CPU ${fixed(cpuRatio2dPage, 2)}` +
      `\ntarget (as many frames as spice-html5, within 1/s, for less CPU, with the default page): ${targetMet ? 'met' : 'not met'}`;
    return {
      bench: 'gateway',
      screen: `1024x768 Xspice (image compression auto_lz), xterm ${XTERM_GEOMETRY} in the fixed font scrolling without pause`,
      windowSeconds: WINDOW_MS / 1000,
      samples,
      clients,
      framesRatio,
      cpuRatio,
      framesRatio2d,
      cpuRatio2d,
      framesRatio2dPage,
      cpuRatio2dPage,
      targetMet,
      failure,
      table,
    };
  } finally {
    html5Server?.close();
    await gateway?.stop();
    await websockify?.stop();
    await xspice.stop();
  }
}
