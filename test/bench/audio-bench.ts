// Sound played on Xspice, heard by three clients in turn: spicedesk's page in headless Chromium
// (through `spicedesk serve`), spice-html5 in the same Chromium (through websockify; it plays
// Opus only, through Media Source in an <audio> element) and remote-viewer (spice-gtk with
// GStreamer) in an Xvfb. One Xspice per mode (RAW, and Opus with XSPICE_PLAYBACK_COMPRESSION=1),
// the clients one at a time (Xspice takes one), each fresh.
//
// The sound (audio-peers.ts): a worker writes silence with a 40 ms 1 kHz burst every second into
// Xspice's playback FIFO, 10 ms at a time on the wall clock, and notes the wall time of each
// burst's write. Every client plays into the bench's own PulseAudio null sink (Chromium and
// remote-viewer reach it through PULSE_SERVER), so all three have a real sound server's output.
//
// Per client, after the sound plays and 3 s of warm-up:
// 1. CPU: utime + stime from /proc of the client's processes over a window with nothing recorded
//    or hooked: Chromium's whole tree plus its relay (the gateway or websockify), or remote-viewer
//    plus its Xvfb; and the sound server (pulseaudio) for every client, as its own part. Twice:
//    in the first seconds of the sound (what a short sound costs, V8 still compiling the
//    gateway's per-packet code) and again once the client has played for STEADY_AFTER_MS (what a
//    session that plays for minutes costs; the gateway reaches its optimised code in 10-30 s).
// 2. Latency: from an onset's write into the FIFO to when it is heard, for every onset of a window:
//    - "monitor", for all three: the null sink's monitor recorded with parec (when the sound server
//      mixed it: what a speaker would get next);
//    - "tap", spicedesk's page: its worklet's output tap mapped to wall time with the
//      AudioContext's getOutputTimestamp (the context's outputLatency included);
//    - "hook", spice-html5: an injected script routes its <audio> through createMediaElementSource
//      into a tapping AudioWorklet (the same mapping). That reroutes the element's sound through Web
//      Audio for good, so spice-html5's monitor latency is measured before the hook ("monitor") and
//      after it ("monitor, hooked"): the difference is what the hook adds.
// 3. Drift, spicedesk in Opus: `--audio-minutes` of playback, the page's playout buffer (level,
//    target, correction, underruns) sampled every 5 s, and the latency again at the end.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, openSessionPage, pageProblems } from '../e2e/browser-page.ts';
import { pageState, takeAudioTap, tapHeardAtMs, type AudioTapTaken } from '../e2e/page-api.ts';
import { sleep, waitUntil } from '../helpers/wait.ts';
import { chromiumPid } from '../helpers/proc-tree.ts';
import { spawnGroup, type GroupProcess } from '../peers/processes.ts';
import { requireFile, requireTool } from '../peers/require-tool.ts';
import { startXspice } from '../peers/xspice.ts';
import { DEFAULT_ONSETS, findOnsets, matchOnsets, MonitorRecorder, OnsetWriter, percentile, startPulse, startSoundRelay, type PulseServer, type SoundRelay } from './audio-peers.ts';
import { serveStaticFolder, startGateway, startWebsockify, startXvfb } from './bench-peers.ts';
import { measureAudioFloor, type AudioFloorSample } from './audio-floor.ts';
import { clientCpuBetween, keyedMedians, readClientCpu, sum, threadTable } from './client-cpu.ts';
import { formatTable, median } from './measure.ts';

const CPU_WINDOW_MS = 20_000;
const LATENCY_WINDOW_MS = 12_000;
const WARM_UP_MS = 3_000;
/** The steady-state CPU window starts this long after the client started playing. */
const STEADY_AFTER_MS = 60_000;
const PLAYING_TIMEOUT_MS = 25_000;
const DRIFT_SAMPLE_MS = 5_000;
export const MAX_ROUNDS = 2;
const SPICE_HTML5_DIR = process.env.SPICE_HTML5_DIR ?? '/usr/share/spice-html5';

/** 'spicedesk (baseline)': another build's gateway and page (--audio-baseline), in the same rounds. */
type ClientName = 'spicedesk' | 'spicedesk (baseline)' | 'spice-html5' | 'remote-viewer';
type Mode = 'raw' | 'opus';
const MODES: Mode[] = ['raw', 'opus'];

export interface LatencyWindow {
  /** wire: the DATA carrying the onset reached the relay (the server's share). */
  method: 'wire' | 'tap' | 'monitor' | 'hook' | 'monitor, hooked';
  /** Onsets written in the window and heard (matched to their write). */
  written: number;
  latenciesMs: number[];
  /** The client's share: from the DATA carrying the onset leaving the server (the relay) to heard. */
  clientShareMs: number[];
}

export interface AudioSample {
  client: ClientName;
  mode: Mode;
  round: number;
  cpuSeconds: number;
  cpuWindowSeconds: number;
  cpuByPart: Record<string, number>;
  /** CPU seconds by process type (or part) and thread name, threads of one name summed. */
  cpuByThread: Record<string, number>;
  /** The same once the client has played for STEADY_AFTER_MS. */
  steadyCpuSeconds: number;
  steadyWindowSeconds: number;
  steadyCpuByPart: Record<string, number>;
  steadyCpuByThread: Record<string, number>;
  latency: LatencyWindow[];
  /** spicedesk: the AudioContext's outputLatency and baseLatency (ms) as the page's tap saw them. */
  contextLatencyMs?: { output: number; base: number };
  /** spicedesk: its playout buffer during the CPU window (medians of 5 readings), and its underruns and skips so far. */
  playout?: { levelMs: number; targetMs: number; underruns: number; skips: number; outputLostMs: number };
  /** The FIFO writer's latest write after its due time and longest (blocked) write, ms. */
  writer: { maxLateMs: number; maxBlockMs: number } | null;
}

export interface DriftPoint {
  atSeconds: number;
  levelMs: number;
  targetMs: number;
  correction: number;
  underruns: number;
  skips: number;
  droppedFrames: number;
  /** What the output lost to stalls so far (the worklet's wall clock against its context's), ms, NaN (printed "-") before the worklet said: a skip behind which there is none is the playout's own. */
  outputLostMs: number;
}

export interface DriftResult {
  minutes: number;
  series: DriftPoint[];
  start: LatencyWindow[];
  end: LatencyWindow[];
}

// ---- the clients ----

interface ClientUnderTest {
  pids(): { pid: number; part: string }[];
  /** True once the client plays the sound. */
  playing(): Promise<boolean>;
  /** Throws if the client reported errors or lost its session. */
  check(): Promise<void>;
  close(): Promise<void>;
}

async function openSpicedesk(gatewayUrl: string, gatewayPid: number): Promise<ClientUnderTest & { page: Page }> {
  const browser: Browser = await launchChromium(['--autoplay-policy=no-user-gesture-required'], { unmuted: true });
  try {
    const page = await openSessionPage(browser, gatewayUrl, PLAYING_TIMEOUT_MS);
    const browserPid = chromiumPid();
    return {
      page,
      pids: () => [
        { pid: browserPid, part: 'chromium' },
        { pid: gatewayPid, part: 'gateway' },
      ],
      playing: async () => (await pageState(page)).audio.playout?.state === 'playing',
      check: async () => {
        const problems = pageProblems(page);
        if (problems.length) throw new Error(`spicedesk's page reported errors: ${problems.join('; ')}`);
        const s = await pageState(page);
        if (s.status !== 'connected') throw new Error(`spicedesk lost its session: ${s.status} ${s.statusText}`);
      },
      close: () => browser.close(),
    };
  } catch (e) {
    await browser.close();
    throw e;
  }
}

interface Html5Hook {
  benchHook: { start(): Promise<void>; take(): AudioTapTaken };
}

/**
 * Injected into spice-html5's page: start() routes its <audio> element (made on PLAYBACK START)
 * through createMediaElementSource into an AudioWorklet that passes the sound on to the
 * context's output and copies its left channel, each part with the context time of its first
 * frame; take() gives what was copied, shaped as spicedesk's tap (mono here).
 */
const html5Hook = (): void => {
  const w = window as unknown as Html5Hook;
  let parts: { frames: Float32Array; contextTime: number }[] = [];
  let ctx: AudioContext | null = null;
  const processor = `
    class BenchTap extends AudioWorkletProcessor {
      constructor() { super(); this.buf = new Float32Array(4800); this.n = 0; this.t = 0; this.silence = new Float32Array(128); }
      process(inputs, outputs) {
        const input = inputs[0];
        const out = outputs[0];
        for (let c = 0; c < out.length; c++) if (input[c]) out[c].set(input[c]);
        const left = input[0] || this.silence;
        for (let k = 0; k < left.length; k++) {
          if (this.n === 0) this.t = currentTime + k / sampleRate;
          this.buf[this.n++] = left[k];
          if (this.n === this.buf.length) { this.port.postMessage({ frames: this.buf.slice(), contextTime: this.t }); this.n = 0; }
        }
        return true;
      }
    }
    registerProcessor('bench-tap', BenchTap);`;
  w.benchHook = {
    async start() {
      const element = document.querySelector('audio');
      if (!element) throw new Error('spice-html5 has no <audio> element');
      ctx = new AudioContext({ latencyHint: 'interactive', sampleRate: 48000 });
      await ctx.audioWorklet.addModule(URL.createObjectURL(new Blob([processor], { type: 'text/javascript' })));
      const node = new AudioWorkletNode(ctx, 'bench-tap', { numberOfInputs: 1, numberOfOutputs: 1, outputChannelCount: [2] });
      node.port.onmessage = (e: MessageEvent<{ frames: Float32Array; contextTime: number }>) => parts.push(e.data);
      ctx.createMediaElementSource(element).connect(node);
      node.connect(ctx.destination);
      await ctx.resume();
    },
    take() {
      const taken = parts;
      parts = [];
      const all = new Float32Array(taken.reduce((n, p) => n + p.frames.length, 0));
      let o = 0;
      for (const p of taken) {
        all.set(p.frames, o);
        o += p.frames.length;
      }
      const bytes = new Uint8Array(all.buffer);
      let binary = '';
      for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      const stamp = ctx?.getOutputTimestamp();
      return {
        rate: ctx?.sampleRate ?? 0,
        samplesBase64: btoa(binary),
        contextTime: taken[0]?.contextTime ?? null,
        outputTimestamp: stamp?.contextTime !== undefined && stamp.performanceTime !== undefined ? { contextTime: stamp.contextTime, performanceTime: stamp.performanceTime } : null,
        timeOrigin: performance.timeOrigin,
        outputLatency: ctx?.outputLatency ?? 0,
        baseLatency: ctx?.baseLatency ?? 0,
      };
    },
  };
};

async function openSpiceHtml5(origin: string, wsPort: number, websockifyPid: number): Promise<ClientUnderTest & { page: Page }> {
  const browser = await launchChromium(['--autoplay-policy=no-user-gesture-required'], { unmuted: true });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.addInitScript(html5Hook);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${origin}/spice_auto.html?host=127.0.0.1&port=${wsPort}`);
    const browserPid = chromiumPid();
    return {
      page,
      pids: () => [
        { pid: browserPid, part: 'chromium' },
        { pid: websockifyPid, part: 'websockify' },
      ],
      playing: () =>
        page.evaluate(() => {
          const a = document.querySelector('audio');
          return a !== null && !a.paused && a.currentTime > 0.2;
        }),
      check: async () => {
        if (errors.length) throw new Error(`spice-html5's page threw: ${errors.join('; ')}`);
      },
      close: () => browser.close(),
    };
  } catch (e) {
    await browser.close();
    throw e;
  }
}

async function openRemoteViewer(url: string, display: string, xvfbPid: number): Promise<ClientUnderTest> {
  const viewer = requireTool('remote-viewer', 'virt-viewer');
  const proc: GroupProcess = spawnGroup(viewer, [url], { env: { ...process.env, DISPLAY: display, GDK_BACKEND: 'x11', NO_AT_BRIDGE: '1' }, name: 'remote-viewer' });
  return {
    pids: () => [
      { pid: proc.pid, part: 'remote-viewer' },
      { pid: xvfbPid, part: 'Xvfb' },
    ],
    // Its sound is the sink's only stream while it runs.
    playing: async () => proc.running(),
    check: async () => {
      if (!proc.running()) throw new Error(`remote-viewer exited: ${proc.outputTail()}`);
    },
    close: () => proc.stop(),
  };
}

// ---- measuring ----

interface Peers {
  pulse: PulseServer;
  sound: SoundRelay;
  /** Xspice's FIFO directory: each client gets a writer of its own once its playback channel has its MODE. */
  fifoDir: string;
  spiceUrl: string;
  gatewayUrl: string;
  gatewayPid: number;
  /** The baseline build's gateway (--audio-baseline), if one was given. */
  baselineGateway?: { url: string; pid: number };
  html5Origin: string;
  websockifyPort: number;
  websockifyPid: number;
  xvfbDisplay: string;
  xvfbPid: number;
}

const wallNow = (): number => performance.timeOrigin + performance.now();

/** Onsets heard in a recording or tap (wall ms), from `heardAt(sampleIndex)`. */
function heardOnsets(signal: Float32Array, rate: number, heardAt: (i: number) => number): number[] {
  return findOnsets(signal, rate).map(heardAt);
}

function leftOf(interleaved: Float32Array): Float32Array {
  const left = new Float32Array(interleaved.length >> 1);
  for (let i = 0; i < left.length; i++) left[i] = interleaved[2 * i];
  return left;
}

/**
 * One latency window: the monitor recorded, and the page's tap (spicedesk) or hook (spice-html5,
 * once started) taken at the end; onsets written from the window's start to a period before its
 * end are the ones that can have been heard in it.
 */
async function latencyWindow(
  peers: Peers,
  writer: OnsetWriter,
  pageTap: 'spicedesk' | 'html5' | null,
  page: Page | null,
  monitorMethod: LatencyWindow['method'],
): Promise<{ windows: LatencyWindow[]; contextLatencyMs?: { output: number; base: number } }> {
  const period = writer.options.periodMs;
  if (pageTap === 'spicedesk') await page!.evaluate(() => window.spicedeskPage!.audioTap(true));
  if (pageTap === 'html5') await page!.evaluate(() => (window as unknown as Html5Hook).benchHook.take());
  const recorder = new MonitorRecorder(peers.pulse);
  const from = wallNow();
  // The page keeps the newest 10 s of its tap: taken halfway too.
  const tapped: number[] = [];
  let contextLatencyMs: { output: number; base: number } | undefined;
  const takeTap = async (): Promise<void> => {
    const tap = await takeAudioTap(page!);
    contextLatencyMs = { output: tap.taken.outputLatency * 1000, base: tap.taken.baseLatency * 1000 };
    if (!tap.heardAtMs) throw new Error(`spicedesk's tap gave no output timestamp: ${JSON.stringify(tap.taken)}`);
    tapped.push(...heardOnsets(leftOf(tap.samples), tap.rate, tap.heardAtMs));
  };
  await sleep(LATENCY_WINDOW_MS / 2);
  if (pageTap === 'spicedesk') await takeTap();
  await sleep(LATENCY_WINDOW_MS / 2);
  const to = wallNow();
  const recording = await recorder.stop();
  const windows: LatencyWindow[] = [];
  const written = writer.writtenBetween(from, to - period);
  const inWindow = (heard: number[]): number[] => heard.filter((h) => h >= from);
  const wire = inWindow(peers.sound.onsets);
  const measured = (method: LatencyWindow['method'], heard: number[]): LatencyWindow => ({
    method,
    written: written.length,
    latenciesMs: matchOnsets(heard, written, period),
    clientShareMs: method === 'wire' ? [] : matchOnsets(heard, wire, period),
  });
  windows.push(measured('wire', wire));
  if (recording.startMs !== null) {
    const start = recording.startMs;
    const heard = inWindow(heardOnsets(recording.left, recording.rate, (i) => start + (i / recording.rate) * 1000));
    windows.push(measured(monitorMethod, heard));
  }
  if (pageTap === 'spicedesk') {
    await takeTap();
    await page!.evaluate(() => window.spicedeskPage!.audioTap(false));
    windows.push(measured('tap', inWindow(tapped)));
  }
  if (pageTap === 'html5') {
    const { samplesBase64, ...taken } = await page!.evaluate(() => (window as unknown as Html5Hook).benchHook.take());
    const bytes = Buffer.from(samplesBase64, 'base64');
    const left = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    const heardAt = tapHeardAtMs(taken);
    if (!heardAt) throw new Error(`the hook in spice-html5 gave no output timestamp: ${JSON.stringify(taken)}`);
    contextLatencyMs = { output: taken.outputLatency * 1000, base: taken.baseLatency * 1000 };
    windows.push(measured('hook', inWindow(heardOnsets(left, taken.rate, heardAt))));
  }
  return { windows, contextLatencyMs };
}

async function playoutPoint(page: Page, startedMs: number): Promise<DriftPoint> {
  const audio = (await pageState(page)).audio;
  const p = audio.playout;
  if (!p) throw new Error('spicedesk has no playout while playing');
  return { atSeconds: (wallNow() - startedMs) / 1000, levelMs: p.levelMs, targetMs: p.targetMs, correction: p.correction, underruns: p.underruns, skips: p.skips, droppedFrames: p.droppedFrames, outputLostMs: audio.outputStalls?.lostMs ?? NaN };
}

async function measureClient(client: ClientName, mode: Mode, round: number, peers: Peers, driftMinutes: number): Promise<{ sample: AudioSample; drift?: DriftResult }> {
  const opened =
    client === 'spicedesk'
      ? await openSpicedesk(peers.gatewayUrl, peers.gatewayPid)
      : client === 'spicedesk (baseline)'
        ? await openSpicedesk(peers.baselineGateway!.url, peers.baselineGateway!.pid)
          : client === 'spice-html5'
          ? await openSpiceHtml5(peers.html5Origin, peers.websockifyPort, peers.websockifyPid)
          : await openRemoteViewer(peers.spiceUrl, peers.xvfbDisplay, peers.xvfbPid);
  const page = 'page' in opened ? (opened as { page: Page }).page : null;
  let writer: OnsetWriter | undefined;
  try {
    // Sound written before the client's playback channel has its MODE would be lost: a writer (and
    // an empty FIFO) of its own for each client, so no client inherits another's backlog.
    await waitUntil(`${client}'s playback channel to get its MODE`, () => peers.sound.playbackReady(), PLAYING_TIMEOUT_MS);
    writer = await OnsetWriter.start(peers.fifoDir, `onsets-${client}-${mode}-${round}`);
    const w = writer;
    await waitUntil(`${client} to play the sound (${mode})`, async () => (await opened.playing()) && (await peers.pulse.sinkInputs()) > 0, PLAYING_TIMEOUT_MS, {
      explain: async () => `sink inputs ${await peers.pulse.sinkInputs()}; writer ${w.error ?? 'writing'}; ${page && client.startsWith('spicedesk') ? JSON.stringify((await pageState(page)).audio) : ''}`,
    });
    const playingSince = performance.now();
    await sleep(WARM_UP_MS);
    await opened.check();
    const roots = (): { pid: number; part: string }[] => [...opened.pids(), { pid: peers.pulse.process.pid, part: 'pulseaudio' }];
    const isSpicedesk = client === 'spicedesk' || client === 'spicedesk (baseline)';
    // spicedesk: the page's playout buffer, read a few times (one reading moves with each packet).
    const playout: DriftPoint[] = [];
    const cpuWindow = async (readPlayout: boolean): Promise<{ seconds: number; byPart: Record<string, number>; byThread: Record<string, number> }> => {
      const before = readClientCpu(roots());
      const started = performance.now();
      for (let step = 0; step < 5; step++) {
        await sleep(CPU_WINDOW_MS / 5);
        if (readPlayout && isSpicedesk && page) playout.push(await playoutPoint(page, wallNow()));
      }
      const after = readClientCpu(roots());
      return { seconds: (performance.now() - started) / 1000, ...clientCpuBetween(before, after) };
    };
    const first = await cpuWindow(true);
    await opened.check();

    const latency: LatencyWindow[] = [];
    let contextLatencyMs: { output: number; base: number } | undefined;
    if (isSpicedesk) {
      const r = await latencyWindow(peers, w, 'spicedesk', page, 'monitor');
      latency.push(...r.windows);
      contextLatencyMs = r.contextLatencyMs;
    } else if (client === 'spice-html5') {
      latency.push(...(await latencyWindow(peers, w, null, null, 'monitor')).windows);
      await page!.evaluate(() => (window as unknown as Html5Hook).benchHook.start());
      await sleep(WARM_UP_MS);
      const r = await latencyWindow(peers, w, 'html5', page, 'monitor, hooked');
      latency.push(...r.windows.filter((x) => x.method !== 'wire'));
      contextLatencyMs = r.contextLatencyMs;
    } else {
      latency.push(...(await latencyWindow(peers, w, null, null, 'monitor')).windows);
    }
    await opened.check();

    // The steady state: the same window once the client has played for STEADY_AFTER_MS.
    await sleep(Math.max(0, STEADY_AFTER_MS - (performance.now() - playingSince)));
    const steady = await cpuWindow(false);
    await opened.check();

    let drift: DriftResult | undefined;
    if (client === 'spicedesk' && driftMinutes > 0 && page) {
      const series: DriftPoint[] = [];
      const driftStart = wallNow();
      while (wallNow() - driftStart < driftMinutes * 60_000) {
        series.push(await playoutPoint(page, driftStart));
        await opened.check();
        if (w.error) throw new Error(`the onset writer failed: ${w.error}`);
        await sleep(DRIFT_SAMPLE_MS);
      }
      series.push(await playoutPoint(page, driftStart));
      const end = (await latencyWindow(peers, w, 'spicedesk', page, 'monitor')).windows;
      drift = { minutes: driftMinutes, series, start: latency, end };
    }
    if (w.error) throw new Error(`the onset writer failed: ${w.error}`);
    await w.stop();
    return {
      sample: {
        client,
        mode,
        round,
        cpuSeconds: sum(first.byPart),
        cpuWindowSeconds: first.seconds,
        cpuByPart: first.byPart,
        cpuByThread: first.byThread,
        steadyCpuSeconds: sum(steady.byPart),
        steadyWindowSeconds: steady.seconds,
        steadyCpuByPart: steady.byPart,
        steadyCpuByThread: steady.byThread,
        latency,
        contextLatencyMs,
        writer: w.stats,
        playout: playout.length ? { levelMs: median(playout.map((p) => p.levelMs)), targetMs: median(playout.map((p) => p.targetMs)), underruns: playout.at(-1)!.underruns, skips: playout.at(-1)!.skips, outputLostMs: playout.at(-1)!.outputLostMs } : undefined,
      },
      drift,
    };
  } finally {
    await writer?.stop();
    await opened.close();
    // Xspice takes one client at a time: let the server drop this session before the next links.
    await waitUntil('the relay to drop the last client', () => peers.sound.relay.channels.every((c) => c.closed), 10_000).catch(() => undefined);
  }
}

// ---- summary ----

export interface LatencyRow {
  client: ClientName;
  mode: Mode;
  method: LatencyWindow['method'];
  written: number;
  heard: number;
  medianMs: number;
  p95Ms: number;
  /** The client's share (from the server's DATA to heard). */
  clientMedianMs: number;
  clientP95Ms: number;
}

export interface CpuRow {
  client: ClientName;
  mode: Mode;
  rounds: number;
  cpuPerSecond: number;
  cpuByPart: Record<string, number>;
  /** CPU s/s by process type and thread name (medians). */
  cpuByThread: Record<string, number>;
  /** After STEADY_AFTER_MS of playing. */
  steadyCpuPerSecond: number;
  steadyCpuByPart: Record<string, number>;
  steadyCpuByThread: Record<string, number>;
}

export interface AudioBenchResult {
  bench: 'audio';
  setup: string;
  samples: AudioSample[];
  cpu: CpuRow[];
  latency: LatencyRow[];
  /** spicedesk over each peer, same mode: CPU (first seconds and steady), the monitor latency's median, and its client share's median. */
  ratios: { mode: Mode; peer: ClientName; cpuRatio: number; steadyCpuRatio: number; latencyRatio: number; clientShareRatio: number }[];
  /** AUDIO_BENCH_FLOOR=1: Chromium alone playing the sound (audio-floor.ts), medians over rounds. */
  floor?: { rounds: number; cpuPerSecond: number; cpuByPart: Record<string, number>; cpuByThread: Record<string, number> };
  drift?: DriftResult & { levelStartMs: number; levelEndMs: number; targetStartMs: number; targetEndMs: number; latencyStartMs: number; latencyEndMs: number; tapStartMs: number; tapEndMs: number };
  failure?: string;
  table: string;
}

const fixed = (n: number, digits: number): string => (Number.isFinite(n) ? n.toFixed(digits) : '-');

function summariseLatency(samples: readonly AudioSample[]): LatencyRow[] {
  const keys = [...new Set(samples.flatMap((s) => s.latency.map((l) => `${s.client}|${s.mode}|${l.method}`)))];
  return keys.map((key) => {
    const [client, mode, method] = key.split('|') as [ClientName, Mode, LatencyWindow['method']];
    const windows = samples.filter((s) => s.client === client && s.mode === mode).flatMap((s) => s.latency.filter((l) => l.method === method));
    const all = windows.flatMap((w) => w.latenciesMs);
    const share = windows.flatMap((w) => w.clientShareMs);
    return {
      client,
      mode,
      method,
      written: windows.reduce((n, w) => n + w.written, 0),
      heard: all.length,
      medianMs: median(all),
      p95Ms: percentile(all, 95),
      clientMedianMs: median(share),
      clientP95Ms: percentile(share, 95),
    };
  });
}

function summariseCpu(samples: readonly AudioSample[]): CpuRow[] {
  const keys = [...new Set(samples.map((s) => `${s.client}|${s.mode}`))];
  return keys.map((key) => {
    const mine = samples.filter((s) => `${s.client}|${s.mode}` === key);
    const per = (f: (s: AudioSample) => number): number => median(mine.map((s) => f(s) / s.cpuWindowSeconds));
    const steadyPer = (f: (s: AudioSample) => number): number => median(mine.map((s) => f(s) / s.steadyWindowSeconds));
    const parts = [...new Set(mine.flatMap((s) => [...Object.keys(s.cpuByPart), ...Object.keys(s.steadyCpuByPart)]))];
    const threads = [...new Set(mine.flatMap((s) => [...Object.keys(s.cpuByThread), ...Object.keys(s.steadyCpuByThread)]))];
    return {
      client: mine[0]!.client,
      mode: mine[0]!.mode,
      rounds: mine.length,
      cpuPerSecond: per((s) => s.cpuSeconds),
      cpuByPart: keyedMedians(mine, (s) => s.cpuByPart, per, parts),
      cpuByThread: keyedMedians(mine, (s) => s.cpuByThread, per, threads),
      steadyCpuPerSecond: steadyPer((s) => s.steadyCpuSeconds),
      steadyCpuByPart: keyedMedians(mine, (s) => s.steadyCpuByPart, steadyPer, parts),
      steadyCpuByThread: keyedMedians(mine, (s) => s.steadyCpuByThread, steadyPer, threads),
    };
  });
}

function summariseDrift(d: DriftResult): NonNullable<AudioBenchResult['drift']> {
  // The first and the last 30 s of samples: one reading moves with each 10 ms packet and quantum.
  const n = Math.max(1, Math.min(6, Math.floor(d.series.length / 3)));
  const first = d.series.slice(0, n);
  const last = d.series.slice(-n);
  const m = (windows: LatencyWindow[], method: LatencyWindow['method']): number => median(windows.filter((w) => w.method === method).flatMap((w) => w.latenciesMs));
  return {
    ...d,
    levelStartMs: median(first.map((p) => p.levelMs)),
    levelEndMs: median(last.map((p) => p.levelMs)),
    targetStartMs: median(first.map((p) => p.targetMs)),
    targetEndMs: median(last.map((p) => p.targetMs)),
    latencyStartMs: m(d.start, 'monitor'),
    latencyEndMs: m(d.end, 'monitor'),
    tapStartMs: m(d.start, 'tap'),
    tapEndMs: m(d.end, 'tap'),
  };
}

/**
 * `baselineRoot`: another checkout's root (its bin/spicedesk.cjs and dist/, an older build, say),
 * measured as 'spicedesk (baseline)' through a gateway of its own in the same rounds.
 */
export async function runAudioBench(options: { runs: number; root: string; audioMinutes: number; baselineRoot?: string }): Promise<AudioBenchResult> {
  requireFile(join(SPICE_HTML5_DIR, 'spice_auto.html'), 'spice-html5', "spice-html5's page");
  requireTool('parec', 'pulseaudio-utils');
  const rounds = Math.min(options.runs, MAX_ROUNDS);
  const dir = mkdtempSync(join(tmpdir(), 'spicedesk-audio-bench-'));
  const samples: AudioSample[] = [];
  const floors: AudioFloorSample[] = [];
  let drift: DriftResult | undefined;
  let failure: string | undefined;
  const pulse = await startPulse(join(dir, 'pulse'));
  const previousPulseServer = process.env.PULSE_SERVER;
  // Chromium and remote-viewer play into the bench's sound server.
  process.env.PULSE_SERVER = pulse.server;
  const xvfb = await startXvfb();
  try {
    // AUDIO_BENCH_MODES=opus measures that mode only (none: the floor alone, with AUDIO_BENCH_FLOOR=1).
    const only = process.env.AUDIO_BENCH_MODES?.split(',').filter((m) => m !== '');
    outer: for (const mode of MODES.filter((m) => !only?.length || only.includes(m))) {
      const fifoDir = join(dir, `fifo-${mode}`);
      mkdirSync(fifoDir, { recursive: true });
      const xspice = await startXspice({ audio: { fifoDir, opus: mode === 'opus' } });
      let sound: SoundRelay | undefined;
      let gateway: GroupProcess | undefined;
      let baselineGateway: GroupProcess | undefined;
      let websockify: GroupProcess | undefined;
      let html5Server: Server | undefined;
      try {
        sound = await startSoundRelay(xspice.port);
        const started = await startGateway(options.root, sound.relay.url);
        gateway = started.process;
        const baseline = options.baselineRoot === undefined ? undefined : await startGateway(options.baselineRoot, sound.relay.url);
        baselineGateway = baseline?.process;
        const ws = await startWebsockify(sound.relay.port);
        websockify = ws.process;
        const html5 = await serveStaticFolder(SPICE_HTML5_DIR);
        html5Server = html5.server;
        const peers: Peers = {
          pulse,
          sound,
          fifoDir,
          spiceUrl: sound.relay.url,
          gatewayUrl: started.url,
          gatewayPid: gateway.pid,
          baselineGateway: baseline && { url: baseline.url, pid: baseline.process.pid },
          html5Origin: html5.origin,
          websockifyPort: ws.port,
          websockifyPid: websockify.pid,
          xvfbDisplay: xvfb.display,
          xvfbPid: xvfb.process.pid,
        };
        // spice-html5 plays Opus only (it logs "cannot handle mode" for RAW and stays silent).
        const spicedesks: ClientName[] = baseline ? ['spicedesk', 'spicedesk (baseline)'] : ['spicedesk'];
        const clients: ClientName[] = mode === 'opus' ? [...spicedesks, 'spice-html5', 'remote-viewer'] : [...spicedesks, 'remote-viewer'];
        for (let round = 0; round < rounds; round++) {
          for (const client of round % 2 === 0 ? clients : [...clients].reverse()) {
            try {
              const wantDrift = client === 'spicedesk' && mode === 'opus' && round === 0 ? options.audioMinutes : 0;
              const r = await measureClient(client, mode, round, peers, wantDrift);
              samples.push(r.sample);
              drift ??= r.drift;
            } catch (e) {
              failure = `${client} (${mode}), round ${round + 1}: ${(e as Error).message}`;
              break outer;
            }
          }
        }
      } finally {
        html5Server?.close();
        await gateway?.stop();
        await baselineGateway?.stop();
        await websockify?.stop();
        await sound?.relay.close();
        await xspice.stop();
      }
    }
    // Chromium's own cost of playing the sound, once a round, into the same sound server.
    for (let round = 0; process.env.AUDIO_BENCH_FLOOR === '1' && !failure && round < rounds; round++) {
      try {
        floors.push(await measureAudioFloor(options.root, pulse, { warmUpMs: WARM_UP_MS, windowMs: CPU_WINDOW_MS, timeoutMs: PLAYING_TIMEOUT_MS }));
      } catch (e) {
        failure = `chromium-floor, round ${round + 1}: ${(e as Error).message}`;
      }
    }
  } finally {
    if (previousPulseServer === undefined) delete process.env.PULSE_SERVER;
    else process.env.PULSE_SERVER = previousPulseServer;
    await xvfb.process.stop();
    await pulse.process.stop();
    rmSync(dir, { recursive: true, force: true });
  }

  const cpu = summariseCpu(samples);
  const latency = summariseLatency(samples);
  const ratios: AudioBenchResult['ratios'] = [];
  for (const mode of MODES) {
    const mine = cpu.find((r) => r.client === 'spicedesk' && r.mode === mode);
    const myLatency = latency.find((r) => r.client === 'spicedesk' && r.mode === mode && r.method === 'monitor');
    for (const peer of ['spicedesk (baseline)', 'spice-html5', 'remote-viewer'] as const) {
      const theirs = cpu.find((r) => r.client === peer && r.mode === mode);
      const theirLatency = latency.find((r) => r.client === peer && r.mode === mode && r.method === 'monitor');
      if (mine && theirs) {
        ratios.push({
          mode,
          peer,
          cpuRatio: mine.cpuPerSecond / theirs.cpuPerSecond,
          steadyCpuRatio: mine.steadyCpuPerSecond / theirs.steadyCpuPerSecond,
          latencyRatio: (myLatency?.medianMs ?? NaN) / (theirLatency?.medianMs ?? NaN),
          clientShareRatio: (myLatency?.clientMedianMs ?? NaN) / (theirLatency?.clientMedianMs ?? NaN),
        });
      }
    }
  }
  const driftSummary = drift && summariseDrift(drift);
  const floorPer = (g: (f: AudioFloorSample) => number): number => median(floors.map((f) => g(f) / f.seconds));
  const floor = floors.length
    ? { rounds: floors.length, cpuPerSecond: floorPer((f) => f.cpuSeconds), cpuByPart: keyedMedians(floors, (f) => f.cpuByPart, floorPer), cpuByThread: keyedMedians(floors, (f) => f.cpuByThread, floorPer) }
    : undefined;
  const viewer = (mode: Mode): CpuRow | undefined => cpu.find((r) => r.client === 'remote-viewer' && r.mode === mode);
  const contextLatencies = samples
    .filter((s) => s.contextLatencyMs)
    .map((s) => `${s.client} ${s.mode}: outputLatency ${fixed(s.contextLatencyMs!.output, 1)} ms, baseLatency ${fixed(s.contextLatencyMs!.base, 1)} ms`);
  const table = [
    formatTable(
      ['client', 'mode', 'rounds', 'CPU s/s, first seconds', 'by part', `CPU s/s, steady (after ${STEADY_AFTER_MS / 1000} s)`, 'by part'],
      cpu.map((r) => [
        r.client,
        r.mode,
        String(r.rounds),
        fixed(r.cpuPerSecond, 3),
        Object.entries(r.cpuByPart).map(([part, c]) => `${part} ${fixed(c, 3)}`).join(', '),
        fixed(r.steadyCpuPerSecond, 3),
        Object.entries(r.steadyCpuByPart).map(([part, c]) => `${part} ${fixed(c, 3)}`).join(', '),
      ]),
    ),
    '',
    formatTable(
      ['client', 'mode', 'measured at', 'onsets written', 'heard', 'median ms', 'p95 ms', 'client share median', 'client share p95'],
      latency.map((r) => [r.client, r.mode, r.method, String(r.written), String(r.heard), fixed(r.medianMs, 1), fixed(r.p95Ms, 1), fixed(r.clientMedianMs, 1), fixed(r.clientP95Ms, 1)]),
    ),
    `(latency: from the onset's write into Xspice's FIFO to the relay seeing its DATA (wire), to the sink's monitor (monitor), the page's tap mapped with getOutputTimestamp, outputLatency included (tap), spice-html5's <audio> through an injected createMediaElementSource tap (hook); CPU over ${CPU_WINDOW_MS / 1000} s with nothing recorded, ${WARM_UP_MS / 1000} s after the client started playing (first seconds) and ${STEADY_AFTER_MS / 1000} s after (steady), pulseaudio's share in every row)`,
    contextLatencies.join('; '),
    ...samples.filter((s) => s.playout).map((s) => `spicedesk ${s.mode}: playout buffer ${fixed(s.playout!.levelMs, 1)} ms (target ${fixed(s.playout!.targetMs, 1)} ms), underruns ${s.playout!.underruns}, skips ${s.playout!.skips}, output lost ${fixed(s.playout!.outputLostMs, 0)} ms to stalls`),
    `FIFO writer (late write / longest write, ms): ${samples.map((s) => `${s.client} ${s.mode} ${fixed(s.writer?.maxLateMs ?? NaN, 0)}/${fixed(s.writer?.maxBlockMs ?? NaN, 0)}`).join(', ')}`,
    ...ratios.map((r) => `spicedesk/${r.peer} (${r.mode}): CPU ${fixed(r.cpuRatio, 2)} (steady ${fixed(r.steadyCpuRatio, 2)}), latency (monitor, median) ${fixed(r.latencyRatio, 2)}, client share ${fixed(r.clientShareRatio, 2)}`),
    driftSummary
      ? `drift over ${driftSummary.minutes} min (spicedesk, Opus): buffer level ${fixed(driftSummary.levelStartMs, 1)} -> ${fixed(driftSummary.levelEndMs, 1)} ms, target ${fixed(driftSummary.targetStartMs, 1)} -> ${fixed(driftSummary.targetEndMs, 1)} ms, ` +
        `latency (monitor) ${fixed(driftSummary.latencyStartMs, 1)} -> ${fixed(driftSummary.latencyEndMs, 1)} ms, (tap) ${fixed(driftSummary.tapStartMs, 1)} -> ${fixed(driftSummary.tapEndMs, 1)} ms, ` +
        `underruns ${driftSummary.series.at(-1)!.underruns - driftSummary.series[0]!.underruns}, skips ${driftSummary.series.at(-1)!.skips - driftSummary.series[0]!.skips}`
      : '(no drift run: --audio-minutes 0)',
    ...(floor
      ? [
          `chromium-floor (the sound made in the page's own AudioWorklet, no server): CPU ${fixed(floor.cpuPerSecond, 3)} s/s (${Object.entries(floor.cpuByPart).map(([part, c]) => `${part} ${fixed(c, 3)}`).join(', ')}); ` +
            MODES.map((mode) => `/ remote-viewer ${mode} ${fixed(floor.cpuPerSecond / (viewer(mode)?.cpuPerSecond ?? NaN), 2)} (steady ${fixed(floor.cpuPerSecond / (viewer(mode)?.steadyCpuPerSecond ?? NaN), 2)})`).join(', '),
        ]
      : []),
    // AUDIO_BENCH_THREADS=1: the browser clients side by side by thread, per mode, first seconds and steady.
    ...(process.env.AUDIO_BENCH_THREADS
      ? MODES.flatMap((mode) => {
          const browsers = cpu.filter((r) => r.mode === mode && r.client !== 'remote-viewer');
          if (browsers.length === 0) return [];
          return [
            `\nCPU s/s by thread, ${mode}, first seconds / steady:`,
            threadTable([...browsers.flatMap((r) => [{ label: `${r.client} first`, byThread: r.cpuByThread }, { label: `${r.client} steady`, byThread: r.steadyCpuByThread }]), ...(floor ? [{ label: 'chromium-floor', byThread: floor.cpuByThread }] : [])]),
          ];
        })
      : []),
  ].join('\n');
  return {
    bench: 'audio',
    setup: `Xspice RAW and Opus (XSPICE_PLAYBACK_COMPRESSION=1), a ${DEFAULT_ONSETS.burstMs} ms ${DEFAULT_ONSETS.hz} Hz burst every ${DEFAULT_ONSETS.periodMs} ms written into the playback FIFO in real time; every client plays into a PulseAudio null sink`,
    samples,
    cpu,
    latency,
    ratios,
    drift: driftSummary,
    floor,
    failure,
    table,
  };
}
