// A video playing in the guest, watched by three clients in turn: spicedesk's page in headless
// Chromium (through `spicedesk serve`), spice-html5 in the same Chromium (through websockify; it
// takes MJPEG and VP8 only), and remote-viewer (spice-gtk with GStreamer) in an Xvfb. The server is
// Xspice with `--streaming-video all` and one `--video-codecs` entry per row, playing GStreamer's
// SMPTE pattern at 640x480 and 25 fps; every client connects through the SPICE relay
// (test/peers/spice-relay.ts), which counts what the server sent and what each client reported.
// For VP8, VP9 and H.264 spicedesk's page is measured twice: as it is (its `<video>` elements show
// the pictures) and with #videopath=canvas (drawn into its canvas), the row "spicedesk-canvas".
//
// Per client and codec, over the measurement window:
// - frames sent: STREAM_DATA and STREAM_DATA_SIZED messages the server sent this client;
// - frames reported on time / dropped: the client's own STREAM_REPORTs (num_frames, num_drops), the
//   one measure all three clients give (each computes it the way spice-gtk does: a frame is late
//   when it arrives after its multimedia time);
// - frames shown: where the client counts them itself (spicedesk's page: its presented stream
//   frames; spice-html5 with VP8: its video element's decoded-and-not-dropped frames);
// - CPU seconds per second: utime + stime from /proc of every process of the client: Chromium's
//   whole tree plus the relay into the browser (the gateway or websockify), or remote-viewer plus
//   the Xvfb it draws into (whose compositing Chromium does in its own GPU process).
import type { Server } from 'node:http';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, openSessionPage, pageProblems } from '../e2e/browser-page.ts';
import { pageState } from '../e2e/page-api.ts';
import { solidBackground } from '../peers/desktop.ts';
import { spawnGroup, type GroupProcess } from '../peers/processes.ts';
import { startSpiceRelay, type SpiceRelay } from '../peers/spice-relay.ts';
import { DISPLAY, isCannotDecode, readStreamReport, STREAM_CREATE, STREAM_DATA, STREAM_DATA_SIZED, STREAM_REPORT } from '../peers/stream-wire.ts';
import { requireFile, requireTool } from '../peers/require-tool.ts';
import { startXspice } from '../peers/xspice.ts';
import { playPattern } from '../peers/video-pattern.ts';
import { sleep, waitUntil } from '../helpers/wait.ts';
import { chromiumPid } from '../helpers/proc-tree.ts';
import { cpuProfileArgs, serveStaticFolder, startGateway, startWebsockify, startXvfb } from './bench-peers.ts';
import { clientCpuBetween, keyedMedians, readClientCpu, sum, threadTable } from './client-cpu.ts';
import { openFloorPage } from './floor-page.ts';
import { formatTable, median } from './measure.ts';

const WINDOW_MS = 30_000;
const WARM_UP_MS = 3_000;
const STREAM_TIMEOUT_MS = 25_000;
/** Each round is about 2 minutes per codec; `--runs` above this is capped. */
export const MAX_ROUNDS = 2;
const WIDTH = 640;
const HEIGHT = 480;
/** The pattern's frame rate (playPattern plays at 25 fps). */
const FPS = 25;
const SPICE_HTML5_DIR = process.env.SPICE_HTML5_DIR ?? '/usr/share/spice-html5';

const CODEC_NAMES: Record<number, string> = { 1: 'mjpeg', 2: 'vp8', 3: 'h264', 4: 'vp9', 5: 'h265' };

/** Xspice's --video-codecs values measured, and the codec name each streams as. */
const SERVER_CODECS = [
  { server: 'spice:mjpeg', codec: 'mjpeg' },
  { server: 'gstreamer:vp8', codec: 'vp8' },
  { server: 'gstreamer:vp9', codec: 'vp9' },
  { server: 'gstreamer:h264', codec: 'h264' },
] as const;

/**
 * 'spicedesk-canvas': the page with #videopath=canvas, which draws the stream pictures into its
 * canvas instead of showing them in a `<video>` (the element path, the default).
 * 'chromium-floor' (VIDEO_BENCH_FLOOR=1): floor/video.html (floor-page.ts), a page that shows 25 fps of ready
 * VideoFrames the way spicedesk's page shows a stream, with no server and no decoding; measured once
 * per round, its row's server codec 'none'.
 */
type ClientName = 'spicedesk' | 'spicedesk-canvas' | 'spice-html5' | 'remote-viewer' | 'chromium-floor';
const FLOOR = process.env.VIDEO_BENCH_FLOOR === '1';
const FLOOR_CODEC = 'none';
/** spice-html5 announces MJPEG and VP8 only: for the other codecs the server would send it MJPEG. */
const HTML5_CODECS = new Set(['mjpeg', 'vp8']);

export interface VideoSample {
  client: ClientName;
  serverCodec: string;
  round: number;
  /** The codec of the STREAM_CREATE the server sent this client. */
  streamedCodec: string;
  seconds: number;
  framesSent: number;
  reportedFrames: number;
  reportedDrops: number;
  /** The client's own count of frames shown; undefined where it keeps none. */
  framesShown?: number;
  cpuSeconds: number;
  /** The same CPU by part: Chromium's renderer, GPU and other processes, the relay into the browser, remote-viewer, Xvfb. */
  cpuByPart: Record<string, number>;
  /** The same CPU by process type (or part) and thread name, threads of one name summed. */
  cpuByThread: Record<string, number>;
}

/** What the relay saw of the client connected now. */
class StreamCounters {
  framesSent = 0;
  reportedFrames = 0;
  reportedDrops = 0;
  streamedCodec: string | null = null;

  reset(): void {
    this.framesSent = 0;
    this.reportedFrames = 0;
    this.reportedDrops = 0;
    this.streamedCodec = null;
  }
}

async function startCountingRelay(port: number, counters: StreamCounters): Promise<SpiceRelay> {
  return startSpiceRelay(
    { port },
    {
      fromServer(channel, m) {
        if (channel.type !== DISPLAY) return undefined;
        if (m.type === STREAM_DATA || m.type === STREAM_DATA_SIZED) counters.framesSent++;
        if (m.type === STREAM_CREATE && m.body.byteLength > 9) counters.streamedCodec = CODEC_NAMES[m.body[9]] ?? `codec ${m.body[9]}`;
        return undefined;
      },
      fromClient(channel, m) {
        if (channel.type !== DISPLAY || m.type !== STREAM_REPORT || m.body.byteLength < 24) return undefined;
        const report = readStreamReport(m.body);
        // "Cannot decode" is not a window of frames.
        if (!isCannotDecode(report)) {
          counters.reportedFrames += report.frames;
          counters.reportedDrops += report.drops;
        }
        return undefined;
      },
    },
  );
}

interface ClientUnderTest {
  /** The processes whose CPU counts, each with the part of the client it is. */
  pids(): { pid: number; part: string }[];
  /** The client's own count of frames shown so far, if it keeps one. */
  framesShown(): Promise<number | undefined>;
  close(): Promise<void>;
}

/** spicedesk's page: its count of presented stream frames, from the page's test API. */
async function spicedeskFramesShown(page: Page): Promise<number | undefined> {
  return (await pageState(page)).video.framesPresented;
}

async function openSpicedesk(gatewayUrl: string, gatewayPid: number, hash = ''): Promise<ClientUnderTest> {
  const browser: Browser = await launchChromium();
  try {
    const page = await openSessionPage(browser, gatewayUrl + hash, STREAM_TIMEOUT_MS);
    const browserPid = chromiumPid();
    return {
      pids: () => [
        { pid: browserPid, part: 'chromium' },
        { pid: gatewayPid, part: 'gateway' },
      ],
      framesShown: async () => {
        const problems = pageProblems(page);
        if (problems.length) throw new Error(`spicedesk's page reported errors: ${problems.join('; ')}`);
        return spicedeskFramesShown(page);
      },
      close: () => browser.close(),
    };
  } catch (e) {
    await browser.close();
    throw e;
  }
}

async function openSpiceHtml5(origin: string, wsPort: number, websockifyPid: number): Promise<ClientUnderTest> {
  const browser = await launchChromium(['--autoplay-policy=no-user-gesture-required']);
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${origin}/spice_auto.html?host=127.0.0.1&port=${wsPort}`);
    const browserPid = chromiumPid();
    return {
      // Its relay into the browser counts, as the gateway does for spicedesk (it did not until 2026-12-06 21:00).
      pids: () => [
        { pid: browserPid, part: 'chromium' },
        { pid: websockifyPid, part: 'websockify' },
      ],
      framesShown: async () => {
        if (errors.length) throw new Error(`spice-html5's page threw: ${errors.join('; ')}`);
        // VP8 plays in a <video> through Media Source; MJPEG frames are drawn as images (no count).
        return page.evaluate(() => {
          const videos = [...document.querySelectorAll('video')];
          if (videos.length === 0) return undefined;
          return videos.reduce((n, v) => {
            const q = v.getVideoPlaybackQuality();
            return n + q.totalVideoFrames - q.droppedVideoFrames;
          }, 0);
        });
      },
      close: () => browser.close(),
    };
  } catch (e) {
    await browser.close();
    throw e;
  }
}

async function openRemoteViewer(relayUrl: string, display: string, xvfbPid: number): Promise<ClientUnderTest> {
  const viewer = requireTool('remote-viewer', 'virt-viewer');
  const proc = spawnGroup(viewer, [relayUrl], { env: { ...process.env, DISPLAY: display, GDK_BACKEND: 'x11', NO_AT_BRIDGE: '1' }, name: 'remote-viewer' });
  return {
    pids: () => [
      { pid: proc.pid, part: 'remote-viewer' },
      { pid: xvfbPid, part: 'Xvfb' },
    ],
    framesShown: async () => {
      if (!proc.running()) throw new Error(`remote-viewer exited: ${proc.outputTail()}`);
      return undefined;
    },
    close: () => proc.stop(),
  };
}


interface CodecPeers {
  relay: SpiceRelay;
  counters: StreamCounters;
  gatewayUrl: string;
  gatewayPid: number;
  html5Origin: string;
  websockifyPort: number;
  websockifyPid: number;
  xvfbDisplay: string;
  xvfbPid: number;
}

async function measureClient(client: ClientName, serverCodec: string, round: number, peers: CodecPeers): Promise<VideoSample> {
  peers.counters.reset();
  const opened =
    client === 'spicedesk'
      ? await openSpicedesk(peers.gatewayUrl, peers.gatewayPid)
      : client === 'spicedesk-canvas'
        ? await openSpicedesk(peers.gatewayUrl, peers.gatewayPid, '#videopath=canvas')
        : client === 'spice-html5'
        ? await openSpiceHtml5(peers.html5Origin, peers.websockifyPort, peers.websockifyPid)
        : await openRemoteViewer(peers.relay.url, peers.xvfbDisplay, peers.xvfbPid);
  try {
    await waitUntil(`${client} to get a video stream (${serverCodec})`, () => peers.counters.streamedCodec !== null && peers.counters.framesSent > FPS, STREAM_TIMEOUT_MS, {
      explain: async () => `frames sent so far ${peers.counters.framesSent}; ${(await opened.framesShown().catch((e: Error) => e.message)) ?? ''}`,
    });
    await sleep(WARM_UP_MS);
    const sentBefore = peers.counters.framesSent;
    const framesBefore = peers.counters.reportedFrames;
    const dropsBefore = peers.counters.reportedDrops;
    const measured = await measureWindow(opened);
    return {
      client,
      serverCodec,
      round,
      streamedCodec: peers.counters.streamedCodec ?? 'none',
      framesSent: peers.counters.framesSent - sentBefore,
      reportedFrames: peers.counters.reportedFrames - framesBefore,
      reportedDrops: peers.counters.reportedDrops - dropsBefore,
      ...measured,
    };
  } finally {
    await opened.close();
    // Xspice takes one client at a time: let the server drop this session before the next links.
    await waitUntil('the relay to drop the last client', () => peers.relay.channels.every((c) => c.closed), 10_000).catch(() => undefined);
  }
}

/** WINDOW_MS of a client: its CPU by part and thread, and the frames it counts as shown meanwhile. */
async function measureWindow(opened: ClientUnderTest): Promise<Pick<VideoSample, 'seconds' | 'framesShown' | 'cpuSeconds' | 'cpuByPart' | 'cpuByThread'>> {
  const shownBefore = await opened.framesShown();
  const cpuBefore = readClientCpu(opened.pids());
  const started = performance.now();
  await sleep(WINDOW_MS);
  const cpuAfter = readClientCpu(opened.pids());
  const seconds = (performance.now() - started) / 1000;
  const shownAfter = await opened.framesShown();
  const { byPart: cpuByPart, byThread: cpuByThread } = clientCpuBetween(cpuBefore, cpuAfter);
  return { seconds, framesShown: shownBefore !== undefined && shownAfter !== undefined ? shownAfter - shownBefore : undefined, cpuSeconds: sum(cpuByPart), cpuByPart, cpuByThread };
}

/** The floor page (floor-page.ts): no server, so no frames sent or reported. */
async function measureFloor(root: string, round: number): Promise<VideoSample> {
  const page = await openFloorPage(root, 'video.html');
  try {
    const opened: ClientUnderTest = {
      pids: () => [{ pid: page.browserPid, part: 'chromium' }],
      framesShown: async () => {
        page.check();
        return page.tab.evaluate(() => (window as unknown as { floor: { presented(): number } }).floor.presented());
      },
      close: () => page.close(),
    };
    await waitUntil('the floor page to present frames', async () => ((await opened.framesShown()) ?? 0) > FPS, STREAM_TIMEOUT_MS);
    await sleep(WARM_UP_MS);
    const measured = await measureWindow(opened);
    return { client: 'chromium-floor', serverCodec: FLOOR_CODEC, round, streamedCodec: 'ready I420 frames', framesSent: 0, reportedFrames: 0, reportedDrops: 0, ...measured };
  } finally {
    await page.close();
  }
}

export interface VideoRow {
  client: ClientName;
  serverCodec: string;
  streamedCodec: string;
  rounds: number;
  sentPerSecond: number;
  onTimePerSecond: number;
  dropsPerSecond: number;
  shownPerSecond: number;
  cpuPerSecond: number;
  /** CPU seconds per second by part (medians). */
  cpuByPart: Record<string, number>;
  /** CPU seconds per second by process type and thread name (medians). */
  cpuByThread: Record<string, number>;
}

export interface VideoBenchResult {
  bench: 'video';
  screen: string;
  windowSeconds: number;
  samples: VideoSample[];
  rows: VideoRow[];
  /** spicedesk's CPU over each peer's on the same codec (below 1: cheaper). */
  ratios: { serverCodec: string; peer: ClientName; cpuRatio: number; shownRatio: number }[];
  /** spicedesk's cheapest codec against remote-viewer's cheapest. */
  bestCpuRatio: number;
  failure?: string;
  table: string;
}

/**
 * VIDEO_BENCH_THREADS=1: per codec, the browser clients' CPU by thread side by side (the threads that
 * cost any of them 2 ms/s or more), to find where one page costs more than the other.
 */
function threadTables(rows: readonly VideoRow[]): string {
  return [...new Set(rows.map((r) => r.serverCodec))]
    .filter((codec) => codec !== FLOOR_CODEC)
    .map((codec) => {
      const browsers = rows.filter((r) => (r.serverCodec === codec || r.serverCodec === FLOOR_CODEC) && r.client !== 'remote-viewer');
      return `\n\nCPU s/s by thread, ${codec}:\n` + threadTable(browsers.map((r) => ({ label: r.client, byThread: r.cpuByThread })));
    })
    .join('');
}

const fixed = (n: number, digits: number): string => (Number.isFinite(n) ? n.toFixed(digits) : '-');

function summarise(samples: readonly VideoSample[]): VideoRow[] {
  const keys = [...new Set(samples.map((s) => `${s.client}|${s.serverCodec}`))];
  return keys.map((key) => {
    const mine = samples.filter((s) => `${s.client}|${s.serverCodec}` === key);
    const per = (f: (s: VideoSample) => number | undefined): number => median(mine.map((s) => (f(s) ?? NaN) / s.seconds));
    return {
      client: mine[0]!.client,
      serverCodec: mine[0]!.serverCodec,
      streamedCodec: [...new Set(mine.map((s) => s.streamedCodec))].join('/'),
      rounds: mine.length,
      sentPerSecond: per((s) => s.framesSent),
      onTimePerSecond: per((s) => s.reportedFrames - s.reportedDrops),
      dropsPerSecond: per((s) => s.reportedDrops),
      shownPerSecond: per((s) => s.framesShown),
      cpuPerSecond: per((s) => s.cpuSeconds),
      cpuByPart: keyedMedians(mine, (s) => s.cpuByPart, per),
      cpuByThread: keyedMedians(mine, (s) => s.cpuByThread, per),
    };
  });
}

export async function runVideoBench(options: { runs: number; root: string; cpuProfDir?: string }): Promise<VideoBenchResult> {
  requireTool('gst-launch-1.0', 'gstreamer1.0-tools');
  requireFile(join(SPICE_HTML5_DIR, 'spice_auto.html'), 'spice-html5', "spice-html5's page");
  const rounds = Math.min(options.runs, MAX_ROUNDS);
  const samples: VideoSample[] = [];
  let failure: string | undefined;
  const xvfb = await startXvfb();
  try {
    // VIDEO_BENCH_CODECS=gstreamer:vp8,gstreamer:vp9 measures those rows only (a shorter run).
    const only = process.env.VIDEO_BENCH_CODECS?.split(',').filter((c) => c !== '');
    outer: for (const { server: serverCodec, codec } of SERVER_CODECS.filter((c) => !only?.length || only.includes(c.server))) {
      const xspice = await startXspice({ streamingVideo: 'all', videoCodecs: serverCodec });
      const counters = new StreamCounters();
      let relay: SpiceRelay | undefined;
      let gateway: GroupProcess | undefined;
      let websockify: GroupProcess | undefined;
      let html5Server: Server | undefined;
      try {
        await solidBackground(xspice, '#336699');
        playPattern(xspice, { width: WIDTH, height: HEIGHT });
        relay = await startCountingRelay(xspice.port, counters);
        const started = await startGateway(options.root, relay.url, cpuProfileArgs(options.cpuProfDir)(`gateway-${codec}`));
        gateway = started.process;
        const ws = await startWebsockify(relay.port);
        websockify = ws.process;
        const html5 = await serveStaticFolder(SPICE_HTML5_DIR);
        html5Server = html5.server;
        const peers: CodecPeers = {
          relay,
          counters,
          gatewayUrl: started.url,
          gatewayPid: gateway.pid,
          html5Origin: html5.origin,
          websockifyPort: ws.port,
          websockifyPid: ws.process.pid,
          xvfbDisplay: xvfb.display,
          xvfbPid: xvfb.process.pid,
        };
        // Every codec takes the element path by default (MJPEG since its frames are ImageDecoder's
        // VideoFrames), so every codec has its canvas row.
        const clients: ClientName[] = [
          'spicedesk',
          'spicedesk-canvas',
          ...(HTML5_CODECS.has(codec) ? (['spice-html5'] as const) : []),
          'remote-viewer',
        ];
        for (let round = 0; round < rounds; round++) {
          // Alternate who goes first, so that a drift in machine load does not favour one client.
          for (const client of round % 2 === 0 ? clients : [...clients].reverse()) {
            try {
              samples.push(await measureClient(client, serverCodec, round, peers));
            } catch (e) {
              failure = `${client} on ${serverCodec}, round ${round + 1}: ${(e as Error).message}`;
              break outer;
            }
          }
        }
      } finally {
        html5Server?.close();
        await gateway?.stop();
        await websockify?.stop();
        await relay?.close();
        await xspice.stop();
      }
    }
    for (let round = 0; FLOOR && !failure && round < rounds; round++) {
      try {
        samples.push(await measureFloor(options.root, round));
      } catch (e) {
        failure = `chromium-floor, round ${round + 1}: ${(e as Error).message}`;
      }
    }
  } finally {
    await xvfb.process.stop();
  }

  const rows = summarise(samples);
  const row = (client: ClientName, serverCodec: string): VideoRow | undefined => rows.find((r) => r.client === client && r.serverCodec === serverCodec);
  const ratios: VideoBenchResult['ratios'] = [];
  for (const { server: serverCodec } of SERVER_CODECS) {
    const mine = row('spicedesk', serverCodec);
    for (const peer of ['spicedesk-canvas', 'spice-html5', 'remote-viewer'] as const) {
      const theirs = row(peer, serverCodec);
      if (mine && theirs) ratios.push({ serverCodec, peer, cpuRatio: mine.cpuPerSecond / theirs.cpuPerSecond, shownRatio: mine.onTimePerSecond / theirs.onTimePerSecond });
    }
  }
  // NaN (printed "-") for a client not measured in this run.
  const cheapest = (client: ClientName): number => {
    const mine = rows.filter((r) => r.client === client);
    return mine.length ? Math.min(...mine.map((r) => r.cpuPerSecond)) : NaN;
  };
  const bestCpuRatio = cheapest('spicedesk') / cheapest('remote-viewer');
  // Chromium's own cost of showing the video, against remote-viewer's cheapest codec: above 1, no page in Chromium gets below it.
  const floorRatio = FLOOR ? cheapest('chromium-floor') / cheapest('remote-viewer') : NaN;
  const table =
    formatTable(
      ['client', 'server codec', 'streamed', 'rounds', 'sent/s', 'on time/s', 'drops/s', 'shown/s', 'CPU s/s', 'CPU by part'],
      rows.map((r) => [
        r.client,
        r.serverCodec,
        r.streamedCodec,
        String(r.rounds),
        fixed(r.sentPerSecond, 1),
        fixed(r.onTimePerSecond, 1),
        fixed(r.dropsPerSecond, 2),
        fixed(r.shownPerSecond, 1),
        fixed(r.cpuPerSecond, 3),
        Object.entries(r.cpuByPart)
          .map(([part, cpu]) => `${part} ${fixed(cpu, 3)}`)
          .join(', '),
      ]),
    ) +
    `\n(${WIDTH}x${HEIGHT} at ${FPS} fps; medians of ${WINDOW_MS / 1000} s windows after ${WARM_UP_MS / 1000} s of warm-up; "on time" and "drops" are the clients' own STREAM_REPORTs; "shown" is the client's own count where it keeps one)` +
    ratios.map((r) => `\nspicedesk/${r.peer} on ${r.serverCodec}: CPU ${fixed(r.cpuRatio, 2)}, frames on time ${fixed(r.shownRatio, 2)}`).join('') +
    `\nspicedesk's cheapest codec / remote-viewer's cheapest: CPU ${fixed(bestCpuRatio, 2)}` +
    (FLOOR ? `\nchromium-floor (ready frames, no server) / remote-viewer's cheapest: CPU ${fixed(floorRatio, 2)}` : '') +
    (process.env.VIDEO_BENCH_THREADS ? threadTables(rows) : '');
  return {
    bench: 'video',
    screen: `1024x768 Xspice, --streaming-video all, SMPTE pattern ${WIDTH}x${HEIGHT} at ${FPS} fps`,
    windowSeconds: WINDOW_MS / 1000,
    samples,
    rows,
    ratios,
    bestCpuRatio,
    failure,
    table,
  };
}
