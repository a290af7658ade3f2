// Headless capture: `spicedesk capture` against spice-gtk's `spicy-screenshot`, both taking the
// first frame of the same Xspice desktop (1024x768, an xterm with text, --image-compression off).
// Each run is a fresh process: connect, link, receive the primary surface, write a file, exit.
// The two alternate (A B A B ...) so that drift in machine load hits both the same way.
//
// spicedesk also runs a second time per round without NODE_EXTRA_CA_CERTS: when that variable is
// set (this sandbox sets it to the whole system CA bundle), Node parses the file before running any
// code, which costs about 35 ms on every start. Users rarely have it set; both rows are reported.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { photoLikeImage, showImage, showXterm, solidBackground, waitForStableScreen } from '../peers/desktop.ts';
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
   * photo: 1920x1080, a full-screen photo-like image and an xterm, the server's default image
   * compression (auto_glz: QUIC for the photo), which both clients leave as it is.
   */
  scenario?: 'text' | 'photo';
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

export interface CaptureBenchResult {
  bench: 'capture';
  screen: string;
  spicedesk: ClientSummary;
  /** The same, with NODE_EXTRA_CA_CERTS removed from its environment. */
  spicedeskCleanEnv: ClientSummary;
  spicy: ClientSummary;
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

export async function runCaptureBench(options: CaptureBenchOptions): Promise<CaptureBenchResult> {
  const spicyBinary = requireTool('spicy-screenshot', 'spice-client-gtk');
  requireTool('bash', 'bash');
  const cli = resolve(options.root, 'bin/spicedesk.cjs');
  if (!existsSync(cli)) throw new Error(`${cli} is missing; run the bench from the checkout (npm run bench)`);

  const photo = options.scenario === 'photo';
  const xspice = await startXspice({ imageCompression: photo ? 'auto_glz' : 'off', jpegWan: 'never' });
  const work = mkdtempSync(join(tmpdir(), 'spicedesk-bench-'));
  try {
    await solidBackground(xspice, '#336699');
    if (photo) {
      await xspice.exec('xrandr', ['-s', '1920x1080']);
      await showImage(xspice, photoLikeImage(1920, 1080, 5), { x: 0, y: 0 });
    }
    await showXterm(xspice);
    const reference = await waitForStableScreen(xspice.port);
    const screen = photo
      ? `${reference.width}x${reference.height} Xspice, full-screen photo-like image and an xterm, image compression auto_glz (the server's default)`
      : `${reference.width}x${reference.height} Xspice, xterm with text, image compression off`;
    // The text bench keeps spicedesk's default (uncompressed, as the server is set); the photo
    // bench leaves the server's choice, as spicy-screenshot does.
    const compression = photo ? ['--compression', 'server'] : [];

    const pngPath = join(work, 'spicedesk.png');
    const ppmPath = join(work, 'spicy.ppm');
    const target = `spice://127.0.0.1:${xspice.port}`;
    const spicedeskRun = (): Promise<Measurement> =>
      measure(process.execPath, [cli, 'capture', target, '-o', pngPath, '--timeout', '20', ...compression], { timeoutMs: 30_000 });
    const cleanEnv = { ...process.env };
    delete cleanEnv.NODE_EXTRA_CA_CERTS;
    const spicedeskCleanRun = (): Promise<Measurement> =>
      measure(process.execPath, [cli, 'capture', target, '-o', pngPath, '--timeout', '20', ...compression], { timeoutMs: 30_000, env: cleanEnv });
    const spicyRun = (): Promise<Measurement> =>
      measure(spicyBinary, spicyScreenshotArgs(xspice.port, ppmPath), { timeoutMs: 30_000 });

    const spicedeskTimes: Measurement[] = [];
    const spicedeskCleanTimes: Measurement[] = [];
    const spicyTimes: Measurement[] = [];
    let spicedeskError: string | undefined;

    // One unmeasured run each warms the page cache (node, the bundle, the GTK libraries).
    const warmSpicedesk = await spicedeskRun();
    if (warmSpicedesk.exitCode !== 0) spicedeskError = `exit ${warmSpicedesk.exitCode}: ${warmSpicedesk.stderr.trim()}`;
    await spicyRun();

    for (let i = 0; i < options.runs; i++) {
      if (!spicedeskError) {
        const m = await spicedeskRun();
        spicedeskTimes.push(m);
        if (m.exitCode !== 0) spicedeskError = `exit ${m.exitCode}: ${m.stderr.trim()}`;
        else if (!existsSync(pngPath)) spicedeskError = `exit 0 but ${pngPath} was not written`;
        spicedeskCleanTimes.push(await spicedeskCleanRun());
      }
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
    const wallRatio = spicedesk.medianWallMs / spicy.medianWallMs;
    const cpuRatio = spicedesk.medianCpuMs / spicy.medianCpuMs;
    const cleanEnvWallRatio = spicedeskCleanEnv.medianWallMs / spicy.medianWallMs;
    const cleanEnvCpuRatio = spicedeskCleanEnv.medianCpuMs / spicy.medianCpuMs;
    const table = formatTable(
      ['client', 'runs', 'median wall ms', 'median CPU ms', 'min wall', 'max wall'],
      [spicedesk, spicedeskCleanEnv, spicy].map((c) => [c.name, `${c.runs - c.failures}/${c.runs}`, show(c.medianWallMs), show(c.medianCpuMs), show(c.minWallMs), show(c.maxWallMs)]),
    ) +
      `\nratio spicedesk/spicy: wall ${showRatio(wallRatio)}, CPU ${showRatio(cpuRatio)}` +
      `\nratio spicedesk without NODE_EXTRA_CA_CERTS/spicy: wall ${showRatio(cleanEnvWallRatio)}, CPU ${showRatio(cleanEnvCpuRatio)}` +
      `\npixels match: ${String(pixelsMatch)}`;

    return { bench: 'capture', screen, spicedesk, spicedeskCleanEnv, spicy, wallRatio, cpuRatio, cleanEnvWallRatio, cleanEnvCpuRatio, pixelsMatch, spicedeskError, table };
  } finally {
    rmSync(work, { recursive: true, force: true });
    await xspice.stop();
  }
}
