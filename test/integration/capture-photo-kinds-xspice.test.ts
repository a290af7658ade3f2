// `spicedesk capture` of each kind of photo-like content the capture bench measures
// (test/peers/photo-content.ts: the bench's own image, two photographs, gradients, noise, a
// fractal texture, text and images mixed) on a 1920x1080 Xspice with the server's default image
// compression (auto_glz: QUIC for the pictures, GLZ for the rest): the PNG must equal spice-gtk's
// screenshot of the same screen, pixel for pixel. One Xspice per kind, so no kind's picture
// lingers in the next one's image cache or GLZ window.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isUniform } from '../peers/image.ts';
import { PHOTO_KINDS, showPhotoDesktop } from '../peers/photo-content.ts';
import { comparePixels, explainMismatch, readPng } from '../peers/png.ts';
import { startXspice } from '../peers/xspice.ts';
import { runCli } from '../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'spicedesk-photo-kinds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('capture of every kind of photo-like content, against spice-gtk, auto_glz at 1920x1080', () => {
  for (const kind of PHOTO_KINDS) {
    it(`${kind}: the same pixels as spicy-screenshot`, async () => {
      const xs = await startXspice({ imageCompression: 'auto_glz', jpegWan: 'never' });
      try {
        const reference = await showPhotoDesktop(xs, kind);
        expect([reference.width, reference.height]).toEqual([1920, 1080]);
        expect(isUniform(reference)).toBe(false);
        const out = join(dir, `${kind}.png`);
        const r = await runCli(['capture', `spice://127.0.0.1:${xs.port}`, '-o', out, '--timeout', '20', '--compression', 'server']);
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        const mine = readPng(out);
        const cmp = comparePixels(reference, mine, { ignoreAlpha: true });
        if (!cmp.equal) explainMismatch(`photo-kind-${kind}`, reference, mine);
        expect(cmp.sizeMismatch).toBeFalsy();
        expect(cmp.differing).toBe(0);
      } finally {
        await xs.stop();
      }
    }, 60_000);
  }
});
