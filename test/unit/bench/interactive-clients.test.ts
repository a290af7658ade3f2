import { describe, expect, it } from 'vitest';
import { withSwitches } from '../../bench/interactive/clients.ts';

describe("the interactive bench's Chromium switches for the variant", () => {
  it('appends switches, and joins a feature list to the one already given instead of replacing it', () => {
    const base = ['--no-sandbox', '--disable-features=Translate,MediaRouter'];
    expect(withSwitches(base, ['--in-process-gpu', '--disable-features=SpareRendererForSitePerProcess', '--enable-features=NetworkServiceInProcess2'])).toEqual([
      '--no-sandbox',
      '--disable-features=Translate,MediaRouter,SpareRendererForSitePerProcess',
      '--in-process-gpu',
      '--enable-features=NetworkServiceInProcess2',
    ]);
    expect(base).toEqual(['--no-sandbox', '--disable-features=Translate,MediaRouter']);
  });
});
