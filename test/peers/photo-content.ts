// Kinds of photo-like screen content, for the capture bench and the pixel test that share them:
// each is a full-screen picture (the `mixed` desktop adds text windows around smaller pictures).
// Codecs behave very differently on them (QUIC on a photograph's texture, on smooth gradients,
// on incompressible noise; GLZ on the flat parts of a mixed desktop), so one picture says little.
// Generated content comes from a fixed seed; the photographs are Debian's lomiri-wallpapers-20.04
// (.ci/run installs it), scaled and cropped by ImageMagick, so every run shows the same pixels.
import { execFileSync } from 'node:child_process';
import type { RgbaImage } from './image.ts';
import { photoLikeImage, seededRandom, showImage, showXterm, solidBackground, STANDARD_TEXT, waitForStableScreen } from './desktop.ts';
import { requireFile, requireTool } from './require-tool.ts';
import type { XspiceServer } from './xspice.ts';

export const PHOTO_KINDS = ['generated', 'photograph', 'photograph-sky', 'gradients', 'noise', 'fractal', 'mixed'] as const;
export type PhotoKind = (typeof PHOTO_KINDS)[number];

export const PHOTO_KIND_TEXT: Record<PhotoKind, string> = {
  generated: "the bench's own photo-like image (gradients, soft circles, mild noise)",
  photograph: 'a photograph: a nuthatch on tree bark, a blurred background (Kleiber_by_Lukas_Baubkus.jpg)',
  'photograph-sky': 'a photograph: the Milky Way over the sea, smooth sky and ripples (Infinite-Sea_by_Aury88.jpg)',
  gradients: 'smooth linear and radial gradients, no noise',
  noise: 'uniform random noise in every channel',
  fractal: 'a fractal texture (fractional Brownian motion, six octaves, coloured)',
  mixed: 'text and images: three xterms full of text around a photograph and a fractal',
};

const WALLPAPERS = '/usr/share/backgrounds';
const PHOTOGRAPHS = { photograph: 'Kleiber_by_Lukas_Baubkus.jpg', 'photograph-sky': 'Infinite-Sea_by_Aury88.jpg' } as const;

/** A photograph from lomiri-wallpapers-20.04, scaled to cover width x height and cropped to it. */
export function photograph(name: keyof typeof PHOTOGRAPHS, width: number, height: number): RgbaImage {
  const convert = requireTool('convert', 'imagemagick');
  const file = requireFile(`${WALLPAPERS}/${PHOTOGRAPHS[name]}`, 'lomiri-wallpapers-20.04', `the photograph ${PHOTOGRAPHS[name]}`);
  const rgba = execFileSync(convert, [file, '-resize', `${width}x${height}^`, '-gravity', 'center', '-extent', `${width}x${height}`, '-alpha', 'opaque', '-depth', '8', 'rgba:-'], {
    maxBuffer: width * height * 4 + 1024,
  });
  if (rgba.length !== width * height * 4) throw new Error(`convert gave ${rgba.length} bytes for ${PHOTOGRAPHS[name]} at ${width}x${height}, not ${width * height * 4}`);
  return { width, height, rgba };
}

const clamp = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));

/** Linear and radial gradients blended, without noise: what QUIC and GLZ see of a modern wallpaper. */
export function gradientsImage(width: number, height: number): RgbaImage {
  const rgba = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const u = x / width;
      const v = y / height;
      const r1 = Math.hypot(u - 0.3, v - 0.4);
      const r2 = Math.hypot(u - 0.8, v - 0.7);
      const o = (y * width + x) * 4;
      rgba[o] = clamp(40 + 180 * u + 60 * Math.cos(r1 * 6));
      rgba[o + 1] = clamp(30 + 150 * v * (1 - u) + 50 * Math.sin(r2 * 5));
      rgba[o + 2] = clamp(90 + 120 * (1 - v) - 80 * r2);
      rgba[o + 3] = 255;
    }
  }
  return { width, height, rgba };
}

/** Every channel of every pixel random: nothing for any codec to take away. */
export function noiseImage(width: number, height: number, seed = 11): RgbaImage {
  const random = seededRandom(seed);
  const rgba = Buffer.alloc(width * height * 4);
  for (let o = 0; o < rgba.length; o += 4) {
    const n = (random() * 0x1000000) >>> 0;
    rgba[o] = n & 0xff;
    rgba[o + 1] = (n >>> 8) & 0xff;
    rgba[o + 2] = n >>> 16;
    rgba[o + 3] = 255;
  }
  return { width, height, rgba };
}

/** Fractional Brownian motion over value noise (six octaves), mapped through a colour ramp: clouds, rock, marble. */
export function fractalImage(width: number, height: number, seed = 13): RgbaImage {
  const random = seededRandom(seed);
  const lattice = Float64Array.from({ length: 256 * 256 }, () => random());
  const smooth = (t: number): number => t * t * (3 - 2 * t);
  const valueNoise = (x: number, y: number): number => {
    const xi = Math.floor(x);
    const yi = Math.floor(y);
    const fx = smooth(x - xi);
    const fy = smooth(y - yi);
    const at = (i: number, j: number): number => lattice[((j & 255) << 8) | (i & 255)];
    const top = at(xi, yi) + (at(xi + 1, yi) - at(xi, yi)) * fx;
    const bottom = at(xi, yi + 1) + (at(xi + 1, yi + 1) - at(xi, yi + 1)) * fx;
    return top + (bottom - top) * fy;
  };
  const rgba = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sum = 0;
      let amplitude = 0.5;
      let frequency = 1 / 160;
      for (let octave = 0; octave < 6; octave++) {
        sum += amplitude * valueNoise(x * frequency, y * frequency);
        amplitude /= 2;
        frequency *= 2;
      }
      // Marble-like veins from the noise, coloured between a dark and a warm tone.
      const t = 0.5 + 0.5 * Math.sin(x / 90 + sum * 9);
      const o = (y * width + x) * 4;
      rgba[o] = clamp(40 + 190 * t * sum * 1.6);
      rgba[o + 1] = clamp(35 + 150 * t * sum * 1.4);
      rgba[o + 2] = clamp(60 + 110 * (1 - t) * sum * 1.5);
      rgba[o + 3] = 255;
    }
  }
  return { width, height, rgba };
}

/** A screen's worth of text for the mixed desktop's xterms. */
function textLines(rows: number): string[] {
  return Array.from({ length: rows }, (_, i) => `${String(i + 1).padStart(3)}  ${STANDARD_TEXT[i % STANDARD_TEXT.length]}`);
}

/**
 * Shows the kind on an Xspice screen of width x height (the root already filled; no window
 * manager): a full-screen picture, or for `mixed` two pictures and three xterms of text.
 */
export async function showPhotoContent(xspice: XspiceServer, kind: PhotoKind, width: number, height: number): Promise<void> {
  switch (kind) {
    case 'generated':
      return showImage(xspice, photoLikeImage(width, height, 5), { x: 0, y: 0 });
    case 'photograph':
    case 'photograph-sky':
      return showImage(xspice, photograph(kind, width, height), { x: 0, y: 0 });
    case 'gradients':
      return showImage(xspice, gradientsImage(width, height), { x: 0, y: 0 });
    case 'noise':
      return showImage(xspice, noiseImage(width, height), { x: 0, y: 0 });
    case 'fractal':
      return showImage(xspice, fractalImage(width, height), { x: 0, y: 0 });
    case 'mixed': {
      const w = Math.round(width * 0.55);
      const h = Math.round(height * 0.55);
      await showImage(xspice, photograph('photograph', w, h), { x: width - w - 10, y: height - h - 10, title: 'spicedesk-photo' });
      await showImage(xspice, fractalImage(Math.round(width * 0.3), Math.round(height * 0.3)), { x: 10, y: height - Math.round(height * 0.3) - 10, title: 'spicedesk-fractal' });
      await showXterm(xspice, { x: 10, y: 10, columns: 100, rows: 30, lines: textLines(30), title: 'spicedesk-text-1' });
      await showXterm(xspice, { x: width - 660, y: 10, columns: 80, rows: 20, lines: textLines(20), title: 'spicedesk-text-2' });
      await showXterm(xspice, { x: 10, y: 500, columns: 60, rows: 12, lines: textLines(12), title: 'spicedesk-text-3' });
      return;
    }
  }
}

/**
 * The desktop the capture test and bench take of a kind: on a fresh Xspice, the blue root, the
 * screen set to 1920x1080, the kind's content and (but for `mixed`, which has its own) an xterm.
 * Returns spice-gtk's view of it once it is stable.
 */
export async function showPhotoDesktop(xspice: XspiceServer, kind: PhotoKind): Promise<RgbaImage> {
  await solidBackground(xspice, '#336699');
  await xspice.exec('xrandr', ['-s', '1920x1080']);
  await showPhotoContent(xspice, kind, 1920, 1080);
  if (kind !== 'mixed') await showXterm(xspice);
  return waitForStableScreen(xspice.port);
}
