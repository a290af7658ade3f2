// What a user feels, measured the same way for every client (issue #16): spicedesk's page
// (`spicedesk open`), spice-html5 and remote-viewer, each a window on one Xvfb screen, against one
// Xspice, in the same run, taking turns. Input goes in through XTEST into the client's window and
// what the user sees is read back from the Xvfb's framebuffer by x-probe (interactive/x-probe.c,
// built with gcc at bench time), so no client is measured by its own account. Per client session:
// - time to first frame: from starting the client to the desktop's pixels on the screen;
// - key-to-glyph: an xterm in Xspice writes each typed byte at its top-left cell; from the XTEST
//   press to the first poll that sees that cell change on the Xvfb, KEYS presses at a steady pace;
// - click-to-pixel: a square in Xspice that swaps colours on each button press, the same measure;
// - live session: a continuously scrolling xterm and a box moving at 25 fps for LIVE_MS: CPU
//   seconds per second of the client's processes, the changes of each region that reached the
//   screen per second, and the peak memory of the client's processes together.
// The ratios spicedesk/peer are compared with the ones last recorded (bench/interactive-baseline.json).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { sleep, waitUntil } from '../helpers/wait.ts';
import { solidBackground, waitForWindow } from '../peers/desktop.ts';
import { requireFile, requireTool } from '../peers/require-tool.ts';
import { tcpConnectionsOn } from '../peers/tcp-connections.ts';
import { startXspice, type XspiceServer } from '../peers/xspice.ts';
import { runToCompletion, type GroupProcess } from '../peers/processes.ts';
import { serveStaticFolder, startXvfb } from './bench-peers.ts';
import { cpuBetween, cpuTicks } from './client-cpu.ts';
import { formatTable, median } from './measure.ts';
import { CLIENTS, VARIANT_DESCRIPTION, clientMemory, isSpiceClient, newWorkDir, startClient, type ClientName, type ClientSetup, type RunningClient } from './interactive/clients.ts';
import { buildPrograms, monotonicUs, reactionMs, XProbe, type Box, type BuiltPrograms, type Reaction } from './interactive/probe.ts';
import { startSpiceRelay } from '../peers/spice-relay.ts';
import { guard, parseBaseline, ratioOf, summariseLatencies, type GuardLine, type LatencySummary, type Ratio } from './interactive/stats.ts';

/** Each round is about 1.5 minutes per client; `--runs` above this is capped. */
export const MAX_ROUNDS = 3;
const KEYS = 200;
/** Presses held like a typist's (released after HELD_KEY_MS or when the glyph shows): spice-gtk sends a press only at its release or 100 ms after it. */
const HELD_KEYS = 100;
const HELD_KEY_MS = 120;
const CLICKS = 200;
const WARM_UP_PRESSES = 5;
/** One press every PACE_MS (or right after the last one's change, when that took longer). */
const PACE_MS = 60;
const REACTION_TIMEOUT_MS = 2000;
export const FIRST_FRAME_TIMEOUT_MS = 30_000;
const LIVE_MS = 30_000;
/** Key taps of the breakdown session (through the relay), per client. */
const BREAKDOWN_TAPS = 100;
// SPICE numbers the breakdown watches for (docs/protocol.md): channel types, and the inputs
// channel's key messages from the client (KEY_SCANCODE where the server has that capability).
const DISPLAY_CHANNEL = 2;
const INPUTS_CHANNEL = 3;
const KEY_DOWN = 101;
const KEY_SCANCODE = 104;
const LIVE_WARM_UP_MS = 3000;
const SPICE_HTML5_DIR = process.env.SPICE_HTML5_DIR ?? '/usr/share/spice-html5';
const BASELINE_FILE = 'bench/interactive-baseline.json';

/** Where things are on the Xspice screen (no window manager there: windows go where they ask). */
export const LAYOUT = {
  background: '#336699',
  /** The glyph xterm: 4x1 cells of the 10x20 font on a colour found nowhere else. */
  glyph: { x: 0, y: 0, bg: '10e060' },
  square: { x: 200, y: 20, size: 120, a: 'e01090', b: 'f0a000' },
  /** A point of bare background: clicked once to give the client's window the keyboard. */
  neutral: { x: 600, y: 80 },
  mover: { x: 0, y: 300, w: 640, h: 120, bg: '402080', box: 'f0f0f0', fps: 25 },
  /** The scrolling xterm: 50x30 cells of the 6x13 `fixed` font. */
  scroll: { x: 660, y: 200, w: 50 * 6 + 4, h: 30 * 13 + 4 },
} as const;

export interface LiveSample {
  seconds: number;
  /** CPU seconds per second of the client's processes, by part. */
  cpuByPart: Record<string, number>;
  cpuPerSecond: number;
  /** The Xvfb's CPU seconds per second meanwhile (every client draws into it; x-probe reads it). */
  xvfbCpuPerSecond: number;
  moverFps: number;
  scrollFps: number;
  peakRssMiB: number;
  peakPssMiB: number;
  /** PSS by part at the peak, MiB. */
  peakPssByPartMiB: Record<string, number>;
}

export interface SessionSample {
  client: ClientName;
  round: number;
  firstFrameMs: number;
  /** Scale of the desktop on the screen (1: pixel for pixel). */
  scale: number;
  keyMs: (number | undefined)[];
  heldKeyMs: (number | undefined)[];
  clickMs: (number | undefined)[];
  live: LiveSample;
}

export interface InteractiveRow {
  client: ClientName;
  rounds: number;
  firstFrameMs: number;
  key: LatencySummary;
  heldKey: LatencySummary;
  click: LatencySummary;
  cpuPerSecond: number;
  cpuByPart: Record<string, number>;
  xvfbCpuPerSecond: number;
  moverFps: number;
  scrollFps: number;
  peakRssMiB: number;
  peakPssMiB: number;
  /** PSS by part in the session with the largest peak, MiB. */
  peakPssByPartMiB: Record<string, number>;
}

export interface InteractiveBenchResult {
  bench: 'interactive';
  method: string;
  samples: SessionSample[];
  rows: InteractiveRow[];
  ratios: Ratio[];
  /** Where a key tap's time goes, per client (through the relay, after the rounds). */
  breakdown: KeyBreakdown[];
  guard: GuardLine[];
  baseline?: string;
  failure?: string;
  table: string;
}

/** Xspice coordinates to Xvfb coordinates, from where the square was found. */
interface Mapping {
  scale: number;
  dx: number;
  dy: number;
}

const toScreen = (m: Mapping, x: number, y: number): { x: number; y: number } => ({ x: Math.round(m.dx + x * m.scale), y: Math.round(m.dy + y * m.scale) });

function clampBox(b: Box, width: number, height: number): Box {
  const x = Math.max(0, Math.min(b.x, width - 1));
  const y = Math.max(0, Math.min(b.y, height - 1));
  return { x, y, w: Math.max(1, Math.min(b.w, width - x)), h: Math.max(1, Math.min(b.h, height - y)) };
}

export interface BenchEnv {
  xspice: XspiceServer;
  programs: BuiltPrograms;
  probe: XProbe;
  screen: { width: number; height: number; display: string; xvfbPid: number };
  setup: ClientSetup;
}

async function xdotool(display: string, args: string[]): Promise<void> {
  const r = await runToCompletion(requireTool('xdotool', 'xdotool'), args, { env: { ...process.env, DISPLAY: display }, timeoutMs: 10_000 });
  if (r.code !== 0) throw new Error(`xdotool ${args.join(' ')} failed: ${r.stderr}`);
}

/** Presses at a steady pace: each `press` is started PACE_MS after the last one started, or at once when it took longer. */
async function paced(count: number, press: (i: number) => Promise<number | undefined>): Promise<(number | undefined)[]> {
  const out: (number | undefined)[] = [];
  let next = performance.now();
  for (let i = 0; i < count; i++) {
    const wait = next - performance.now();
    if (wait > 0) await sleep(wait);
    next = performance.now() + PACE_MS;
    out.push(await press(i));
  }
  return out;
}

async function locate(env: BenchEnv, client: RunningClient): Promise<{ mapping: Mapping; glyph: Box }> {
  let square = await env.probe.find(LAYOUT.square.a, 6);
  if (square.count === 0) square = await env.probe.find(LAYOUT.square.b, 6);
  const glyph = await env.probe.find(LAYOUT.glyph.bg, 6);
  if (square.count === 0 || glyph.count === 0) throw new Error(`${client.name}: the desktop's square or glyph xterm is not on the screen (square ${square.count} px, xterm ${glyph.count} px)`);
  const scale = square.w / LAYOUT.square.size;
  if (Math.abs(square.h / LAYOUT.square.size - scale) > 0.05) throw new Error(`${client.name}: the square is ${square.w}x${square.h} on the screen, not square`);
  return { mapping: { scale, dx: square.x - LAYOUT.square.x * scale, dy: square.y - LAYOUT.square.y * scale }, glyph };
}

export async function measureLive(env: BenchEnv, client: RunningClient, mapping: Mapping, liveMs = LIVE_MS, during?: { start(): void; stop(): void }): Promise<LiveSample> {
  const { xspice, programs } = env;
  const m = LAYOUT.mover;
  const s = LAYOUT.scroll;
  const started: GroupProcess[] = [];
  try {
    started.push(xspice.run(programs.targets, ['mover', String(m.x), String(m.y), String(m.w), String(m.h), m.bg, m.box, String(m.fps)]));
    started.push(
      xspice.run(
        'xterm',
        ['-geometry', `50x30+${s.x}+${s.y}`, '-fn', 'fixed', '-fg', 'black', '-bg', 'white', '+sb', '-bw', '0', '-T', 'spicedesk-scroll', '-e', 'sh', '-c', 'while :; do seq 1 1000000; done'],
        { LC_ALL: 'C' },
      ),
    );
    await waitForWindow(xspice, 'spicedesk-scroll');
    if (client.liveKey) await xdotool(env.screen.display, ['key', client.liveKey]);
    await sleep(LIVE_WARM_UP_MS);
    const problem = client.problem();
    if (problem) throw new Error(problem);
    const from = toScreen(mapping, m.x, m.y);
    const moverBox = clampBox({ ...from, w: Math.round(m.w * mapping.scale), h: Math.round(m.h * mapping.scale) }, env.screen.width, env.screen.height);
    const scrollFrom = toScreen(mapping, s.x, s.y);
    const scrollBox = clampBox({ ...scrollFrom, w: Math.round(s.w * mapping.scale), h: Math.round(s.h * mapping.scale) }, env.screen.width, env.screen.height);
    const roots = [...client.roots(), { pid: env.screen.xvfbPid, part: 'Xvfb' }];
    let peakRss = 0;
    let peakPss = 0;
    let peakPssByPart: Record<string, number> = {};
    const sampleMemory = (): void => {
      const mem = clientMemory(client);
      peakRss = Math.max(peakRss, mem.rssBytes);
      if (mem.pssBytes > peakPss) {
        peakPss = mem.pssBytes;
        peakPssByPart = mem.pssByPart;
      }
    };
    sampleMemory();
    const sampler = setInterval(sampleMemory, 1000);
    const before = cpuTicks(roots);
    let watched;
    during?.start();
    try {
      watched = await env.probe.watch(liveMs, [moverBox, scrollBox]);
    } finally {
      clearInterval(sampler);
      during?.stop();
    }
    const after = cpuTicks(roots);
    sampleMemory();
    const seconds = (watched.endUs - watched.startUs) / 1e6;
    const parts = cpuBetween(before, after);
    const xvfb = parts.Xvfb ?? 0;
    delete parts.Xvfb;
    const cpuByPart = Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, v / seconds]));
    return {
      seconds,
      cpuByPart,
      cpuPerSecond: Object.values(cpuByPart).reduce((a, b) => a + b, 0),
      xvfbCpuPerSecond: xvfb / seconds,
      moverFps: watched.changes[0]! / seconds,
      scrollFps: watched.changes[1]! / seconds,
      peakRssMiB: peakRss / 2 ** 20,
      peakPssMiB: peakPss / 2 ** 20,
      peakPssByPartMiB: Object.fromEntries(Object.entries(peakPssByPart).map(([part, bytes]) => [part, bytes / 2 ** 20])),
    };
  } finally {
    for (const p of started) await p.stop();
  }
}

/**
 * The keyboard goes to the client's window (X input focus: there is no window manager to give it),
 * and inside it to the desktop, by a click on bare background (harmless in Xspice).
 */
async function giveKeyboard(env: BenchEnv, name: string, mapping: Mapping): Promise<void> {
  const neutral = toScreen(mapping, LAYOUT.neutral.x, LAYOUT.neutral.y);
  if ((await env.probe.focus(neutral.x, neutral.y)) === 0) throw new Error(`${name}: no window at ${neutral.x},${neutral.y} of the screen`);
  await xdotool(env.screen.display, ['mousemove', String(neutral.x), String(neutral.y), 'click', '1']);
}

/** A client started, its first frame on the screen, the desktop located and the keyboard given to it. */
export interface OpenSession {
  client: RunningClient;
  firstFrameMs: number;
  mapping: Mapping;
  glyph: Box;
}

export async function openSession(env: BenchEnv, name: ClientName, start: () => Promise<RunningClient> = () => startClient(name, env.setup)): Promise<OpenSession> {
  const { probe } = env;
  const stray = await probe.find(LAYOUT.glyph.bg, 6);
  if (stray.count > 0) throw new Error(`the desktop's colours are on the screen before ${name} started (a client left over?)`);
  const t0 = monotonicUs();
  const client = await start();
  try {
    const first = await probe.waitFind(LAYOUT.glyph.bg, 6, 400, FIRST_FRAME_TIMEOUT_MS);
    if ('timedOutUs' in first) throw new Error(`${name} showed no desktop in ${FIRST_FRAME_TIMEOUT_MS} ms: ${client.problem() ?? 'still running'}`);
    const firstFrameMs = (first.atUs - t0) / 1000;
    // The first frame may come in pieces: the layout is read once the desktop stopped changing.
    await probe.quiet({ x: 0, y: 0, w: env.screen.width, h: env.screen.height }, 500, 15_000);
    const { mapping, glyph } = await locate(env, client);
    await giveKeyboard(env, name, mapping);
    if (!(await probe.quiet(glyph, 300, 10_000))) throw new Error(`${name}: the glyph xterm kept changing before the first key`);
    return { client, firstFrameMs, mapping, glyph };
  } catch (e) {
    await closeSession(env, client);
    throw e;
  }
}

export async function closeSession(env: BenchEnv, client: RunningClient): Promise<void> {
  await client.stop();
  // Xspice takes one client at a time: the next one starts once this one's connections are gone.
  await waitUntil('the client to let go of Xspice', () => tcpConnectionsOn(env.xspice.port) === 0, 15_000).catch(() => undefined);
}

/** Runs `body` on an open session; on a failure the screen is kept as a PPM for the report. */
async function withSession<T>(env: BenchEnv, name: ClientName, body: (s: OpenSession) => Promise<T>): Promise<T> {
  let session: OpenSession | undefined;
  try {
    session = await openSession(env, name);
    return await body(session);
  } catch (e) {
    const shot = join(env.setup.root, 'bench', 'results', `interactive-failure-${name}.ppm`);
    await env.probe.dump(shot).catch(() => undefined);
    throw new Error(`${(e as Error).message} (the screen then: ${shot})`, { cause: e });
  } finally {
    if (session) await closeSession(env, session.client);
  }
}

let glyphCounter = 0;
const tapKey = (env: BenchEnv, glyph: Box, holdMs = 0) => async (): Promise<Reaction> => env.probe.key(glyphCounter++ % 2 ? 'o' : 'x', holdMs, glyph, REACTION_TIMEOUT_MS);

/** Warm-up rounds before a session is given up: a client may show the desktop before its keyboard is linked. */
const WARM_UP_ATTEMPTS = 3;

async function warmUpKeys(env: BenchEnv, s: OpenSession): Promise<void> {
  for (let attempt = 1; attempt <= WARM_UP_ATTEMPTS; attempt++) {
    const warm = await paced(WARM_UP_PRESSES, async () => reactionMs(await tapKey(env, s.glyph)()));
    if (warm.some((v) => v !== undefined)) return;
    // spice-html5 once took no key in a whole session (2026-12-07), its desktop on the screen:
    // the keyboard is given again, as openSession gave it, before another try.
    await giveKeyboard(env, s.client.name, s.mapping);
    await sleep(1000);
  }
  throw new Error(`${s.client.name}: no key press reached the screen in ${WARM_UP_ATTEMPTS} rounds of ${WARM_UP_PRESSES} (${s.client.problem() ?? 'the client runs'})`);
}

async function measureSession(env: BenchEnv, name: ClientName, round: number): Promise<SessionSample> {
  return withSession(env, name, async (session) => {
    const { client, firstFrameMs, mapping, glyph } = session;
    await warmUpKeys(env, session);
    const keyMs = await paced(KEYS, async () => reactionMs(await tapKey(env, glyph)()));
    const heldKeyMs = await paced(HELD_KEYS, async () => reactionMs(await tapKey(env, glyph, HELD_KEY_MS)()));

    const sq = LAYOUT.square;
    const centre = toScreen(mapping, sq.x + sq.size / 2, sq.y + sq.size / 2);
    const half = Math.max(2, Math.round(8 * mapping.scale));
    const watched = clampBox({ x: centre.x - half, y: centre.y - half, w: 2 * half, h: 2 * half }, env.screen.width, env.screen.height);
    const click = async (): Promise<number | undefined> => reactionMs(await env.probe.click(centre.x, centre.y, watched, REACTION_TIMEOUT_MS));
    const warmClicks = await paced(WARM_UP_PRESSES, click);
    if (warmClicks.every((v) => v === undefined)) throw new Error(`${name}: no click reached the screen (${client.problem() ?? 'the client runs'})`);
    const clickMs = await paced(CLICKS, click);

    const live = await measureLive(env, client, mapping);
    const problem = client.problem();
    if (problem) throw new Error(problem);
    return { client: name, round, firstFrameMs, scale: mapping.scale, keyMs, heldKeyMs, clickMs, live };
  });
}

/** Where a key tap's time goes, medians in ms (see measureBreakdown). */
export interface KeyBreakdown {
  client: ClientName;
  taps: number;
  /** XTEST press to the key's message on the SPICE inputs channel. */
  inputMs: number;
  /** That message to the server's first display message after it. */
  serverMs: number;
  /** That display message to the glyph on the screen. */
  displayMs: number;
  totalMs: number;
}

/**
 * The same key taps with the SPICE relay (test/peers/spice-relay.ts) between the client and
 * Xspice, in this process, so that its timestamps are on x-probe's clock: each tap cut into the
 * client's input path, the server, and the client's display path. A separate session from the
 * measured ones: the relay's own hop (a fraction of a millisecond each way) is in it.
 */
export async function measureBreakdown(env: BenchEnv, name: ClientName): Promise<KeyBreakdown> {
  const keyDowns: number[] = [];
  const displayMessages: number[] = [];
  const relay = await startSpiceRelay(
    { port: env.xspice.port },
    {
      fromClient(channel, m) {
        if (channel.type === INPUTS_CHANNEL && (m.type === KEY_DOWN || m.type === KEY_SCANCODE)) keyDowns.push(monotonicUs());
        return undefined;
      },
      fromServer(channel) {
        if (channel.type === DISPLAY_CHANNEL) displayMessages.push(monotonicUs());
        return undefined;
      },
    },
  );
  try {
    const viaRelay: BenchEnv = { ...env, setup: { ...env.setup, spicePort: relay.port } };
    const legs = await withSession(viaRelay, name, async (session) => {
      await warmUpKeys(viaRelay, session);
      const out: { input: number; server: number; display: number }[] = [];
      await paced(BREAKDOWN_TAPS, async () => {
        const r = await tapKey(viaRelay, session.glyph)();
        if ('timedOut' in r) return undefined;
        const key = keyDowns.find((t) => t >= r.pressedUs && t <= r.changedUs);
        const draw = key === undefined ? undefined : displayMessages.find((t) => t >= key && t <= r.changedUs);
        if (key !== undefined && draw !== undefined) out.push({ input: (key - r.pressedUs) / 1000, server: (draw - key) / 1000, display: (r.changedUs - draw) / 1000 });
        return undefined;
      });
      return out;
    });
    const med = (f: (l: (typeof legs)[number]) => number): number => median(legs.map(f));
    // The tails of the parts, in the log: a change can move a tail without moving a median.
    const p90 = (f: (l: (typeof legs)[number]) => number): string => (legs.map(f).sort((a, b) => a - b)[Math.max(0, Math.ceil(legs.length * 0.9) - 1)] ?? NaN).toFixed(2);
    console.log(`  ${name} through the relay, p90 ms: in ${p90((l) => l.input)}, server ${p90((l) => l.server)}, out ${p90((l) => l.display)}, total ${p90((l) => l.input + l.server + l.display)}`);
    return { client: name, taps: legs.length, inputMs: med((l) => l.input), serverMs: med((l) => l.server), displayMs: med((l) => l.display), totalMs: med((l) => l.input + l.server + l.display) };
  } finally {
    await relay.close();
  }
}

function summarise(samples: readonly SessionSample[]): InteractiveRow[] {
  // In the order they first ran (the first round runs them in CLIENTS order).
  return [...new Set(samples.map((s) => s.client))].map((client) => {
    const mine = samples.filter((s) => s.client === client);
    const live = (f: (l: LiveSample) => number): number => median(mine.map((s) => f(s.live)));
    const parts = [...new Set(mine.flatMap((s) => Object.keys(s.live.cpuByPart)))];
    return {
      client,
      rounds: mine.length,
      firstFrameMs: median(mine.map((s) => s.firstFrameMs)),
      key: summariseLatencies(mine.flatMap((s) => s.keyMs)),
      heldKey: summariseLatencies(mine.flatMap((s) => s.heldKeyMs)),
      click: summariseLatencies(mine.flatMap((s) => s.clickMs)),
      cpuPerSecond: live((l) => l.cpuPerSecond),
      cpuByPart: Object.fromEntries(parts.map((p) => [p, live((l) => l.cpuByPart[p] ?? 0)])),
      xvfbCpuPerSecond: live((l) => l.xvfbCpuPerSecond),
      moverFps: live((l) => l.moverFps),
      scrollFps: live((l) => l.scrollFps),
      peakRssMiB: Math.max(...mine.map((s) => s.live.peakRssMiB)),
      peakPssMiB: Math.max(...mine.map((s) => s.live.peakPssMiB)),
      peakPssByPartMiB: mine.reduce((a, b) => (b.live.peakPssMiB > a.live.peakPssMiB ? b : a)).live.peakPssByPartMiB,
    };
  });
}

/** The ratios of the chromium-floor client (not spicedesk's: never recorded as the guard's baseline). */
export const FLOOR_PREFIX = 'chromium-floor: ';

/** The figures compared, each oriented so that below 1 means spicedesk is better. */
const COMPARED: { name: string; of: (r: InteractiveRow) => number; higherIsBetter?: boolean }[] = [
  { name: 'key median', of: (r) => r.key.medianMs },
  { name: 'key p99', of: (r) => r.key.p99Ms },
  { name: 'held key median', of: (r) => r.heldKey.medianMs },
  { name: 'click median', of: (r) => r.click.medianMs },
  { name: 'click p99', of: (r) => r.click.p99Ms },
  { name: 'first frame', of: (r) => r.firstFrameMs },
  { name: 'live CPU', of: (r) => r.cpuPerSecond },
  { name: 'live moving-box fps', of: (r) => r.moverFps, higherIsBetter: true },
  { name: 'peak PSS', of: (r) => r.peakPssMiB },
];

export function interactiveRatios(samples: readonly SessionSample[]): Ratio[] {
  const all = summarise(samples);
  const rounds = [...new Set(samples.map((s) => s.round))].sort((a, b) => a - b);
  const byRound = rounds.map((round) => summarise(samples.filter((s) => s.round === round)));
  const ratios: Ratio[] = [];
  const compare = (subject: ClientName, peer: ClientName, prefix: string): void => {
    for (const c of COMPARED) {
      const ratio = (rows: InteractiveRow[]): number => {
        const mine = rows.find((r) => r.client === subject);
        const theirs = rows.find((r) => r.client === peer);
        if (!mine || !theirs) return NaN;
        return c.higherIsBetter ? c.of(theirs) / c.of(mine) : c.of(mine) / c.of(theirs);
      };
      const value = ratio(all);
      if (Number.isFinite(value)) ratios.push(ratioOf(`${prefix}${c.name} / ${peer}`, value, byRound.map(ratio)));
    }
  };
  for (const peer of ['remote-viewer', 'spice-html5', 'spicedesk-variant'] as const) compare('spicedesk', peer, '');
  // Chromium's own floor against remote-viewer: above 1, no page in Chromium reaches remote-viewer there.
  compare('chromium-floor', 'remote-viewer', FLOOR_PREFIX);
  return ratios;
}

const fixed = (n: number, digits: number): string => (Number.isFinite(n) ? n.toFixed(digits) : '-');

function renderTable(rows: readonly InteractiveRow[], ratios: readonly Ratio[], lines: readonly GuardLine[], baselineNote: string, breakdown: readonly KeyBreakdown[]): string {
  const latency = (name: string, pick: (r: InteractiveRow) => LatencySummary): string =>
    formatTable(
      ['client', `${name} presses`, 'missed', 'median ms', 'p95 ms', 'p99 ms', 'max ms'],
      rows.map((r) => {
        const l = pick(r);
        return [r.client, String(l.count), String(l.missed), fixed(l.medianMs, 1), fixed(l.p95Ms, 1), fixed(l.p99Ms, 1), fixed(l.maxMs, 1)];
      }),
    );
  const live = formatTable(
    ['client', 'rounds', 'first frame ms', 'CPU s/s', 'Xvfb CPU s/s', 'box fps', 'scroll fps', 'peak RSS MiB', 'peak PSS MiB', 'CPU by part', 'PSS MiB by part'],
    rows.map((r) => [
      r.client,
      String(r.rounds),
      fixed(r.firstFrameMs, 0),
      fixed(r.cpuPerSecond, 3),
      fixed(r.xvfbCpuPerSecond, 3),
      fixed(r.moverFps, 1),
      fixed(r.scrollFps, 1),
      fixed(r.peakRssMiB, 0),
      fixed(r.peakPssMiB, 0),
      Object.entries(r.cpuByPart)
        .map(([part, cpu]) => `${part} ${fixed(cpu, 3)}`)
        .join(', '),
      Object.entries(r.peakPssByPartMiB)
        .map(([part, mib]) => `${part} ${fixed(mib, 0)}`)
        .join(', '),
    ]),
  );
  const verdicts = formatTable(
    ['spicedesk / peer (below 1: spicedesk better; chromium-floor: Chromium alone / peer)', 'ratio', 'per round', 'noise', 'recorded', 'verdict'],
    ratios.map((r) => {
      const g = lines.find((l) => l.name === r.name);
      return [r.name, fixed(r.value, 2), r.perRound.map((v) => fixed(v, 2)).join(' '), `${fixed(100 * (g?.noise ?? r.noise), 0)}%`, g?.baseline === undefined ? '-' : fixed(g.baseline, 2), g?.verdict ?? '-'];
    }),
  );
  return [
    'key to glyph, taps (XTEST press and release at once, as `xdotool key`, to the glyph cell changing on the Xvfb)',
    latency('key', (r) => r.key),
    '',
    `key to glyph, held keys (released after ${HELD_KEY_MS} ms or when the glyph shows, whichever first)`,
    latency('held key', (r) => r.heldKey),
    '',
    'click to pixel (XTEST button press to the square changing colour on the Xvfb)',
    latency('click', (r) => r.click),
    '',
    `first frame and a live session (${LIVE_MS / 1000} s of a scrolling xterm and a box moving at ${LAYOUT.mover.fps} fps; medians over rounds, peak memory the largest)`,
    live,
    '',
    verdicts,
    baselineNote,
    '',
    `where a key tap's time goes (medians of ${BREAKDOWN_TAPS} taps, one more session per client with the SPICE relay in between: its hop is in these)`,
    formatTable(
      ['client', 'taps', 'press to inputs msg ms', 'server: to display msg ms', 'display msg to screen ms', 'total ms'],
      breakdown.map((b) => [b.client, String(b.taps), fixed(b.inputMs, 2), fixed(b.serverMs, 2), fixed(b.displayMs, 2), fixed(b.totalMs, 2)]),
    ),
  ].join('\n');
}

function readBaseline(root: string): { ratios: Record<string, number>; note: string } {
  const file = join(root, BASELINE_FILE);
  if (!existsSync(file)) return { ratios: {}, note: `(no ${BASELINE_FILE}: every ratio is new; --record writes one)` };
  const b = parseBaseline(readFileSync(file, 'utf8'));
  return { ratios: b.ratios, note: `(recorded ratios: ${BASELINE_FILE}, ${b.date}, ${b.machine})` };
}

/**
 * The bench's Xvfb with x-probe on it, and the Xspice desktop of LAYOUT (the glyph xterm holding
 * the keyboard, the square): what every session of this bench and of the first-frame split runs on.
 */
export async function startBenchDesktop(root: string): Promise<{ env: BenchEnv; stop(): Promise<void> }> {
  const programs = await buildPrograms(join(root, 'test/bench/interactive'));
  const xvfb = await startXvfb();
  let html5Server: Server | undefined;
  // spice-html5 has no GLZ decoder: LZ (QUIC for photos) for every client alike, as in the gateway bench.
  const xspice = await startXspice({ imageCompression: 'auto_lz', jpegWan: 'never' });
  let probe: XProbe | undefined;
  const stop = async (): Promise<void> => {
    probe?.close();
    html5Server?.close();
    await xspice.stop();
    await xvfb.process.stop();
  };
  try {
    // A key held past the autorepeat delay would type more than one glyph.
    await runToCompletion('xset', ['r', 'off'], { env: { ...process.env, DISPLAY: xvfb.display } });
    const started = await XProbe.start(programs.probe, xvfb.display);
    probe = started.probe;
    await solidBackground(xspice, LAYOUT.background);
    const g = LAYOUT.glyph;
    xspice.run(
      'xterm',
      ['-geometry', `4x1+${g.x}+${g.y}`, '-fn', '10x20', '-fg', 'black', '-bg', `#${g.bg}`, '+sb', '-bw', '0', '-b', '4', '-T', 'spicedesk-glyph', '-xrm', 'XTerm*cursorBlink: false', '-e', programs.glyphEcho],
      { LC_ALL: 'C' },
    );
    await waitForWindow(xspice, 'spicedesk-glyph');
    // Xspice has no window manager either: its keyboard focus would follow its pointer, which the
    // clicks move; the glyph xterm keeps it instead.
    await xspice.exec('xdotool', ['search', '--name', '^spicedesk-glyph$', 'windowfocus']);
    const sq = LAYOUT.square;
    xspice.run(programs.targets, ['square', String(sq.x), String(sq.y), String(sq.size), sq.a, sq.b]);
    await waitForWindow(xspice, 'spicedesk-click-square');
    const html5 = await serveStaticFolder(SPICE_HTML5_DIR);
    html5Server = html5.server;
    const env: BenchEnv = {
      xspice,
      programs,
      probe,
      screen: { width: started.width, height: started.height, display: xvfb.display, xvfbPid: xvfb.process.pid },
      setup: { root, display: xvfb.display, spicePort: xspice.port, html5Origin: html5.origin, workDir: newWorkDir() },
    };
    return { env, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/**
 * The build removes the bundles' code caches (bin/load-cached.cjs); the first `spicedesk open`
 * after it compiles every bundle and writes the caches as it exits. One unmeasured session before
 * the measured ones, so that every measured start is the one a user has after the first: the
 * failure, or undefined. (Not in the interactive bench's rounds: with it before them, its
 * chromium-floor client ran at 16 ms a key tap and 0.67 CPU s/s in two runs of two, against 3.9 ms
 * and 0.18-0.19 in two runs without it; not explained yet. There, the first round's spicedesk
 * start after a build is a cold one.)
 */
export async function warmCodeCaches(env: BenchEnv): Promise<string | undefined> {
  try {
    await closeSession(env, (await openSession(env, 'spicedesk')).client);
    return undefined;
  } catch (e) {
    return `spicedesk, the session that makes its code caches: ${(e as Error).message}`;
  }
}

export async function runInteractiveBench(options: { runs: number; root: string; record?: boolean }): Promise<InteractiveBenchResult> {
  for (const [tool, pkg] of [['xterm', 'xterm'], ['xdotool', 'xdotool'], ['gcc', 'gcc'], ['websockify', 'websockify'], ['remote-viewer', 'virt-viewer'], ['xset', 'x11-xserver-utils']] as const) requireTool(tool, pkg);
  requireFile(join(SPICE_HTML5_DIR, 'spice_auto.html'), 'spice-html5', "spice-html5's page");
  const rounds = Math.min(options.runs, MAX_ROUNDS);
  const samples: SessionSample[] = [];
  const breakdown: KeyBreakdown[] = [];
  let failure: string | undefined;
  const desktop = await startBenchDesktop(options.root);
  const { env } = desktop;
  try {
    outer: for (let round = 0; round < rounds; round++) {
      // Alternate who goes first, so that a drift in machine load does not favour one client.
      for (const client of round % 2 === 0 ? CLIENTS : [...CLIENTS].reverse()) {
        try {
          const sample = await measureSession(env, client, round);
          samples.push(sample);
          console.log(`  round ${round + 1} ${client}: first frame ${fixed(sample.firstFrameMs, 0)} ms, key median ${fixed(summariseLatencies(sample.keyMs).medianMs, 1)} ms, click median ${fixed(summariseLatencies(sample.clickMs).medianMs, 1)} ms, CPU ${fixed(sample.live.cpuPerSecond, 3)} s/s, box ${fixed(sample.live.moverFps, 1)} fps`);
        } catch (e) {
          failure = `${client}, round ${round + 1}: ${(e as Error).message}`;
          break outer;
        }
      }
    }
    for (const client of failure ? [] : CLIENTS.filter(isSpiceClient)) {
      try {
        breakdown.push(await measureBreakdown(env, client));
      } catch (e) {
        failure = `${client}, the breakdown through the relay: ${(e as Error).message}`;
        break;
      }
    }
  } finally {
    await desktop.stop();
  }

  const rows = summarise(samples);
  const ratios = interactiveRatios(samples);
  const baseline = readBaseline(options.root);
  const lines = guard(ratios, baseline.ratios);
  if (options.record && !failure) {
    const machine = `${process.env.BENCH_MACHINE ?? 'this machine'}, ${cpus().length} cores, Node ${process.version}`;
    writeFileSync(join(options.root, BASELINE_FILE), `${JSON.stringify({ date: new Date().toISOString(), machine, ratios: Object.fromEntries(ratios.filter((r) => !r.name.endsWith('spicedesk-variant') && !r.name.startsWith(FLOOR_PREFIX)).map((r) => [r.name, Number(r.value.toFixed(4))])) }, null, 2)}\n`);
  }
  const regressed = lines.filter((l) => l.verdict === 'regressed');
  const variantNote = VARIANT_DESCRIPTION ? `\n(spicedesk-variant: spicedesk's page with ${VARIANT_DESCRIPTION}, from BENCH_SPICEDESK_VARIANT, BENCH_SPICEDESK_VARIANT_SWITCHES and BENCH_SPICEDESK_VARIANT_CLI; not recorded)` : '';
  const table = renderTable(rows, ratios, lines, baseline.note + variantNote, breakdown) + (regressed.length ? `\nregressed: ${regressed.map((l) => l.name).join(', ')}` : '');
  return {
    bench: 'interactive',
    method: `Xspice 1024x768 (auto_lz), clients as windows on one Xvfb, ${KEYS} key taps, ${HELD_KEYS} keys held ${HELD_KEY_MS} ms and ${CLICKS} clicks, one every ${PACE_MS} ms through XTEST, the screen read by x-probe${VARIANT_DESCRIPTION ? `; spicedesk-variant: ${VARIANT_DESCRIPTION}` : ''}`,
    samples,
    rows,
    ratios,
    breakdown,
    guard: lines,
    baseline: baseline.note,
    failure,
    table,
  };
}
