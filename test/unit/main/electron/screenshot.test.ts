// Screenshots: the page's RGBA rows to a PNG with the same pixels, and the request/reply pairing.
import { describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { encodeSurfacePng } from '../../../../src/main/node/png.ts';
import { rgbaToSurface, ScreenshotRequests, screenshotFileName } from '../../../../src/main/electron/screenshot.ts';

describe('rgbaToSurface', () => {
  it('gives a PNG with the RGB of the page rows, top row first', () => {
    const width = 3;
    const height = 2;
    const rgba = new Uint8Array(width * height * 4);
    for (let i = 0; i < width * height; i++) rgba.set([i * 40, 255 - i * 30, (i * 77) & 0xff, 255], i * 4);
    const png = PNG.sync.read(encodeSurfacePng(rgbaToSurface(width, height, rgba)));
    expect([png.width, png.height]).toEqual([3, 2]);
    expect([...png.data]).toEqual([...rgba]);
  });

  it('puts the bytes into 0xAARRGGBB words', () => {
    const s = rgbaToSurface(1, 1, new Uint8Array([0x11, 0x22, 0x33, 0x44]));
    expect(s.data[0]).toBe(0x44112233);
  });

  it('refuses a buffer of the wrong size', () => {
    expect(() => rgbaToSurface(2, 2, new Uint8Array(15))).toThrow(/15 bytes for 2x2/);
  });
});

describe('screenshotFileName', () => {
  it('is sortable and safe whatever the title', () => {
    const at = new Date(2024, 4, 6, 14, 15, 2);
    expect(screenshotFileName('Win 11 / prod: db', at)).toBe('spicedesk-Win-11-prod-db-2024-05-06-141502.png');
    expect(screenshotFileName('../..', at)).toBe('spicedesk-2024-05-06-141502.png');
  });
});

describe('ScreenshotRequests', () => {
  it('pairs a reply with its request by id', async () => {
    const r = new ScreenshotRequests(1000);
    let asked = 0;
    const p = r.request((id) => (asked = id));
    expect(r.answer({ id: asked + 1, width: 1, height: 1, rgba: new Uint8Array(4) })).toBe(false);
    expect(r.answer({ id: asked, width: 1, height: 1, rgba: new Uint8Array([1, 2, 3, 255]) })).toBe(true);
    expect((await p).data[0]).toBe(0xff010203);
    // Answered once only.
    expect(r.answer({ id: asked, width: 1, height: 1, rgba: new Uint8Array(4) })).toBe(false);
  });

  it("fails with the page's reason", async () => {
    const r = new ScreenshotRequests(1000);
    let asked = 0;
    const p = r.request((id) => (asked = id));
    r.answer({ id: asked, error: 'nothing is on the screen yet' });
    await expect(p).rejects.toThrow(/nothing is on the screen yet/);
  });

  it('fails when the page does not answer in time, or the window closes', async () => {
    const r = new ScreenshotRequests(20);
    await expect(r.request(() => {})).rejects.toThrow(/within 0.02 s/);
    const r2 = new ScreenshotRequests(1000);
    const p = r2.request(() => {});
    r2.cancelAll('the window closed');
    await expect(p).rejects.toThrow(/the window closed/);
  });
});
