// Headless capture: `spicedesk capture` against spice-gtk's `spicy-screenshot`, both taking the
// first frame of the same Xspice desktop (1024x768, an xterm with text, --image-compression off;
// or, for capture-photo, 1920x1080 with each kind of photo-like content in test/peers/photo-content.ts
// in turn, a fresh Xspice per kind). Each run is a fresh process: connect, link, receive the primary
// surface, write a file, exit. The two alternate (A B A B ...) so that drift in machine load hits
// both the same way.
//
// spicedesk also runs a second time per round without NODE_EXTRA_CA_CERTS: when that variable is
// set (this sandbox sets it to the whole system CA bundle), Node parses the file before running any
// code, which costs about 35 ms on every start. Users rarely have it set; both rows are reported.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { showXterm, solidBackground, waitForStableScreen } from '../peers/desktop.ts';
import { PHOTO_KINDS, PHOTO_KIND_TEXT, showPhotoDesktop, type PhotoKind } from '../peers/photo-content.ts';
import type { RgbaImage } from '../peers/image.ts';
import { comparePixels, readPng } from '../peers/png.ts';
import { requireTool } from '../peers/require-tool.ts';
import { parsePpm, spicyScreenshotArgs } from '../peers/spicy.ts';
import { startXspice } from '../peers/xspice.ts';
import { formatTable, measure, median } from './measure.ts';
import type { Measurement } from './measure.ts';

export interface CaptureBenchOptions {
  runs: number;
  /** The checkout, for bin/spicedesk.cjs. */
  root: string;
  /**
   * text: 1024x768, an xterm, image compression off (the foundation issue's bench).
   * photo: 1920x1080, each kind of photo-like content (`kinds`, default all) full-screen with an
   * xterm, the server's default image compression (auto_glz: QUIC for the pictures), which both
   * clients leave as it is.
   */
  scenario?: 'text' | 'photo';
  kinds?: readonly PhotoKind[];
  /** Another built checkout whose `capture` runs in the same rounds (without NODE_EXTRA_CA_CERTS), for a before/after (BENCH_CAPTURE_BASELINE=DIR). */
  baselineRoot?: string;
}

export interface ClientSummary {
  name: string;
  runs: number;
  failures: number;
  medianWallMs: number;
  medianCpuMs: number;
  minWallMs: number;
  maxWallMs: number;
}

/** One desktop's measurements: both clients, the ratios, and whether their pictures agree. */
export interface CaptureOfScreen {
  screen: string;
  spicedesk: ClientSummary;
  /** The same, with NODE_EXTRA_CA_CERTS removed from its environment. */
  spicedeskCleanEnv: ClientSummary;
  spicy: ClientSummary;
  /** The baseline build (BENCH_CAPTURE_BASELINE), without NODE_EXTRA_CA_CERTS, when given. */
  baseline?: ClientSummary;
  /** spicedesk / spicy; NaN when spicedesk produced no measurement. */
  wallRatio: number;
  cpuRatio: number;
  /** spicedesk without NODE_EXTRA_CA_CERTS / spicy. */
  cleanEnvWallRatio: number;
  cleanEnvCpuRatio: number;
  /** Whether the last spicedesk PNG had the same pixels as the last spicy-screenshot PPM. */
  pixelsMatch: boolean | 'not compared';
  /** The first failure of `spicedesk capture`, if any; the bench fails when set. */
  spicedeskError?: string;
}

export interface CaptureBenchResult extends CaptureOfScreen {
  bench: 'capture';
  /** capture-photo: one entry per kind of content (the fields above are the first kind's). */
  kinds?: (CaptureOfScreen & { kind: PhotoKind })[];
  table: string;
}

function summarise(name: string, measurements: readonly Measurement[]): ClientSummary {
  const ok = measurements.filter((m) => m.exitCode === 0);
  const walls = ok.map((m) => m.wallMs);
  return {
    name,
    runs: measurements.length,
    failures: measurements.length - ok.length,
    medianWallMs: median(walls),
    medianCpuMs: median(ok.map((m) => m.cpuMs)),
    minWallMs: walls.length ? Math.min(...walls) : NaN,
    maxWallMs: walls.length ? Math.max(...walls) : NaN,
  };
}

const show = (ms: number): string => (Number.isFinite(ms) ? ms.toFixed(0) : '-');
const showRatio = (r: number): string => (Number.isFinite(r) ? r.toFixed(2) : '-');

/** Both clients, alternating, on the desktop Xspice shows now; `compression` is spicedesk's option. */
async function captureScreen(options: CaptureBenchOptions, port: number, screen: string, compression: readonly string[]): Promise<CaptureOfScreen> {
  const spicyBinary = requireTool('spicy-screenshot', 'spice-client-gtk');
  const cli = resolve(options.root, 'bin/spicedesk.cjs');
  const work = mkdtempSync(join(tmpdir(), 'spicedesk-bench-'));
  try {
    const pngPath = join(work, 'spicedesk.png');
    const ppmPath = join(work, 'spicy.ppm');
    const target = `spice://127.0.0.1:${port}`;
    const spicedeskRun = (): Promise<Measurement> =>
      measure(process.execPath, [cli, 'capture', target, '-o', pngPath, '--timeout', '20', ...compression], { timeoutMs: 30_000 });
    const cleanEnv = { ...process.env };
    delete cleanEnv.NODE_EXTRA_CA_CERTS;
    const spicedeskCleanRun = (): Promise<Measurement> =>
      measure(process.execPath, [cli, 'capture', target, '-o', pngPath, '--timeout', '20', ...compression], { timeoutMs: 30_000, env: cleanEnv });
    const spicyRun = (): Promise<Measurement> => measure(spicyBinary, spicyScreenshotArgs(port, ppmPath), { timeoutMs: 30_000 });
    const baselineCli = options.baselineRoot ? resolve(options.baselineRoot, 'bin/spicedesk.cjs') : null;
    const baselineRun = (): Promise<Measurement> =>
      measure(process.execPath, [baselineCli!, 'capture', target, '-o', join(work, 'baseline.png'), '--timeout', '20', ...compression], { timeoutMs: 30_000, env: cleanEnv });
    const baselineTimes: Measurement[] = [];

    const spicedeskTimes: Measurement[] = [];
    const spicedeskCleanTimes: Measurement[] = [];
    const spicyTimes: Measurement[] = [];
    let spicedeskError: string | undefined;

    // One unmeasured run each warms the page cache (node, the bundle, the GTK libraries).
    const warmSpicedesk = await spicedeskRun();
    if (warmSpicedesk.exitCode !== 0) spicedeskError = `exit ${warmSpicedesk.exitCode}: ${warmSpicedesk.stderr.trim()}`;
    await spicyRun();
    if (baselineCli) await baselineRun();

    for (let i = 0; i < options.runs; i++) {
      if (!spicedeskError) {
        const m = await spicedeskRun();
        spicedeskTimes.push(m);
        if (m.exitCode !== 0) spicedeskError = `exit ${m.exitCode}: ${m.stderr.trim()}`;
        else if (!existsSync(pngPath)) spicedeskError = `exit 0 but ${pngPath} was not written`;
        spicedeskCleanTimes.push(await spicedeskCleanRun());
      }
      if (baselineCli) baselineTimes.push(await baselineRun());
      const s = await spicyRun();
      if (s.exitCode !== 0) throw new Error(`spicy-screenshot failed (exit ${s.exitCode}): ${s.stderr.trim()}`);
      spicyTimes.push(s);
    }

    let pixelsMatch: boolean | 'not compared' = 'not compared';
    if (!spicedeskError && existsSync(pngPath)) {
      const ours: RgbaImage = readPng(pngPath);
      const theirs = parsePpm(readFileSync(ppmPath));
      pixelsMatch = comparePixels(ours, theirs, { ignoreAlpha: true }).equal;
    }

    const spicedesk = summarise('spicedesk capture', spicedeskTimes);
    const spicedeskCleanEnv = summarise('spicedesk, no NODE_EXTRA_CA_CERTS', spicedeskCleanTimes);
    const spicy = summarise('spicy-screenshot', spicyTimes);
    return {
      screen,
      spicedesk,
      spicedeskCleanEnv,
      spicy,
      ...(baselineCli ? { baseline: summarise('baseline, no NODE_EXTRA_CA_CERTS', baselineTimes) } : {}),
      wallRatio: spicedesk.medianWallMs / spicy.medianWallMs,
      cpuRatio: spicedesk.medianCpuMs / spicy.medianCpuMs,
      cleanEnvWallRatio: spicedeskCleanEnv.medianWallMs / spicy.medianWallMs,
      cleanEnvCpuRatio: spicedeskCleanEnv.medianCpuMs / spicy.medianCpuMs,
      pixelsMatch,
      spicedeskError,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function screenTable(c: CaptureOfScreen): string {
  return (
    formatTable(
      ['client', 'runs', 'median wall ms', 'median CPU ms', 'min wall', 'max wall'],
      [c.spicedesk, c.spicedeskCleanEnv, c.spicy, ...(c.baseline ? [c.baseline] : [])].map((x) => [x.name, `${x.runs - x.failures}/${x.runs}`, show(x.medianWallMs), show(x.medianCpuMs), show(x.minWallMs), show(x.maxWallMs)]),
    ) +
    `\nratio spicedesk/spicy: wall ${showRatio(c.wallRatio)}, CPU ${showRatio(c.cpuRatio)}` +
    `\nratio spicedesk without NODE_EXTRA_CA_CERTS/spicy: wall ${showRatio(c.cleanEnvWallRatio)}, CPU ${showRatio(c.cleanEnvCpuRatio)}` +
    `\npixels match: ${String(c.pixelsMatch)}`
  );
}

/** capture-photo's summary: one row per kind, both clients' medians and the ratios. */
function kindsTable(kinds: readonly (CaptureOfScreen & { kind: PhotoKind })[]): string {
  return formatTable(
    ['content', 'spicedesk wall / CPU ms', 'no NODE_EXTRA_CA_CERTS wall / CPU ms', 'spicy wall / CPU ms', 'wall ratio', 'CPU ratio', 'wall ratio, no CA file', 'pixels match', 'baseline wall / CPU ms', 'baseline/spicy wall'],
    kinds.map((k) => [
      k.kind,
      `${show(k.spicedesk.medianWallMs)} / ${show(k.spicedesk.medianCpuMs)}`,
      `${show(k.spicedeskCleanEnv.medianWallMs)} / ${show(k.spicedeskCleanEnv.medianCpuMs)}`,
      `${show(k.spicy.medianWallMs)} / ${show(k.spicy.medianCpuMs)}`,
      showRatio(k.wallRatio),
      showRatio(k.cpuRatio),
      showRatio(k.cleanEnvWallRatio),
      String(k.pixelsMatch),
      k.baseline ? `${show(k.baseline.medianWallMs)} / ${show(k.baseline.medianCpuMs)}` : '-',
      k.baseline ? showRatio(k.baseline.medianWallMs / k.spicy.medianWallMs) : '-',
    ]),
  );
}

export async function runCaptureBench(options: CaptureBenchOptions): Promise<CaptureBenchResult> {
  requireTool('spicy-screenshot', 'spice-client-gtk');
  requireTool('bash', 'bash');
  const cli = resolve(options.root, 'bin/spicedesk.cjs');
  if (!existsSync(cli)) throw new Error(`${cli} is missing; run the bench from the checkout (npm run bench)`);

  if (options.scenario !== 'photo') {
    const xspice = await startXspice({ imageCompression: 'off', jpegWan: 'never' });
    try {
      await solidBackground(xspice, '#336699');
      await showXterm(xspice);
      const reference = await waitForStableScreen(xspice.port);
      // The text bench keeps spicedesk's default (uncompressed, as the server is set).
      const c = await captureScreen(options, xspice.port, `${reference.width}x${reference.height} Xspice, xterm with text, image compression off`, []);
      return { bench: 'capture', ...c, table: screenTable(c) };
    } finally {
      await xspice.stop();
    }
  }

  const kinds: (CaptureOfScreen & { kind: PhotoKind })[] = [];
  for (const kind of options.kinds ?? PHOTO_KINDS) {
    const xspice = await startXspice({ imageCompression: 'auto_glz', jpegWan: 'never' });
    try {
      const reference = await showPhotoDesktop(xspice, kind);
      const screen = `${reference.width}x${reference.height} Xspice, ${PHOTO_KIND_TEXT[kind]}${kind === 'mixed' ? '' : ', and an xterm'}, image compression auto_glz (the server's default)`;
      // spicedesk leaves the server's choice, as spicy-screenshot does.
      const c = await captureScreen(options, xspice.port, screen, ['--compression', 'server']);
      kinds.push({ kind, ...c });
      console.log(`capture-photo ${kind}: wall ratio ${showRatio(c.wallRatio)} (no CA file ${showRatio(c.cleanEnvWallRatio)}), CPU ratio ${showRatio(c.cpuRatio)}, pixels match ${String(c.pixelsMatch)}`);
    } finally {
      await xspice.stop();
    }
  }
  const first = kinds[0];
  const failed = kinds.find((k) => k.spicedeskError);
  return {
    bench: 'capture',
    ...first,
    spicedeskError: failed && `${failed.kind}: ${failed.spicedeskError}`,
    kinds,
    table: kindsTable(kinds) + '\n' + kinds.map((k) => `${k.kind}: ${k.screen}`).join('\n'),
  };
}
