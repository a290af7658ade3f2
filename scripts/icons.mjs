// Renders resources/icons/spicedesk.svg into the PNGs packaging needs, so that packaging never needs
// an SVG renderer (this machine has none: ImageMagick here has no SVG coder, no rsvg-convert):
//   resources/icons/<n>x<n>.png for n in LINUX_ICON_SIZES: electron-builder's linux.icon directory,
//     installed by the deb and rpm as /usr/share/icons/hicolor/<n>x<n>/apps/spicedesk.png;
//   resources/icons/spicedesk-1024.png: the source electron-builder converts to the Windows .ico and
//     the macOS .icns (its name has no leading size, so the Linux set leaves it out).
// `node scripts/icons.mjs` rewrites them after the SVG changed; test/unit/resources/icons.test.ts
// fails while they are stale, and compares them with Chromium's rendering of the same SVG.
//
// The renderer takes the small part of SVG the icon uses (rect with rx, circle, polygon; solid
// fills; painted in order) and refuses anything else, naming it. Each pixel's coverage is sampled
// on an n x n grid and painted over what is below, in sRGB values, as browsers blend.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateSync } from 'node:zlib';

export const LINUX_ICON_SIZES = [16, 24, 32, 48, 64, 128, 256, 512];
export const CONVERSION_ICON_SIZE = 1024;
export const ICON_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'resources', 'icons');
export const ICON_SVG = join(ICON_DIR, 'spicedesk.svg');

/** The file name of the rendering at a size. */
export function iconFileName(size) {
  return size === CONVERSION_ICON_SIZE ? `spicedesk-${size}.png` : `${size}x${size}.png`;
}

function attributes(text) {
  const out = {};
  for (const m of text.matchAll(/([a-zA-Z:-]+)\s*=\s*"([^"]*)"/g)) out[m[1]] = m[2];
  return out;
}

function number(attrs, name, element, fallback) {
  const raw = attrs[name];
  if (raw === undefined && fallback !== undefined) return fallback;
  const value = Number(raw);
  if (raw === undefined || !Number.isFinite(value)) throw new Error(`icon SVG: <${element}> needs a plain number ${name}, has ${JSON.stringify(raw)}`);
  return value;
}

function colour(attrs, element) {
  const m = /^#([0-9a-fA-F]{6})$/.exec(attrs.fill ?? '');
  if (!m) throw new Error(`icon SVG: <${element}> needs fill="#rrggbb", has ${JSON.stringify(attrs.fill)}`);
  const v = parseInt(m[1], 16);
  return [v >> 16, (v >> 8) & 0xff, v & 0xff];
}

/** The icon's shapes, in paint order, and its square viewBox side. */
export function parseIconSvg(text) {
  const body = text.replace(/<\?xml[^>]*\?>/g, '').replace(/<!--[\s\S]*?-->/g, '');
  const root = /<svg\b([^>]*)>/.exec(body);
  if (!root) throw new Error('icon SVG: no <svg> element');
  const viewBox = (attributes(root[1]).viewBox ?? '').trim().split(/[\s,]+/).map(Number);
  if (viewBox.length !== 4 || viewBox[0] !== 0 || viewBox[1] !== 0 || viewBox[2] !== viewBox[3] || !(viewBox[2] > 0)) {
    throw new Error('icon SVG: needs a square viewBox="0 0 N N"');
  }
  const shapes = [];
  for (const m of body.slice(root.index + root[0].length).matchAll(/<\s*(\/?)([a-zA-Z]+)\b([^>]*?)\/?>/g)) {
    const [, closing, element, rest] = m;
    if (closing && element === 'svg') break;
    const a = attributes(rest);
    const extra = Object.keys(a).filter((k) => !['x', 'y', 'width', 'height', 'rx', 'cx', 'cy', 'r', 'points', 'fill'].includes(k));
    if (extra.length) throw new Error(`icon SVG: <${element}> has ${extra.join(', ')}, which scripts/icons.mjs does not render`);
    if (element === 'rect') {
      const rx = number(a, 'rx', element, 0);
      shapes.push({ kind: 'rect', x: number(a, 'x', element), y: number(a, 'y', element), w: number(a, 'width', element), h: number(a, 'height', element), rx, fill: colour(a, element) });
    } else if (element === 'circle') {
      shapes.push({ kind: 'circle', cx: number(a, 'cx', element), cy: number(a, 'cy', element), r: number(a, 'r', element), fill: colour(a, element) });
    } else if (element === 'polygon') {
      const values = (a.points ?? '').trim().split(/[\s,]+/).map(Number);
      if (values.length < 6 || values.length % 2 || values.some((v) => !Number.isFinite(v))) throw new Error('icon SVG: <polygon> needs points="x,y x,y x,y ..."');
      const points = [];
      for (let i = 0; i < values.length; i += 2) points.push([values[i], values[i + 1]]);
      shapes.push({ kind: 'polygon', points, fill: colour(a, element) });
    } else {
      throw new Error(`icon SVG: <${element}> is not rendered by scripts/icons.mjs (rect, circle and polygon only)`);
    }
  }
  if (shapes.length === 0) throw new Error('icon SVG: nothing to draw');
  return { side: viewBox[2], shapes };
}

function inside(shape, px, py) {
  switch (shape.kind) {
    case 'rect': {
      const { x, y, w, h } = shape;
      if (px < x || px > x + w || py < y || py > y + h) return false;
      const r = Math.min(shape.rx, w / 2, h / 2);
      const dx = Math.max(x + r - px, 0, px - (x + w - r));
      const dy = Math.max(y + r - py, 0, py - (y + h - r));
      return dx * dx + dy * dy <= r * r;
    }
    case 'circle': {
      const dx = px - shape.cx;
      const dy = py - shape.cy;
      return dx * dx + dy * dy <= shape.r * shape.r;
    }
    default: {
      // even-odd crossings (the icon's polygons are convex, where every fill rule agrees)
      let odd = false;
      const pts = shape.points;
      for (let i = 0, j = pts.length - 1; i < pts.length; j = i++) {
        const [xi, yi] = pts[i];
        const [xj, yj] = pts[j];
        if (yi > py !== yj > py && px < ((xj - xi) * (py - yi)) / (yj - yi) + xi) odd = !odd;
      }
      return odd;
    }
  }
}

/** RGBA pixels (not premultiplied) of the SVG at size x size. */
export function renderIcon(svgText, size) {
  const { side, shapes } = parseIconSvg(svgText);
  const grid = size <= 64 ? 16 : size <= 256 ? 8 : 4;
  const scale = side / size;
  const data = new Uint8Array(size * size * 4);
  const colour = new Float64Array(4); // premultiplied r, g, b and alpha, 0..1
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      colour.fill(0);
      for (const shape of shapes) {
        let hits = 0;
        for (let sy = 0; sy < grid; sy++) {
          const py = (y + (sy + 0.5) / grid) * scale;
          for (let sx = 0; sx < grid; sx++) if (inside(shape, (x + (sx + 0.5) / grid) * scale, py)) hits++;
        }
        const a = hits / (grid * grid);
        if (a === 0) continue;
        for (let c = 0; c < 3; c++) colour[c] = (shape.fill[c] / 255) * a + colour[c] * (1 - a);
        colour[3] = a + colour[3] * (1 - a);
      }
      const o = (y * size + x) * 4;
      const alpha = colour[3];
      for (let c = 0; c < 3; c++) data[o + c] = alpha > 0 ? Math.round((colour[c] / alpha) * 255) : 0;
      data[o + 3] = Math.round(alpha * 255);
    }
  }
  return { width: size, height: size, data };
}

function chunk(type, payload) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(payload.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(payload, crc32(head.subarray(4))), 0);
  return Buffer.concat([head, payload, crc]);
}

/** An 8-bit RGBA PNG (filter None on every row; the icon's flat areas deflate well without one). */
export function encodeRgbaPng({ width, height, data }) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bits per sample
  header[9] = 6; // RGBA
  const rows = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) Buffer.from(data.buffer, data.byteOffset + y * width * 4, width * 4).copy(rows, y * (width * 4 + 1) + 1);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function main() {
  const svg = readFileSync(ICON_SVG, 'utf8');
  for (const size of [...LINUX_ICON_SIZES, CONVERSION_ICON_SIZE]) {
    const file = join(ICON_DIR, iconFileName(size));
    writeFileSync(file, encodeRgbaPng(renderIcon(svg, size)));
    console.log(`icons: ${file}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main();
