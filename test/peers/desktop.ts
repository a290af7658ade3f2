// Known content on an Xspice display, and a wait until it is all drawn. Everything is
// deterministic: core X fonts (package xfonts-base), fixed geometries, no window manager, images
// generated here from a fixed seed, so two runs give the same pixels.
//
// What reaches the client depends on the X server's spiceqxl driver (which turns X rendering into
// QXL commands) and on --image-compression. Roughly:
//  - solid root background (xsetroot -solid): DRAW_FILL with a solid brush over the whole screen;
//  - xterm: DRAW_FILL for its background and cursor block, glyphs arriving as DRAW_COPY of small
//    1-bit or 32-bit bitmaps (the X server renders core-font text itself); scrolling (more lines
//    than rows) gives COPY_BITS;
//  - xlogo: filled polygons, which the driver rasterises and sends as DRAW_COPY bitmaps over
//    DRAW_FILL backgrounds, with clip rectangles;
//  - an image shown by ImageMagick's `display`: one large DRAW_COPY whose bitmap is sent raw,
//    QUIC (photo-like), LZ or GLZ according to --image-compression; later the image cache
//    (the same bitmap again) when the window is re-exposed.
// To see the exact messages, capture the port with tshark's SPICE dissector (docs/testing.md, "Looking at the wire").
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RgbaImage } from './image.ts';
import { isUniform } from './image.ts';
import { sleep } from '../helpers/wait.ts';
import { requireTool } from './require-tool.ts';
import { spicyScreenshot } from './spicy.ts';
import type { XspiceServer } from './xspice.ts';

export interface Placement {
  x: number;
  y: number;
}

const CLIENT_ENV = { LC_ALL: 'C', LANG: 'C' };

export const STANDARD_TEXT = [
  'spicedesk test desktop',
  'ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz 0123456789',
  '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~',
];

/** Waits (up to timeoutMs) until a mapped, visible window with this exact title exists. */
export async function waitForWindow(xspice: XspiceServer, title: string, timeoutMs = 10_000): Promise<void> {
  requireTool('xdotool', 'xdotool');
  const deadline = Date.now() + timeoutMs;
  const pattern = `^${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;
  while (Date.now() < deadline) {
    try {
      const ids = await xspice.exec('xdotool', ['search', '--onlyvisible', '--name', pattern], 3000);
      if (ids.trim()) return;
    } catch {
      // xdotool exits 1 while no window matches yet
    }
    await sleep(50);
  }
  throw new Error(`no visible window titled ${JSON.stringify(title)} on ${xspice.display} after ${timeoutMs} ms`);
}

/** Fills the root window with one colour, e.g. '#336699'. */
export async function solidBackground(xspice: XspiceServer, colour: string): Promise<void> {
  requireTool('xsetroot', 'x11-xserver-utils');
  await xspice.exec('xsetroot', ['-solid', colour]);
}

export interface XtermOptions extends Partial<Placement> {
  lines?: readonly string[];
  columns?: number;
  rows?: number;
  title?: string;
}

/** An xterm with the `fixed` core font showing `lines` (default STANDARD_TEXT), black on white. */
export async function showXterm(xspice: XspiceServer, options: XtermOptions = {}): Promise<void> {
  requireTool('xterm', 'xterm');
  const title = options.title ?? 'spicedesk-xterm';
  const text = (options.lines ?? STANDARD_TEXT).join('\n');
  const geometry = `${options.columns ?? 80}x${options.rows ?? 24}+${options.x ?? 10}+${options.y ?? 10}`;
  xspice.run('xterm', [
    '-geometry', geometry, '-fn', 'fixed', '-fg', 'black', '-bg', 'white', '+sb', '-bw', '1',
    '-T', title, '-n', title,
    '-xrm', 'XTerm*cursorBlink: false', '-xrm', 'XTerm*allowTitleOps: false',
    // The text goes through the terminal (printf), then the shell waits; no prompt, no cursor moves.
    '-e', 'sh', '-c', 'printf "%s" "$0"; exec sleep 2147483647', text,
  ], CLIENT_ENV);
  await waitForWindow(xspice, title);
}

/** The X logo (x11-apps): black polygons on white. */
export async function showXlogo(xspice: XspiceServer, options: Partial<Placement> & { size?: number } = {}): Promise<void> {
  requireTool('xlogo', 'x11-apps');
  const size = options.size ?? 200;
  const title = 'spicedesk-xlogo';
  xspice.run('xlogo', ['-geometry', `${size}x${size}+${options.x ?? 520}+${options.y ?? 10}`, '-title', title, '-fg', 'black', '-bg', 'white'], CLIENT_ENV);
  await waitForWindow(xspice, title);
}

/** A 32-bit PRNG with a fixed seed (mulberry32), so generated images are identical on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A photo-like test image: smooth colour gradients and soft circles with some noise, the content
 * QUIC and JPEG are made for, and that defeats run-length and dictionary compression.
 */
export function photoLikeImage(width: number, height: number, seed = 1): RgbaImage {
  const random = seededRandom(seed);
  const circles = Array.from({ length: 6 }, () => ({
    cx: random() * width, cy: random() * height, r: (0.15 + random() * 0.3) * Math.min(width, height),
    colour: [random() * 255, random() * 255, random() * 255],
  }));
  const rgba = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let r = (x / width) * 200 + 30;
      let g = (y / height) * 180 + 40;
      let b = ((x + y) / (width + height)) * 120 + 80;
      for (const circle of circles) {
        const d = Math.hypot(x - circle.cx, y - circle.cy) / circle.r;
        if (d < 1) {
          const weight = (1 - d) * (1 - d);
          r += (circle.colour[0] - r) * weight;
          g += (circle.colour[1] - g) * weight;
          b += (circle.colour[2] - b) * weight;
        }
      }
      const noise = (random() - 0.5) * 24;
      const o = (y * width + x) * 4;
      rgba[o] = Math.max(0, Math.min(255, Math.round(r + noise)));
      rgba[o + 1] = Math.max(0, Math.min(255, Math.round(g + noise)));
      rgba[o + 2] = Math.max(0, Math.min(255, Math.round(b + noise)));
      rgba[o + 3] = 255;
    }
  }
  return { width, height, rgba };
}

export function encodePpm(image: RgbaImage): Buffer {
  const header = Buffer.from(`P6\n${image.width} ${image.height}\n255\n`, 'latin1');
  const raster = Buffer.alloc(image.width * image.height * 3);
  for (let i = 0, o = 0; i < image.width * image.height * 4; i += 4, o += 3) {
    raster[o] = image.rgba[i];
    raster[o + 1] = image.rgba[i + 1];
    raster[o + 2] = image.rgba[i + 2];
  }
  return Buffer.concat([header, raster]);
}

/** Shows an image in an undecorated ImageMagick `display` window with its top-left at (x, y). */
export async function showImage(
  xspice: XspiceServer,
  image: RgbaImage,
  options: Partial<Placement> & { title?: string } = {},
): Promise<void> {
  requireTool('display', 'imagemagick');
  const dir = mkdtempSync(join(tmpdir(), 'spicedesk-image-'));
  const file = join(dir, 'image.ppm');
  writeFileSync(file, encodePpm(image));
  const title = options.title ?? 'spicedesk-image';
  const client = xspice.run('display', ['-geometry', `+${options.x ?? 300}+${options.y ?? 450}`, '-title', title, '-borderwidth', '0', '-immutable', file], CLIENT_ENV);
  void client.exited.then(() => rmSync(dir, { recursive: true, force: true }));
  try {
    await waitForWindow(xspice, title);
  } finally {
    // `display` has read the file once its window is up (or it failed); either way it can go.
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface StableScreenOptions {
  password?: string;
  timeoutMs?: number;
  /** Fail if the stable screen is one flat colour (nothing drawn). Default true. */
  requireContent?: boolean;
}

/**
 * Takes spice-gtk screenshots until two in a row are identical, and returns the last one. This
 * checks what a SPICE client actually receives, rather than trusting a settle delay.
 */
export async function waitForStableScreen(port: number, options: StableScreenOptions = {}): Promise<RgbaImage> {
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  let previous: RgbaImage | undefined;
  for (;;) {
    const current = await spicyScreenshot(port, { password: options.password, timeoutMs: 10_000 });
    const contentOk = options.requireContent === false || !isUniform(current);
    if (previous && contentOk && previous.width === current.width && previous.height === current.height && previous.rgba.equals(current.rgba)) {
      return current;
    }
    if (Date.now() > deadline) {
      throw new Error(`the screen on port ${port} did not settle in ${options.timeoutMs ?? 15_000} ms` +
        (contentOk ? '' : ' (it is still one flat colour)'));
    }
    previous = current;
    await sleep(100);
  }
}

/**
 * The standard test desktop on a 1024x768 screen: blue background, xterm with STANDARD_TEXT at
 * (10,10), X logo at (520,10), a 256x192 photo-like image at (300,450). Returns the stable screen.
 */
export async function drawStandardDesktop(xspice: XspiceServer, options: { password?: string } = {}): Promise<RgbaImage> {
  await solidBackground(xspice, '#336699');
  await showXterm(xspice);
  await showXlogo(xspice);
  await showImage(xspice, photoLikeImage(256, 192, 7));
  return waitForStableScreen(xspice.port, { password: options.password });
}
